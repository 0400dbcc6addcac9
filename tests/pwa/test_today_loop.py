"""Today opens on what comes next and the visit loop keeps the day clock, one-handed at 360x740 in Chromium
with the clock and the GPS set: the next stop with its leave-by first, the header's leave-by the next stop's,
check-in and check-out switching the day clock, the next stop offered after check-out; the map drawn from
the plan's own start, with "you are here" and numbered stops that never cover each other; a stop the rep
leaves out stored and shown as theirs; every tap target at least 44x44 px."""

import itertools
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from server import clock as server_clock
from tests.pwa.conftest import (
    IDB_GET_META,
    PASSWORD,
    TZ,
    idb_all,
    phone_context,
    shot,
    today_local,
    wait_synced,
    wait_until,
)
from tests.pwa.test_field_app import api, token

HERE = {"latitude": 31.2304, "longitude": 121.4737, "accuracy": 12}


def open_today(browser, live_server, username, at, geolocation=None, locale="en-US"):
    context = phone_context(browser, live_server.url, at=at, locale=locale)
    if geolocation:
        context.grant_permissions(["geolocation"])
        context.set_geolocation(geolocation)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/")
    page.get_by_label(re.compile("Username|用户名")).fill(username)
    page.get_by_label(re.compile("Password|密码")).fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_selector("#route")
    return context, page, errors


def local(iso):
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(TZ)).strftime("%H:%M")


def leave_by(stop):
    return local(
        (datetime.fromisoformat(stop["planned_arrival"]) - timedelta(minutes=stop["travel_minutes"])).isoformat()
    )


def running(page):
    return [a for a in idb_all(page, "activities") if not a.get("ended_at")]


def too_small(page):
    """Every visible interactive element smaller than 44x44 px (a checkbox counts by its label)."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
              'a[href], button, summary, select, input, textarea, [tabindex]:not([tabindex="-1"]), .leaflet-control a')]
            .map((el) => el.matches('input[type=checkbox], input[type=radio]') ? el.closest('label') || el : el)
            .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
            .map((el) => { const r = el.getBoundingClientRect();
                           return { what: el.outerHTML.slice(0, 90), w: Math.round(r.width),
                                    h: Math.round(r.height) }; })
            .filter((b) => b.w < 44 || b.h < 44)"""
    )


@pytest.mark.calendar
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_today_at_11_00_shows_the_next_stop_first(browser, live_server, locale):
    """Today opened at 11:00 (the screenshot a new rep sees late in the morning): a stop of the day's plan
    first, with its leave-by and its Visit button, above the map and the list of stops."""
    t = token(live_server, "rep1")
    me = api(live_server, "/api/auth/me", t)["id"]
    planned = {s["account_id"] for s in api(live_server, f"/api/routes/{me}/{today_local()}", t)["stops"]}
    eleven = datetime.combine(today_local(), time(11, 0), ZoneInfo(TZ))
    context, page, errors = open_today(browser, live_server, "rep1", eleven, HERE, locale)
    try:
        wait_synced(page)
        card = page.locator("#next-up")
        expect(card.locator("#next-visit")).to_be_visible()
        assert card.get_attribute("data-account") in planned
        expect(card.locator("#next-leave")).to_contain_text(re.compile(r"\d\d:\d\d"))
        assert card.bounding_box()["y"] < page.locator("#map-fold").bounding_box()["y"]
        assert card.bounding_box()["y"] < page.locator("#route").bounding_box()["y"]
        shot(page, f"today-at-11-00-{locale}")
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.calendar
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_today_at_eleven_opens_on_the_next_stop_and_the_loop_keeps_the_day_clock(browser, live_server, locale):
    t = token(live_server, "rep1")
    me = api(live_server, "/api/auth/me", t)["id"]
    stops = sorted(api(live_server, f"/api/routes/{me}/{today_local()}", t)["stops"], key=lambda s: s["position"])
    assert len(stops) >= 3
    visits = api(live_server, f"/api/visits?rep_id={me}&per_page=500", t)["items"]
    day = today_local()
    seen = {
        v["account_id"]
        for v in visits
        if v["check_in_at"] and datetime.fromisoformat(v["check_in_at"]).astimezone(ZoneInfo(TZ)).date() == day
    }
    # The module's server is shared: the first of the two runs (whichever language) visits the first stop,
    # the other the second.
    done = len(seen & {s["account_id"] for s in stops})
    assert done in (0, 1)
    stop, nxt = stops[done], stops[done + 1]
    at = datetime.fromisoformat(stop["planned_arrival"])
    context, page, errors = open_today(browser, live_server, "rep1", at, HERE, locale)
    try:
        wait_synced(page)
        # The first thing under the title: this stop, its leave-by, one big Visit button; above the map.
        card = page.locator("#next-up")
        expect(card).to_contain_text(f"{done + 1}. ")
        assert card.bounding_box()["y"] < page.locator("#map-fold").bounding_box()["y"]
        assert card.bounding_box()["y"] < page.locator("#route").bounding_box()["y"]
        assert too_small(page) == [], "Today's tap targets"
        card.locator("#next-visit").click()
        page.locator("#purpose").fill("Toner contract")
        page.locator("#check-in").click()
        page.wait_for_selector("#visit-form")
        assert [a["category"] for a in running(page)] == ["face_to_face"]  # the clock switched itself
        assert too_small(page) == [], "the visit screen's tap targets"
        # Back on Today while checked in: the open visit first, said once, with one button back into it.
        page.goto("/#/today")
        expect(page.locator("#open-visit")).to_be_visible()
        back = page.locator("#next-up a.button")
        assert back.inner_text().lower() not in page.locator("#open-visit").inner_text().lower()
        back.click()
        page.wait_for_selector("#check-out")
        page.locator("#check-out").click()
        page.wait_for_selector("#next-stop")
        out = page.locator("#next-stop")
        expect(out).to_contain_text(leave_by(nxt))
        expect(out.locator("a.nav-link")).to_have_count(1)
        assert [a["category"] for a in running(page)] == ["travel"]  # on the road to the next stop
        expect(page.locator("#travel-clock")).to_be_visible()
        assert too_small(page) == [], "the visit screen after check-out"
        shot(page, f"visit-after-check-out-{locale}")
        # Later, back on Today: the header's leave-by is the next stop's, not the first stop's.
        page.clock.run_for(20 * 60 * 1000)
        page.goto("/#/today")
        page.wait_for_selector("#route")
        expect(page.locator("#day-leave")).to_contain_text(leave_by(nxt))
        if leave_by(nxt) != leave_by(stops[0]):
            expect(page.locator("#day-leave")).not_to_contain_text(leave_by(stops[0]))
        expect(page.locator("#next-up")).to_contain_text(f"{done + 2}. ")
        shot(page, f"today-next-stop-first-{locale}")
        # The map folds, and stays folded on this phone.
        page.locator("#map-fold > summary").click()
        wait_until(page, f"async () => ({IDB_GET_META})('today_map_folded').then((v) => v === true)")
        page.reload()
        page.wait_for_selector("#route")
        assert page.locator("#map-fold").get_attribute("open") is None
        page.locator("#map-fold > summary").click()
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.calendar
def test_the_last_visit_of_the_day_stops_the_day_clock(browser, live_server):
    t = token(live_server, "rep2")
    day = today_local().isoformat()
    plan = api(live_server, "/api/routes/plan", t, {"date": day})
    stops = sorted(plan["stops"], key=lambda s: s["position"])
    last = stops[-1]
    at = datetime.fromisoformat(last["planned_arrival"])
    context, page, errors = open_today(browser, live_server, "rep2", at)
    try:
        wait_synced(page)
        assert not errors, errors
        page.goto(f"/#/visit/new?account={last['account_id']}")
        page.locator("#purpose").fill("Last call")
        page.locator("#check-in").click()
        page.wait_for_selector("#visit-form")
        page.locator("#check-out").click()
        page.wait_for_selector("#day-done")
        assert running(page) == []
        ended = max(idb_all(page, "activities"), key=lambda a: a["started_at"])
        assert ended["category"] == "face_to_face" and ended["ended_at"]
    finally:
        context.close()


def plan_from(live_server, t, start=None, include=()):
    body = {"date": today_local().isoformat(), "include": list(include)}
    if start:
        body["start"] = start
    return api(live_server, "/api/routes/plan", t, body)


@pytest.mark.calendar
def test_the_map_draws_from_the_plans_start_shows_you_are_here_and_no_label_covers_another(browser, live_server):
    t = token(live_server, "rep2")
    me = api(live_server, "/api/auth/me", t)
    # Three accounts a few metres apart: their labels would pile up.
    base = HERE["latitude"] + 0.01, HERE["longitude"] + 0.01
    close = [
        api(
            live_server,
            "/api/accounts",
            t,
            {"name": f"Tower {i}", "account_class": "C", "latitude": base[0] + i * 0.00005, "longitude": base[1]},
        )
        for i in range(3)
    ]
    eleven = datetime.combine(today_local(), datetime.min.time(), ZoneInfo(TZ)).replace(hour=11)
    start = {"latitude": HERE["latitude"], "longitude": HERE["longitude"], "at": eleven.isoformat()}
    plan = plan_from(live_server, t, start, include=[a["id"] for a in close])
    assert plan["start"]["latitude"] == HERE["latitude"]
    assert (me["start_lat"], me["start_lng"]) != (HERE["latitude"], HERE["longitude"])
    context, page, errors = open_today(browser, live_server, "rep2", eleven, HERE)
    try:
        wait_synced(page)
        # The map's modules load after Today draws: wait for it to be drawn from the plan's start.
        expect(page.locator("#today-map")).to_have_attribute("data-start", f"{HERE['latitude']},{HERE['longitude']}")
        # The line's first point is the start marker, which stands where the plan starts.
        page.wait_for_selector("#today-map .route-start")
        page.wait_for_selector("#today-map .route-line")
        box = page.locator("#today-map .route-start").bounding_box()
        start_px = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        line_box = page.evaluate("""() => { const p = document.querySelector('#today-map .route-line');
            const pt = p.getPointAtLength(0); const m = p.getScreenCTM();
            return [pt.x * m.a + m.e, pt.y * m.d + m.f]; }""")
        assert abs(line_box[0] - start_px[0]) < 2 and abs(line_box[1] - start_px[1]) < 2, (line_box, start_px)
        expect(page.locator("#today-map .you-are-here")).to_have_count(1)
        labels = page.evaluate(
            """() => [...document.querySelectorAll('#today-map .leaflet-tooltip, #today-map .stop-pin')]
                 .filter((el) => /^\\d+$/.test(el.textContent.trim()))
                 .map((el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"""
        )
        assert len(labels) == len(plan["stops"])
        for a, b in itertools.combinations(labels, 2):
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], ("overlap", a, b)
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.calendar
def test_without_permission_there_is_no_you_are_here_and_no_error(browser, live_server):
    plan_from(live_server, token(live_server, "rep2"))  # rep2's day is planned here, not by another test
    eleven = datetime.combine(today_local(), datetime.min.time(), ZoneInfo(TZ)).replace(hour=11)
    context, page, errors = open_today(browser, live_server, "rep2", eleven)
    try:
        page.wait_for_selector("#today-map .stop-pin")
        page.wait_for_timeout(500)
        expect(page.locator("#today-map .you-are-here")).to_have_count(0)
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.calendar
def test_a_stop_the_rep_leaves_out_is_shown_and_stored_as_left_out_by_the_rep(browser, live_server):
    t = token(live_server, "rep2")
    me = api(live_server, "/api/auth/me", t)["id"]
    plan = plan_from(live_server, t)
    stops = sorted(plan["stops"], key=lambda s: s["position"])
    ten = datetime.combine(today_local(), datetime.min.time(), ZoneInfo(TZ)).replace(hour=8)
    context, page, errors = open_today(browser, live_server, "rep2", ten)
    try:
        wait_synced(page)
        editable = page.locator("#route li.stop:has(details.more button[data-drop])")
        account_id = editable.first.get_attribute("data-account")
        target = next(s for s in stops if s["account_id"] == account_id)
        card = page.locator(f"#route li.stop[data-account='{account_id}']")
        expect(card.get_by_role("button", name="Leave out")).to_be_hidden()  # behind "More"
        card.locator("details.more > summary").click()
        card.get_by_role("button", name="Leave out").click()
        expect(page.locator(f"#left-out li[data-account='{target['account_id']}']")).to_contain_text("Left out by you")
        wait_synced(page)
        stored = api(live_server, f"/api/routes/{me}/{today_local()}", t)
        assert {"id": target["account_id"], "reason": "left_out_by_rep"} in stored["dropped"]
        assert not errors, errors
    finally:
        context.close()


WORDS = {"en-US": "No stop left: {done} done, 1 not met.", "zh-CN": "没有剩下的站：已完成 {done} 站，1 站未见到客户。"}


def test_a_day_whose_last_customer_was_not_met_is_not_called_done(browser, live_server):
    """One day worked once (rep2's), read in both languages. The day is a fixed one, planned from its start and
    worked through on a clock this test sets (and the suite puts back), so it needs no calendar mark."""
    day = date(2026, 11, 10)
    server_clock.set_now(datetime.combine(day, time(7, 0), ZoneInfo(TZ)))
    t = token(live_server, "rep2")
    stops = sorted(
        api(live_server, "/api/routes/plan", t, {"date": day.isoformat()})["stops"],
        key=lambda s: s["position"],
    )
    assert len(stops) >= 2
    server_clock.set_now(datetime.fromisoformat(stops[-1]["planned_arrival"]) + timedelta(hours=1))
    for i, stop in enumerate(stops):  # every stop called on, the last customer absent
        arrive = datetime.fromisoformat(stop["planned_arrival"])
        visit = {
            "account_id": stop["account_id"],
            "purpose": "Planned call",
            "check_in_at": arrive.isoformat(),
            "check_out_at": (arrive + timedelta(minutes=15)).isoformat(),
            "met": i < len(stops) - 1,
        }
        api(live_server, "/api/visits", t, visit)
    at = datetime.fromisoformat(stops[-1]["planned_arrival"]) + timedelta(hours=1)
    for locale, words in WORDS.items():
        context, page, errors = open_today(browser, live_server, "rep2", at, locale=locale)
        try:
            # The day's visits reach the phone with its first sync; Today is then drawn again from them.
            last = stops[-1]["account_id"]
            for _ in range(200):
                if any(v["account_id"] == last and v.get("met") is False for v in idb_all(page, "visits")):
                    break
                page.wait_for_timeout(100)
            page.goto("/#/accounts")
            page.wait_for_selector("#account-list")
            page.goto("/#/today")
            page.wait_for_selector("#route li.stop[data-state=not_met]")
            assert not errors, errors
            assert page.locator("#route li.stop[data-state=not_met]").count() == 1
            done = page.locator("#route li.stop[data-state=done]").count()
            assert done == len(stops) - 1
            summary = page.locator("#day-delay")
            expect(summary).to_have_text(words.format(done=done))
            expect(summary).not_to_contain_text("Every stop")
            expect(summary).not_to_contain_text("都已完成")
        finally:
            context.close()


def test_after_the_working_days_end_today_says_so_leads_to_tomorrow_and_offers_no_change_to_today(browser, live_server):
    """A fixed day (rep2's), planned from its start, one stop visited, opened at 18:55 in Chinese and left open past
    19:00 without signal: once the working day (the server's `day_end`) is over, Today turns to say so, and leads
    to Tomorrow; the stops not visited are past, none is offered as next, none can be moved or left out, there is no
    re-plan, and Near me adds nothing to today. The clock is this test's own (the suite puts it back), so it needs no
    calendar mark."""
    day = date(2026, 11, 12)
    server_clock.set_now(datetime.combine(day, time(7, 0), ZoneInfo(TZ)))
    t = token(live_server, "rep2")
    stops = sorted(
        api(live_server, "/api/routes/plan", t, {"date": day.isoformat()})["stops"], key=lambda s: s["position"]
    )
    assert len(stops) >= 3
    evening = datetime.combine(day, time(19, 30), ZoneInfo(TZ))
    server_clock.set_now(evening)
    arrive = datetime.fromisoformat(stops[0]["planned_arrival"])
    api(
        live_server,
        "/api/visits",
        t,
        {
            "account_id": stops[0]["account_id"],
            "purpose": "Planned call",
            "check_in_at": arrive.isoformat(),
            "check_out_at": (arrive + timedelta(minutes=30)).isoformat(),
        },
    )
    context, page, errors = open_today(browser, live_server, "rep2", evening - timedelta(minutes=35), locale="zh-CN")
    try:
        wait_synced(page)
        expect(page.locator("#replan-rest")).to_be_visible()  # 18:55: the day goes on
        assert page.locator("#route details.more").count() and not page.locator("#day-over").count()
        context.set_offline(True)  # no sync to draw the screen again: the clock alone turns it
        page.clock.fast_forward("35:00")
        over = page.locator("#day-over")
        expect(over).to_contain_text("19:00")
        expect(page.locator("#route li.stop[data-state=done]")).to_have_count(1)
        expect(page.locator("#route li.stop[data-state=past]")).to_have_count(len(stops) - 1)
        assert page.locator("#next-up, #replan-rest, #route details.more, #route [data-drop]").count() == 0
        assert not page.locator("#day-delay").count()  # no "hours behind the plan" at night
        shot(page, "today-day-over-zh")
        page.locator("#to-tomorrow").click()
        expect(page).to_have_url(re.compile("#/tomorrow$"))
        page.goto("/#/nearby")
        expect(page.locator("#nearby-list li.nearby").first).to_be_visible()
        assert page.locator("#nearby-list [data-insert]").count() == 0
        assert not errors, errors
    finally:
        context.close()


def test_the_day_clock_stops_at_the_working_days_end_without_signal(browser, live_server):
    """An activity left running (admin from 18:30, no visit open) ends at the working day's end, 19:00 (the server's
    `day_end`), on the phone without signal: the day clock does not count the evening. The clock is this test's own
    (the suite puts it back), so it needs no calendar mark."""
    day = date(2026, 11, 13)
    server_clock.set_now(datetime.combine(day, time(7, 0), ZoneInfo(TZ)))
    api(live_server, "/api/routes/plan", token(live_server, "rep2"), {"date": day.isoformat()})  # Today opens on it
    at = datetime.combine(day, time(18, 30), ZoneInfo(TZ))
    server_clock.set_now(at)
    context, page, errors = open_today(browser, live_server, "rep2", at)
    try:
        wait_synced(page)
        page.goto("/#/clock")
        admin = page.locator("button[data-category='admin']")
        admin.click()
        expect(admin).to_have_attribute("aria-pressed", "true")
        context.set_offline(True)
        page.clock.fast_forward("20:00")  # 18:50: still running
        [mine] = running(page)
        assert mine["category"] == "admin"
        page.clock.fast_forward("20:00")  # 19:10
        for _ in range(100):  # the reminders' next look (every 15 s of the phone's clock) stops it
            if not running(page):
                break
            page.wait_for_timeout(100)
        ended = next(a for a in idb_all(page, "activities") if a["id"] == mine["id"])
        assert local(ended["started_at"]) == "18:30" and local(ended["ended_at"]) == "19:00", ended
        assert not errors, errors
    finally:
        context.close()


def test_in_a_visit_past_the_next_leave_by_the_reminder_says_when_the_visit_frees_the_rep_as_today_does(
    browser, live_server
):
    """A fixed day (rep2's), the first customer called on 20 minutes late and the visit still open when the
    second stop's leave-by time has gone by: the rep cannot leave now, so the phone's leave reminder gives the
    time the visit's planned time with the customer is up and when that gets there, as Today's next-stop card
    does (before: "Leave now"). The clock is this test's own (the suite puts it back): no calendar mark."""
    day = date(2026, 11, 16)
    server_clock.set_now(datetime.combine(day, time(7, 0), ZoneInfo(TZ)))
    t = token(live_server, "rep2")
    stops = sorted(
        api(live_server, "/api/routes/plan", t, {"date": day.isoformat()})["stops"], key=lambda s: s["position"]
    )
    first, second = stops[0], stops[1]
    checked_in = datetime.fromisoformat(first["planned_arrival"]) + timedelta(minutes=20)
    free = checked_in + timedelta(minutes=first["service_minutes"])
    leave_by = datetime.fromisoformat(second["planned_arrival"]) - timedelta(minutes=second["travel_minutes"])
    at = leave_by + timedelta(minutes=1)
    assert checked_in <= at < free, (checked_in, at, free)  # the day's shape this test is about
    server_clock.set_now(checked_in + timedelta(minutes=1))
    api(live_server, "/api/visits", t, {"account_id": first["account_id"], "purpose": "Planned call",
                                        "check_in_at": checked_in.isoformat()})  # fmt: skip
    server_clock.set_now(at)
    context, page, errors = open_today(browser, live_server, "rep2", at)
    try:
        wait_until(page, "() => document.querySelector('#open-visit') !== null")
        wait_synced(page)
        texts = page.evaluate(
            "async () => (await (await import('/js/reminders.js')).dueReminders(null, new Date()))"
            ".filter((r) => r.kind === 'leave').map((r) => r.text)"
        )
        hhmm = lambda moment: moment.astimezone(ZoneInfo(TZ)).strftime("%H:%M")
        there = free + timedelta(minutes=second["travel_minutes"])
        assert texts == [
            f"Leave by {hhmm(free)} for stop 2, {idb_name(page, second['account_id'])} (arrive {hhmm(there)})."
        ]
        expect(page.locator("#route li.stop[data-state=next]")).to_contain_text(hhmm(free))  # Today says the same
        assert not errors, errors
    finally:
        context.close()


def idb_name(page, account_id):
    return next(a["name"] for a in idb_all(page, "accounts") if a["id"] == account_id)
