"""Today knows the time, in Chromium with the clock set inside the rep's planned day: the stop
visited is done with its times, the next one is highlighted with its leave-by time, and the header
says how far behind the plan the rep is, offline."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.pwa.conftest import PASSWORD, TZ, phone_context, shot, today_local, wait_synced
from tests.pwa.test_field_app import api, token


def test_today_tells_done_next_and_how_far_behind(browser, live_server):
    t = token(live_server, "rep1")
    me = api(live_server, "/api/auth/me", t)["id"]
    plan = api(live_server, f"/api/routes/{me}/{today_local()}", t)
    stops = sorted(plan["stops"], key=lambda s: s["position"])
    assert len(stops) >= 3
    second = datetime.fromisoformat(stops[1]["planned_arrival"])
    at = second + timedelta(minutes=15)  # a quarter of an hour after the second stop was due
    context = phone_context(browser, live_server.url, at=at)
    try:
        page = context.new_page()
        page.goto("/")
        page.get_by_label("Username").fill("rep1")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("#route")
        wait_synced(page)
        page.goto(f"/#/visit/new?account={stops[0]['account_id']}")
        page.get_by_label("Purpose of this visit (required)").fill("First stop")
        page.get_by_role("button", name="Check in").click()
        page.wait_for_selector("#visit-form")
        page.get_by_role("button", name="Check out").click()
        page.wait_for_selector("text=Checked out at")
        context.set_offline(True)
        page.get_by_role("link", name="Today").click()
        page.wait_for_selector("#route")
        first, nxt = page.locator("#route li.stop").nth(0), page.locator("#route li.stop").nth(1)
        assert first.get_attribute("data-state") == "done"
        expect(first).to_contain_text("Done")
        assert nxt.get_attribute("data-state") == "next"
        leave_by = (second - timedelta(minutes=stops[1]["travel_minutes"])).astimezone(ZoneInfo(TZ)).strftime("%H:%M")
        expect(nxt).to_contain_text(f"Next: leave by {leave_by}")
        behind = 15 + stops[1]["travel_minutes"]
        expect(page.locator("#day-delay")).to_have_text(f"{behind} min behind the plan")
        assert [s.get_attribute("data-state") for s in page.locator("#route li.stop").all()][2:] == ["later"] * (len(stops) - 2)
        shot(page, "today-now")
    finally:
        context.close()


def test_a_managers_replan_is_announced_on_the_reps_phone(page, live_server):
    from tests.pwa.conftest import log_in

    log_in(page, "rep1")
    wait_synced(page)
    t = token(live_server, "rep1")
    me = api(live_server, "/api/auth/me", t)["id"]
    boss = token(live_server, "manager")
    api(live_server, "/api/routes/plan", boss, {"date": today_local().isoformat(), "rep_id": me})
    page.locator("#sync-status").click()
    wait_synced(page)
    notice = page.locator("#plan-notices")
    expect(notice).to_contain_text("was changed by 陈经理 Manager Chen at")
    shot(page, "today-plan-changed")
    notice.get_by_role("button", name="Dismiss").click()
    expect(page.locator("#plan-notices")).to_have_count(0)


def test_at_eleven_with_stops_done_and_one_absent_the_rest_of_the_day_is_replanned_from_here(browser, live_server):
    from tests.pwa.conftest import PASSWORD as PW

    t = token(live_server, "rep2")
    me = api(live_server, "/api/auth/me", t)["id"]
    plan = api(live_server, "/api/routes/plan", t, {"date": today_local().isoformat()})
    stops = sorted(plan["stops"], key=lambda s: s["position"])
    assert len(stops) >= 5
    eleven = datetime.combine(today_local(), datetime.min.time(), ZoneInfo(TZ)).replace(hour=11)
    context = phone_context(browser, live_server.url, at=eleven)
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": 31.2, "longitude": 121.45, "accuracy": 20})
    try:
        page = context.new_page()
        page.goto("/")
        page.get_by_label("Username").fill("rep2")
        page.get_by_label("Password").fill(PW)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("#route")
        wait_synced(page)
        for i, stop in enumerate(stops[:3]):
            page.goto(f"/#/visit/new?account={stop['account_id']}")
            page.get_by_label("Purpose of this visit (required)").fill(f"Stop {i + 1}")
            page.get_by_role("button", name="Check in").click()
            page.wait_for_selector("#visit-form")
            if i == 2:
                page.get_by_label(re.compile("Customer not met")).check()  # the buyer was out
            page.get_by_role("button", name="Check out").click()
            page.wait_for_selector("text=Checked out at")
        wait_synced(page, 0)
        page.get_by_role("link", name="Today").click()
        page.get_by_role("button", name="Re-plan the rest of today").click()
        preview = page.locator("#replan-preview")
        expect(preview).to_contain_text("The rest of today, from here")
        visited = {s["account_id"] for s in stops[:3]}
        shot(page, "today-replan-preview")
        page.get_by_role("button", name="Use this plan").click()
        page.wait_for_function("() => !document.querySelector('#replan-preview')")
        stored = api(live_server, f"/api/routes/{me}/{today_local()}", t)["stops"]
        assert stored and not visited & {s["account_id"] for s in stored}
        assert min(datetime.fromisoformat(s["planned_arrival"]) for s in stored) >= eleven
        times = page.locator("#route li.stop .time").all_inner_texts()
        assert times and min(times) >= "11:00"
    finally:
        context.close()
