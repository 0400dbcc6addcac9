"""The field app in a real browser at phone size: log in, today's route, accounts, visits offline."""
import json
import urllib.request

from playwright.sync_api import expect

from tests.pwa.conftest import (IDB_GET_META, IDB_PUT_META, PASSWORD, idb_all, log_in, phone_context, record_visit, shot, today_local, wait_controlled,
                               wait_synced, waiting_text)


def api(live_server, path, token=None, body=None):
    request = urllib.request.Request(live_server.url + path, method="POST" if body is not None else "GET",
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def token(live_server, username="rep1"):
    return api(live_server, "/api/auth/login", body={"username": username, "password": PASSWORD})["access_token"]


def test_log_in_see_todays_route_and_open_an_account(page, live_server):
    tiles = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"  # the company's own tile server, as the server names it
    page.route("**/api/client-settings", lambda route: route.fulfill(
        json={**route.fetch().json(), "map_tile_url": tiles, "map_tile_attribution": "Own tiles"}))
    log_in(page)
    wait_synced(page)
    stops = page.locator("#route li.stop")
    plan = api(live_server, f"/api/routes/{api(live_server, '/api/auth/me', token(live_server))['id']}/"
                            f"{today_local()}", token(live_server))
    assert stops.count() == len(plan["stops"]) > 0
    first = stops.first
    assert first.locator(".time").inner_text() == _hhmm(plan["stops"][0]["planned_arrival"])
    assert first.locator("a[href^='geo:']").count() == 1
    assert page.locator("#today-map .leaflet-marker-icon").count() == len(plan["stops"])
    assert page.locator("#today-map img.leaflet-tile").first.get_attribute("src").startswith("http://127.0.0.1:9/tiles/")
    assert "Own tiles" in page.locator("#today-map .leaflet-control-attribution").inner_text()
    shot(page, "today")
    page.get_by_role("link", name="Accounts").click()
    page.get_by_label("Search name or address").fill(page.locator("#account-list li strong").first.inner_text()[:4])
    page.locator("#account-list a.item").first.click()
    page.wait_for_selector("text=Installed base (MIF)")
    expect(page.get_by_role("link", name="New visit")).to_be_visible()
    shot(page, "account")


def _hhmm(iso):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(iso).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")


def _rep_visits(live_server, rep="rep1"):
    t = token(live_server, rep)
    me = api(live_server, "/api/auth/me", t)
    return api(live_server, f"/api/visits?rep_id={me['id']}&from={today_local()}T00:00:00%2B08:00&per_page=500", t)["items"]


def test_offline_reload_record_queue_and_drain_exactly_once(context, page, live_server):
    log_in(page, "rep2")
    wait_synced(page)
    wait_controlled(page)
    before = {v["id"] for v in _rep_visits(live_server, "rep2")}
    names = [a["name"] for a in idb_all(page, "accounts")]

    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#route, #plan-today")
    page.get_by_role("link", name="Accounts").click()
    page.wait_for_selector("#account-list a.item")
    assert page.locator("#account-list a.item").count() == min(len(names), 100)
    shot(page, "accounts-offline")

    first = record_visit(page, names[0])
    page.get_by_role("link", name="Accounts").click()
    second = record_visit(page, names[1], purpose="Demo the new colour model")
    waiting_text(page, 2)
    assert "Offline" in page.locator("#sync-status").inner_text()
    shot(page, "visit-offline")
    page.get_by_role("link", name="Day clock").click()
    page.get_by_role("button", name="Travel").click()
    page.wait_for_selector("button[data-category='travel'][aria-pressed='true']")
    waiting_text(page, 3)
    shot(page, "day-clock")
    page.get_by_role("button", name="Travel").click()  # tapping the running activity stops it
    page.wait_for_selector("text=Nothing running.")
    waiting_text(page, 3)

    page.close()
    again = context.new_page()
    again.goto("/")
    again.wait_for_selector("#route, #plan-today")
    waiting_text(again, 3)
    pushes = []
    again.on("request", lambda r: pushes.append(r.url) if "/api/sync/push" in r.url else None)

    context.set_offline(False)
    wait_synced(again, 0)
    after = [v for v in _rep_visits(live_server, "rep2") if v["id"] not in before]
    assert sorted(v["id"] for v in after) == sorted([first, second])
    by_id = {v["id"]: v for v in after}
    assert by_id[first]["outcome"] == "Quote requested" and by_id[first]["check_out_at"]
    assert by_id[second]["purpose"] == "Demo the new colour model"
    assert idb_all(again, "outbox") == []
    pushed = len(pushes)
    assert pushed >= 1

    again.locator("#sync-status").click()  # a second sync has nothing to send
    again.wait_for_timeout(300)
    wait_synced(again, 0)
    assert len(pushes) == pushed
    assert len([v for v in _rep_visits(live_server, "rep2") if v["id"] not in before]) == 2


def _expired_tokens(live_server, username):
    from datetime import timedelta

    from flask_jwt_extended import create_access_token, create_refresh_token

    from server.extensions import db
    from server.models import User

    with live_server.app.app_context():
        user = db.session.query(User).filter_by(username=username).one()
        gone = timedelta(seconds=-60)
        tokens = create_access_token(identity=user, expires_delta=gone), create_refresh_token(identity=user, expires_delta=gone)
        db.session.remove()
    return tokens


def test_token_expiring_offline_keeps_the_queue_until_the_rep_logs_in_again(context, page, live_server):
    log_in(page, "rep2")
    wait_synced(page)
    before = {v["id"] for v in _rep_visits(live_server, "rep2")}
    context.set_offline(True)
    page.get_by_role("link", name="Accounts").click()
    visit_id = record_visit(page)
    waiting_text(page, 1)
    access, _ = _expired_tokens(live_server, "rep2")
    auth = page.evaluate(IDB_GET_META, "auth")
    # What a script on the page can reach holds no refresh token: it is an HttpOnly cookie.
    assert "refresh_token" not in auth and "fieldday_refresh" not in page.evaluate("document.cookie")
    assert any(c["name"] == "fieldday_refresh" and c["httpOnly"] for c in context.cookies())
    page.evaluate(IDB_PUT_META, ["auth", {**auth, "access_token": access}])
    context.clear_cookies()  # the refresh cookie ran out while the phone was offline

    context.set_offline(False)
    page.wait_for_selector("text=Your session has ended")
    assert len(idb_all(page, "outbox")) >= 1
    assert visit_id not in {v["id"] for v in _rep_visits(live_server, "rep2")}
    # Someone else cannot log in over rep2's queued records.
    page.get_by_label("Username").fill("rep1")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("text=Records of rep2 are still waiting")
    page.get_by_label("Username").fill("rep2")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    wait_synced(page, 0)
    new = [v["id"] for v in _rep_visits(live_server, "rep2") if v["id"] not in before]
    assert new == [visit_id]


def test_a_new_app_version_takes_over_without_losing_the_outbox(context, page, live_server):
    log_in(page, "rep2")
    wait_synced(page)
    wait_controlled(page)
    old_caches = page.evaluate("caches.keys()")
    assert len(old_caches) == 1 and old_caches[0].startswith("fieldday-shell-")
    context.set_offline(True)
    page.get_by_role("link", name="Accounts").click()
    visit_id = record_visit(page)
    waiting_text(page, 1)
    # The server is reachable again but sync answers fail, so the outbox is still full when the update lands.
    context.route("**/api/sync/**", lambda route: route.abort())
    live_server.app.config["PWA_BUILD"] = "next-release"
    try:
        context.set_offline(False)
        page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
        page.wait_for_selector("text=A new version of the app is ready")
        page.wait_for_function("(old) => caches.keys().then((k) => k.length === 1 && k[0] !== old)", arg=old_caches[0])
        waiting_text(page, 1)
        page.get_by_role("button", name="Reload").click()
        page.wait_for_selector("text=Checked out at")  # the reload opened the same visit
        waiting_text(page, 1)
        assert [m["entity_id"] for m in idb_all(page, "outbox")][0] == visit_id
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
        page.goto("/")
        page.get_by_label("用户名").fill("rep1")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector("text=今天")
        expect(page.get_by_role("link", name="客户")).to_be_visible()
        shot(page, "today-zh")
        assert page.evaluate("import('/js/i18n.js').then((m) => m.missingKeys())") == []
        page.get_by_role("button", name="切换为英文").click()
        expect(page.get_by_role("link", name="Accounts")).to_be_visible()
        page.reload()
        expect(page.get_by_role("link", name="Accounts")).to_be_visible()  # the choice is kept
    finally:
        context.close()


def test_tomorrow_replans_online_with_a_pin_and_says_so_offline(context, page, live_server):
    log_in(page, "rep1")
    wait_synced(page)
    page.get_by_role("link", name="Tomorrow").click()
    page.get_by_role("button", name="Re-plan").click()
    page.wait_for_selector("text=Plan updated.")
    free = [i.get_attribute("value") for i in page.locator("input[name='keep']:not([disabled])").all()]
    assert len(free) >= 2 and len(free) == len(set(free))  # an account is on the route once
    left_out, pinned_account = free[0], free[1]
    page.locator(f"li[data-account='{left_out}'] input[name='keep']").uncheck()
    page.locator(f"input[name='pin'][data-account='{pinned_account}']").fill("15:30")
    page.get_by_role("button", name="Re-plan").click()
    page.wait_for_selector("text=Plan updated.")
    shot(page, "tomorrow")
    plan = [p for p in idb_all(page, "route_plans") if p["plan_date"] == str(today_local() + _one_day())][0]
    stops = {s["account_id"]: s for s in plan["stops"]}
    assert left_out not in stops
    assert _hhmm(stops[pinned_account]["planned_arrival"]) == "15:30" and stops[pinned_account]["pinned"]
    # The map and each leg's travel minutes; 24-hour time fields whatever the locale.
    assert page.locator("#tomorrow-map .leaflet-marker-icon").count() == len(plan["stops"])
    assert page.locator("#tomorrow-stops li.leg").count() == len(plan["stops"])
    pin = page.locator(f"input[name='pin'][data-account='{pinned_account}']")
    assert pin.get_attribute("type") == "text" and pin.input_value() == "15:30"
    pin.fill("25:00")
    page.get_by_role("button", name="Re-plan").click()
    expect(page.locator("#tomorrow-message")).to_have_text("Write the time as HH:MM (24 hours).")
    pin.fill("15:30")
    # Any account of the territory can be added by its name.
    outside = next(a for a in idb_all(page, "accounts") if a["id"] not in stops and a["latitude"] is not None)
    page.get_by_label("Add any account of the territory").fill(outside["name"])
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("button", name="Re-plan").click()
    page.wait_for_selector("text=Plan updated.")
    expect(page.get_by_role("button", name="Re-plan")).to_be_in_viewport()  # the button stays on screen
    plan = [p for p in idb_all(page, "route_plans") if p["plan_date"] == str(today_local() + _one_day())][0]
    assert outside["id"] in {s["account_id"] for s in plan["stops"]}
    context.set_offline(True)
    page.get_by_role("button", name="Re-plan").click()
    page.wait_for_selector("text=Re-planning needs a connection")


def _one_day():
    from datetime import timedelta

    return timedelta(days=1)


def test_works_with_the_keyboard_alone(page, live_server):
    page.goto("/")
    page.get_by_label("Username").focus()
    page.keyboard.type("rep1")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#route, #plan-today")
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
    assert len(idb_all(page, "outbox")) == outbox_before + 2  # the activity ended, the visit created
    assert [a for a in idb_all(page, "activities") if not a.get("ended_at")] == []
    waiting_text(page, len({m["entity_id"] for m in idb_all(page, "outbox")}))  # records, not edits


def test_a_pull_landing_before_the_push_keeps_the_pending_edit_on_screen(context, page, live_server):
    """F16: a pull that left before the rep's edit and lands after it never shows the older server copy."""
    log_in(page, "rep1")
    wait_synced(page)
    page.get_by_role("link", name="Accounts").click()
    visit_id = record_visit(page, purpose="Pull-before-push check")
    wait_synced(page)
    t = token(live_server)
    request = urllib.request.Request(f"{live_server.url}/api/visits/{visit_id}", method="PATCH",
                                     data=json.dumps({"notes": "From the other phone"}).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {t}"})
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


def test_logging_out_on_a_shared_phone_wipes_the_territory_and_keeps_the_queue_for_its_author(context, page, live_server):
    log_in(page, "rep2")
    wait_synced(page)
    assert len(idb_all(page, "accounts")) > 0
    context.set_offline(True)  # logging out works without signal
    page.get_by_role("link", name="Accounts").click()
    visit_id = record_visit(page)
    waiting_text(page, 1)
    assert page.locator("#tabs a", has_text="Log out").count() == 0  # not a tab beside the others
    page.get_by_role("button", name="Me").click()
    expect(page.locator("#logout-waiting")).to_contain_text("1 record(s) have not reached the server yet")
    shot(page, "me-logout")
    page.get_by_role("button", name="Log out and keep them for me").click()
    page.get_by_label("Username").wait_for()
    assert page.get_by_label("Username").input_value() == ""  # the form does not name the last user
    for store in ("accounts", "contacts", "visits", "opportunities", "route_plans"):
        assert idb_all(page, store) == [], store  # the territory is gone from the phone
    assert [m["entity_id"] for m in idb_all(page, "outbox")] == [visit_id] * len(idb_all(page, "outbox"))
    context.set_offline(False)
    page.get_by_label("Username").fill("rep1")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#login-error")).to_contain_text("must log in first")
    assert visit_id not in {v["id"] for v in _rep_visits(live_server, "rep2")}
    page.get_by_label("Username").fill("rep2")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("#route, #plan-today")
    wait_synced(page, 0)
    assert visit_id in {v["id"] for v in _rep_visits(live_server, "rep2")}


def test_a_refused_change_does_not_stay_on_the_phone_as_if_stored(context, page, live_server):
    """The server refuses an edit (here an empty name, which no form lets through): the banner says so,
    and the phone's copy is read back from the server instead of keeping the refused value."""
    log_in(page, "rep1")
    wait_synced(page)
    account = next(a for a in idb_all(page, "accounts") if a["name"])
    context.set_offline(True)
    page.evaluate("""([id, version]) => import('/js/db.js').then((db) =>
        db.writeLocal('account', 'update', id, { name: '' }, { baseVersion: version }))""",
                  [account["id"], account["version"]])
    assert next(a for a in idb_all(page, "accounts") if a["id"] == account["id"])["name"] == ""
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(page.locator("#banner")).to_contain_text("refused")
    # By the time the sync reports the refusal, the phone's copy is the server's again.
    assert [a["name"] for a in idb_all(page, "accounts") if a["id"] == account["id"]] == [account["name"]]
    assert page.evaluate(IDB_GET_META, "rejected")[-1]["fields"] == {"name": ["Length must be between 1 and 200."]}
    assert api(live_server, f"/api/accounts/{account['id']}", token(live_server))["name"] == account["name"]
