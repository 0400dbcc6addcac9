"""The field app's offline and sync mechanics in a real browser at phone size, at one fixed instant (see
`fixed_clock`): what is tried here (a new app version, a full phone, a pull before the push, logging out on a
shared phone, a refused change, the first sync, the keyboard, the language) does not turn on the date. The
date's own edges (today's route, the day clock, tokens, Tomorrow) are test_field_app's, in the calendar set."""

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.pwa.conftest import (
    IDB_GET_META,
    PASSWORD,
    idb_all,
    log_in,
    phone_context,
    record_visit,
    shot,
    today_local,
    wait_controlled,
    wait_synced,
    wait_until,
    waiting_text,
)
from tests.pwa.test_field_app import _rep_visits, api, outbox_ids, records, token

pytestmark = pytest.mark.usefixtures("fixed_clock")


def test_a_new_app_version_takes_over_without_losing_the_outbox(context, page, live_server):
    log_in(page, "rep2")
    wait_synced(page)
    wait_controlled(page)
    old_caches = page.evaluate("caches.keys()")
    assert len(old_caches) == 1 and old_caches[0].startswith("fieldday-shell-")
    context.set_offline(True)
    page.get_by_role("link", name="Accounts").click()
    visit_id = record_visit(page)
    waiting = records(page)  # the visit, and the day clock it ran
    waiting_text(page, waiting)
    # The server is reachable again but sync answers fail, so the outbox is still full when the update lands.
    context.route("**/api/sync/**", lambda route: route.abort())
    live_server.app.config["PWA_BUILD"] = "next-release"
    try:
        context.set_offline(False)
        page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
        page.wait_for_selector("text=A new version of the app is ready")
        wait_until(page, "(old) => caches.keys().then((k) => k.length === 1 && k[0] !== old)", old_caches[0])
        waiting_text(page, waiting)
        page.get_by_role("button", name="Reload").click()
        page.wait_for_selector("text=Checked out at")  # the reload opened the same visit
        waiting_text(page, waiting)
        assert visit_id in outbox_ids(page)
    finally:
        live_server.app.config["PWA_BUILD"] = ""
        context.unroute("**/api/sync/**")
    page.locator("#sync-status").click()
    wait_synced(page, 0)
    assert visit_id in {v["id"] for v in _rep_visits(live_server, "rep2")}


def test_check_in_records_the_position_when_the_browser_grants_it(context, page, live_server):
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": 31.2304, "longitude": 121.4737, "accuracy": 12})
    log_in(page, "rep1")
    wait_synced(page)
    page.get_by_role("link", name="Accounts").click()
    visit_id = record_visit(page)
    assert "GPS ±12 m" in page.locator("main").inner_text()
    wait_synced(page, 0)
    stored = {v["id"]: v for v in _rep_visits(live_server, "rep1")}[visit_id]
    assert (stored["check_in_lat"], stored["check_in_lng"], stored["check_in_accuracy_m"]) == (31.2304, 121.4737, 12)


def test_speaks_chinese_to_a_chinese_browser_and_switches(browser, live_server):
    context = phone_context(browser, live_server.url, locale="zh-CN")
    try:
        page = context.new_page()
        log_in(page, "rep1", wait="text=今天")
        expect(page.get_by_role("link", name="客户")).to_be_visible()
        shot(page, "today-zh")
        assert page.evaluate("import('/js/i18n.js').then((m) => m.missingKeys())") == []
        page.get_by_role("button", name="切换为英文").click()
        expect(page.get_by_role("link", name="Accounts")).to_be_visible()
        page.reload()
        expect(page.get_by_role("link", name="Accounts")).to_be_visible()  # the choice is kept
    finally:
        context.close()


def test_works_with_the_keyboard_alone(page, live_server):
    page.goto("/")
    page.get_by_label("Username").focus()
    page.keyboard.type("rep1")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#route, #plan-today, #day-over")
    wait_synced(page)
    page.get_by_role("link", name="Day clock").focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Admin").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("button[data-category='admin'][aria-pressed='true']")
    page.get_by_role("button", name="Admin").focus()
    page.keyboard.press("Space")  # stop it again
    page.wait_for_selector("text=Nothing running.")
    small = page.evaluate("""() => [...document.querySelectorAll('button, a.button, .tabs a, input, select')]
        .filter((e) => e.offsetParent && e.getBoundingClientRect().height < 44).map((e) => e.outerHTML.slice(0, 80))""")
    assert small == []  # touch targets of at least 44 px


def test_the_day_clock_holds_face_to_face_while_a_visit_is_open(page, live_server):
    """An open visit is face-to-face until its check-out: the clock shows it pressed, says why, and offers no
    other kind meanwhile (a tap on Admin used to light Admin beside "In a visit (face-to-face)"); once checked
    out, the buttons switch again."""
    log_in(page, "rep1")
    wait_synced(page)
    page.get_by_role("link", name="Accounts").click()
    page.locator("#account-list a.item").first.click()
    page.get_by_role("link", name="New visit").click()
    page.get_by_label("Purpose of this visit (required)").fill("Renewal talk")
    page.get_by_role("button", name="Check in").click()
    page.wait_for_selector("#visit-form")
    visit = page.url
    page.get_by_role("link", name="Day clock").click()
    expect(page.locator("#clock-held")).to_be_visible()
    buttons = page.locator("button[data-category]")
    # Waited for, not counted once: a full run counted 0 at an instant the clock screen was being drawn again (a
    # sync), and the visit it had opened then stayed open for the module's next test.
    expect(buttons.nth(3)).to_be_attached()
    for button in buttons.all():
        expect(button).to_be_disabled()
    expect(page.locator("button[data-category='face_to_face']")).to_have_attribute("aria-pressed", "true")
    assert page.locator("button[data-category][aria-pressed='true']").count() == 1
    page.goto(visit)
    page.get_by_role("button", name="Check out").click()
    page.wait_for_selector("text=Checked out at")
    page.get_by_role("link", name="Day clock").click()
    admin = page.get_by_role("button", name="Admin")
    expect(admin).to_be_enabled()
    expect(page.locator("#clock-held")).to_have_count(0)
    admin.click()
    expect(admin).to_have_attribute("aria-pressed", "true")


QUOTA_ON_OUTBOX = """(on) => {
  // Stand in for a full disk: IndexedDB refuses every write to the outbox with the browser's own error.
  if (!window.__realPut) window.__realPut = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = on ? function (...args) {
    if (this.name === 'outbox') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    return window.__realPut.apply(this, args);
  } : window.__realPut;
}"""


def test_a_full_phone_refuses_the_visit_loudly_and_keeps_nothing_half_written(context, page, live_server):
    """F17: a local write that fails says so, leaves neither the record nor its outbox entry, and can be retried."""
    log_in(page, "rep1")
    wait_synced(page)
    context.set_offline(True)
    page.get_by_role("link", name="Day clock").click()  # a running activity: check-in ends it, a write too
    travel = page.locator("button[data-category='travel']")
    travel.wait_for()
    if travel.get_attribute("aria-pressed") != "true":
        travel.click()
        page.wait_for_selector("button[data-category='travel'][aria-pressed='true']")
    visits_before, outbox_before = len(idb_all(page, "visits")), len(idb_all(page, "outbox"))
    running = [a["id"] for a in idb_all(page, "activities") if not a.get("ended_at")]
    assert len(running) == 1
    page.evaluate(QUOTA_ON_OUTBOX, True)
    page.get_by_role("link", name="Accounts").click()
    page.wait_for_selector("#account-list a.item")
    page.locator("#account-list a.item").first.click()
    page.get_by_role("link", name="New visit").click()
    page.get_by_label("Purpose of this visit (required)").fill("Renewal talk")
    check_in = page.get_by_role("button", name="Check in")
    check_in.click()
    banner = page.locator(".banner.error")
    banner.wait_for(state="visible")
    assert "Could not save on this phone" in banner.inner_text() and "quota" in banner.inner_text()
    assert len(idb_all(page, "visits")) == visits_before and len(idb_all(page, "outbox")) == outbox_before
    assert [a["id"] for a in idb_all(page, "activities") if not a.get("ended_at")] == running  # still running
    assert page.locator("#visit-form").count() == 0
    waiting_text(page, len({m["entity_id"] for m in idb_all(page, "outbox")}))
    shot(page, "storage-full")
    page.evaluate(QUOTA_ON_OUTBOX, False)  # space freed: the same button works and the visit is queued once
    assert check_in.is_enabled()
    check_in.click()
    page.wait_for_selector("#visit-form")
    assert len(idb_all(page, "visits")) == visits_before + 1
    # The running activity ended, face-to-face started by the check-in, the visit created.
    assert len(idb_all(page, "outbox")) == outbox_before + 3
    assert [a["category"] for a in idb_all(page, "activities") if not a.get("ended_at")] == ["face_to_face"]
    waiting_text(page, len({m["entity_id"] for m in idb_all(page, "outbox")}))  # records, not edits


def test_a_pull_landing_before_the_push_keeps_the_pending_edit_on_screen(context, page, live_server):
    """F16: a pull that left before the rep's edit and lands after it never shows the older server copy."""
    log_in(page, "rep1")
    wait_synced(page)
    page.get_by_role("link", name="Accounts").click()
    visit_id = record_visit(page, purpose="Pull-before-push check")
    wait_synced(page)
    t = token(live_server)
    request = urllib.request.Request(
        f"{live_server.url}/api/visits/{visit_id}",
        method="PATCH",
        data=json.dumps({"notes": "From the other phone"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {t}"},
    )
    urllib.request.urlopen(request).close()  # the rep's other phone changes the notes meanwhile

    held, bodies = [], []
    page.route("**/api/sync/pull*", lambda route: held.append(route))
    page.route("**/api/sync/push", lambda route: route.abort("internetdisconnected"))
    page.evaluate("() => window.dispatchEvent(new Event('online'))")  # a sync starts; its pull is held
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the sync never pulled"
    page.get_by_label("Notes").fill("Typed on this phone")  # the edit is made while that pull is on the wire
    page.get_by_role("button", name="Save").click()
    waiting_text(page, 1)
    response = held[0].fetch()
    bodies.append(response.text())
    held[0].fulfill(response=response)
    assert "From the other phone" in bodies[0]  # the pull really carried the newer server copy
    page.wait_for_function("() => document.getElementById('sync-status').dataset.state !== 'syncing'")
    local = next(v for v in idb_all(page, "visits") if v["id"] == visit_id)
    assert local["notes"] == "Typed on this phone"
    assert page.get_by_label("Notes").input_value() == "Typed on this phone"
    assert len(idb_all(page, "outbox")) == 1
    page.unroute("**/api/sync/pull*")
    page.unroute("**/api/sync/push")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    wait_synced(page)
    server = api(live_server, f"/api/visits/{visit_id}", t)
    local = next(v for v in idb_all(page, "visits") if v["id"] == visit_id)
    assert server["notes"] == local["notes"] == "Typed on this phone"


def test_logging_out_on_a_shared_phone_wipes_the_territory_and_keeps_the_queue_for_its_author(
    context, page, live_server
):
    log_in(page, "rep2")
    wait_synced(page)
    assert len(idb_all(page, "accounts")) > 0
    context.set_offline(True)  # logging out works without signal
    page.get_by_role("link", name="Accounts").click()
    visit_id = record_visit(page)
    waiting = records(page)  # the visit, and the day clock it ran
    waiting_text(page, waiting)
    assert page.locator("#tabs a", has_text="Log out").count() == 0  # not a tab beside the others
    page.get_by_role("button", name="Me", exact=True).click()
    expect(page.locator("#logout-waiting")).to_contain_text(f"{waiting} record(s) have not reached the server yet")
    shot(page, "me-logout")
    page.get_by_role("button", name="Log out and keep them for me").click()
    page.get_by_label("Username").wait_for()
    assert page.get_by_label("Username").input_value() == ""  # the form does not name the last user
    for store in ("accounts", "contacts", "visits", "opportunities", "route_plans"):
        assert idb_all(page, store) == [], store  # the territory is gone from the phone
    assert visit_id in outbox_ids(page)
    assert {m["entity"] for m in idb_all(page, "outbox")} <= {"visit", "activity"}  # rep2's own records only
    context.set_offline(False)
    page.get_by_label("Username").fill("rep1")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#login-error")).to_contain_text("must log in first")
    assert visit_id not in {v["id"] for v in _rep_visits(live_server, "rep2")}
    page.get_by_label("Username").fill("rep2")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("#route, #plan-today, #day-over")
    wait_synced(page, 0)
    assert visit_id in {v["id"] for v in _rep_visits(live_server, "rep2")}


def test_a_refused_change_does_not_stay_on_the_phone_as_if_stored(context, page, live_server):
    """The server refuses an edit (here an empty name, which no form lets through): the banner says so,
    and the phone's copy is read back from the server instead of keeping the refused value."""
    log_in(page, "rep1")
    wait_synced(page)
    account = next(a for a in idb_all(page, "accounts") if a["name"])
    context.set_offline(True)
    page.evaluate(
        """([id, version]) => import('/js/db.js').then((db) =>
        db.writeLocal('account', 'update', id, { name: '' }, { baseVersion: version }))""",
        [account["id"], account["version"]],
    )
    assert next(a for a in idb_all(page, "accounts") if a["id"] == account["id"])["name"] == ""
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(page.locator("#banner")).to_contain_text("refused")
    # By the time the sync reports the refusal, the phone's copy is the server's again.
    assert [a["name"] for a in idb_all(page, "accounts") if a["id"] == account["id"]] == [account["name"]]
    assert page.evaluate(IDB_GET_META, "rejected")[-1]["fields"] == {"name": ["Length must be between 1 and 200."]}
    assert api(live_server, f"/api/accounts/{account['id']}", token(live_server))["name"] == account["name"]


def test_a_reps_first_screens_load_no_chart_library_and_the_rest_on_demand_offline_too(context, page, live_server):
    """The shell paints before any module runs; a rep's login and Today fetch Leaflet (the map draws) but
    neither Chart.js, the photo scaler, the other language's strings nor the other screens' modules; files
    arrive brotli-compressed from their versioned URLs; after one visit the service worker holds the screens
    loaded later, so they open in airplane mode."""
    paths, encodings, urls = [], {}, []
    page.on("request", lambda r: urls.append(r.url.split(live_server.url)[-1]))
    page.on("request", lambda r: paths.append(r.url.split(live_server.url)[-1].split("?v=")[0]))
    page.on(
        "response",
        lambda r: encodings.setdefault(
            r.url.split(live_server.url)[-1].split("?v=")[0], r.headers.get("content-encoding")
        ),
    )
    page.goto("/")
    page.get_by_label("Username").wait_for()
    assert page.locator("#sync-status").inner_text().strip()
    # The first load: sent compressed (read from the answer's headers: a shifted run fakes the page's timers,
    # and with them its resource timings); Chromium takes brotli from localhost (a secure context).
    assert encodings.get("/js/app.js") == "br" and encodings.get("/") == "br", encodings
    log_in(page)
    wait_synced(page)
    page.wait_for_selector("#today-map .leaflet-marker-icon")
    assert not [p for p in paths if "chart" in p.lower() or "image-compression" in p], paths
    assert ("/js/i18n/en.js" in paths) != ("/js/i18n/zh-CN.js" in paths), paths
    # Every file of the app's own is asked for by its version (the import map gives each module's).
    assert all("?v=" in u for u in urls if u.startswith(("/js/", "/vendor/", "/css/"))), urls
    assert "/vendor/leaflet/leaflet.js" in paths and "/vendor/leaflet/leaflet.css" in paths
    # The login and Today screens load their own modules first; the other screens' follow only in idle time
    # after Today has drawn (so that they open without signal too), and Chart.js never, for a rep.
    views = list(dict.fromkeys(p for p in paths if p.startswith("/js/views/")))  # in order, each once
    assert views[:2] == ["/js/views/login.js", "/js/views/today.js"], views

    wait_controlled(page)
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#route, #plan-today, #day-over")
    page.get_by_role("link", name="Accounts").click()  # a view never loaded online: from the precache
    page.wait_for_selector("#account-list a.item")
    page.get_by_role("link", name="Today").click()
    page.wait_for_selector("#today-map .leaflet-marker-icon")
    context.set_offline(False)


# Logged in the page: each pull request as it is issued, each cursor as it is stored, the indicator's progress
# as it shows, and any read (get) of a record store inside a write transaction (the sync's own writes).
WATCH_FIRST_SYNC = """(() => {
  const log = (window.syncLog = []);
  window.recordReads = 0;
  const plainFetch = window.fetch;
  window.fetch = (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.includes('/api/sync/pull')) log.push('fetch');
    return plainFetch(input, init);
  };
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (value, key) {
    if (this.name === 'meta' && key === 'cursor') log.push('cursor');
    return put.apply(this, arguments);
  };
  const get = IDBObjectStore.prototype.get;
  IDBObjectStore.prototype.get = function () {
    if (this.transaction.mode === 'readwrite' && !['meta', 'outbox', 'sent', 'files'].includes(this.name)) {
      window.recordReads += 1;
    }
    return get.apply(this, arguments);
  };
  window.progressSeen = [];
  new MutationObserver(() => {
    const button = document.getElementById('sync-status');
    if (button?.dataset.progress) window.progressSeen.push([button.dataset.progress, button.textContent]);
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
})();"""


RECORDS_HELD = """async () => { const { RECORD_STORES, db } = await import('/js/db.js');
  const tx = (await db()).transaction(RECORD_STORES);
  const counts = await Promise.all(RECORD_STORES.map((name) => tx.objectStore(name).count()));
  return counts.reduce((a, b) => a + b, 0); }"""


def test_the_first_sync_draws_today_from_its_first_page_while_the_rest_is_held_back(browser, live_server):
    """The snapshot's first page brings the day's plan with its accounts (`first`): with every later page held back,
    Today shows the route, each stop under its account's name and address; let through, the snapshot ends with
    every record held once and the route unchanged."""
    key = token(live_server)
    plan = api(live_server, f"/api/routes/{api(live_server, '/api/auth/me', key)['id']}/{today_local()}", key)
    names = [api(live_server, f"/api/accounts/{s['account_id']}", key)["name"] for s in plan["stops"]]
    held, release = [], []
    context = phone_context(browser, live_server.url)
    try:
        page = context.new_page()

        def pull(route):  # pages of 50, so that the plan's own page (route plans come last) is far behind
            url = route.request.url.replace("limit=1000", "limit=50")
            if "cursor=" in url and not release:
                held.append((route, url))
            else:
                route.continue_(url=url)

        page.route("**/api/sync/pull?*", pull)
        log_in(page)
        stops = page.locator("#route li.stop")
        expect(stops).to_have_count(len(names))
        for stop, name in zip(stops.all(), names, strict=True):
            expect(stop.locator("strong")).to_contain_text(name)
            expect(stop.locator(".muted").first).not_to_be_empty()
        assert held, "the second page was asked for and is held back"
        expect(page.locator("#sync-status")).to_have_attribute("data-progress", re.compile(r"^50/\d+$"))
        early = page.evaluate(RECORDS_HELD)
        release.append(True)
        for route, url in held:
            route.continue_(url=url)
        wait_synced(page)
        total = page.evaluate(RECORDS_HELD)
        assert early < total, (early, total)
        expect(stops).to_have_count(len(names))
    finally:
        context.close()


def test_the_first_sync_fetches_ahead_writes_blind_into_an_empty_phone_and_shows_its_progress(browser, live_server):
    """Pages of 50 (the phone asks for 1,000; the test asks the server for 50, so that there are several): each
    next page is asked for before the page in hand is written, no record is read before being written, and the
    indicator counts the records up to the snapshot's total, which is what the phone then holds."""
    context = phone_context(browser, live_server.url)
    try:
        page = context.new_page()
        page.add_init_script(WATCH_FIRST_SYNC)
        page.route(
            "**/api/sync/pull?*", lambda route: route.continue_(url=route.request.url.replace("limit=1000", "limit=50"))
        )
        log_in(page)
        wait_synced(page)
        log = page.evaluate("window.syncLog")
        pages = log.count("cursor")
        assert pages >= 4, log
        # Pipelined: after the first page, each page's request goes out before the page before it is stored.
        assert log[:3] == ["fetch", "fetch", "cursor"], log
        assert log.count("fetch") == pages, log
        assert page.evaluate("window.recordReads") == 0
        held = page.evaluate(RECORDS_HELD)
        seen = page.evaluate("window.progressSeen")
        counts = [tuple(int(n) for n in progress.split("/")) for progress, _ in seen]
        assert counts and all(total == held for _, total in counts), (counts, held)
        done = [d for d, _ in counts]  # a screen change while a figure stands shows it again: rising, never back
        assert done == sorted(done) and len(set(done)) >= pages - 1, counts
        assert counts[0][0] == 50 and f"Syncing 50/{held:,}" in seen[0][1], seen[0]
        assert page.locator("#sync-status").get_attribute("data-progress") == ""  # done: the count is gone
        # A later sync (the phone holds records now) reads each record before writing it, as always.
        page.evaluate("window.recordReads = 0")
        token_ = token(live_server)
        account = api(live_server, "/api/accounts?per_page=1", token_)["items"][0]
        api_put = urllib.request.Request(
            f"{live_server.url}/api/accounts/{account['id']}",
            data=json.dumps({"notes": "changed on the server"}).encode(),
            headers={"Authorization": f"Bearer {token_}", "Content-Type": "application/json"},
            method="PATCH",
        )
        urllib.request.urlopen(api_put).close()
        page.locator("#sync-status").click()
        page.wait_for_function("window.recordReads > 0")
    finally:
        context.close()
