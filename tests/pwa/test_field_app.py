"""The field app in a real browser at phone size: log in, today's route, accounts, visits offline."""

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.pwa.conftest import (
    IDB_GET_META,
    IDB_PUT_META,
    PASSWORD,
    idb_all,
    log_in,
    record_visit,
    shot,
    today_local,
    wait_controlled,
    wait_synced,
    waiting_text,
)


def api(live_server, path, token=None, body=None):
    request = urllib.request.Request(
        live_server.url + path,
        method="POST" if body is not None else "GET",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def outbox_ids(page):
    return {m["entity_id"] for m in idb_all(page, "outbox")}


def records(page):
    """Records waiting to sync, as the indicator counts them (a record once, however many edits)."""
    return len(outbox_ids(page))


def token(live_server, username="rep1"):
    return api(live_server, "/api/auth/login", body={"username": username, "password": PASSWORD})["access_token"]


@pytest.mark.calendar
def test_log_in_see_todays_route_and_open_an_account(page, live_server):
    tiles = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"  # the company's own tile server, as the server names it

    # The team's settings name the tile source the phone draws with (tests/pwa/test_maps.py: each datum).
    def own_tiles(route):
        answer = route.fetch().json()
        route.fulfill(json={**answer, "map": {**answer["map"], "url": tiles, "attribution": "Own tiles"}})

    page.route("**/api/settings", own_tiles)
    log_in(page)
    wait_synced(page)
    stops = page.locator("#route li.stop")
    plan = api(
        live_server,
        f"/api/routes/{api(live_server, '/api/auth/me', token(live_server))['id']}/{today_local()}",
        token(live_server),
    )
    assert stops.count() == len(plan["stops"]) > 0
    first = stops.first
    # Read as text content: a stop below the screen is laid out only as it comes near (content-visibility), and
    # until then its inner text (what layout gives) is empty.
    expect(first.locator(".time")).to_have_text(_hhmm(plan["stops"][0]["planned_arrival"]))
    assert first.locator("a[href^='geo:']").count() == 1
    # The map draws once the day is on screen and the phone idle, its pins a few at a task: every stop gets one.
    expect(page.locator("#today-map .leaflet-marker-icon")).to_have_count(len(plan["stops"]))
    assert (
        page.locator("#today-map img.leaflet-tile").first.get_attribute("src").startswith("http://127.0.0.1:9/tiles/")
    )
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
    return api(live_server, f"/api/visits?rep_id={me['id']}&from={today_local()}T00:00:00%2B08:00&per_page=500", t)[
        "items"
    ]


@pytest.mark.calendar
def test_offline_reload_record_queue_and_drain_exactly_once(context, page, live_server):
    log_in(page, "rep2")
    wait_synced(page)
    wait_controlled(page)
    before = {v["id"] for v in _rep_visits(live_server, "rep2")}
    names = [a["name"] for a in idb_all(page, "accounts")]

    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#route, #plan-today, #day-over")
    page.get_by_role("link", name="Accounts").click()
    page.wait_for_selector("#account-list a.item")
    assert page.locator("#account-list a.item").count() == min(len(names), 100)
    shot(page, "accounts-offline")

    first = record_visit(page, names[0])
    page.get_by_role("link", name="Accounts").click()
    second = record_visit(page, names[1], purpose="Demo the new colour model")
    # The two visits, and the day clock they ran (face-to-face from each check-in, travel after).
    waiting_text(page, records(page))
    assert {first, second} <= outbox_ids(page)
    assert "Offline" in page.locator("#sync-status").inner_text()
    shot(page, "visit-offline")
    page.get_by_role("link", name="Day clock").click()
    page.get_by_role("button", name="Admin").click()
    page.wait_for_selector("button[data-category='admin'][aria-pressed='true']")
    waiting = records(page)
    waiting_text(page, waiting)
    shot(page, "day-clock")
    page.get_by_role("button", name="Admin").click()  # tapping the running activity stops it
    page.wait_for_selector("text=Nothing running.")
    waiting_text(page, waiting)

    page.close()
    again = context.new_page()
    again.goto("/")
    again.wait_for_selector("#route, #plan-today, #day-over")
    waiting_text(again, waiting)
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
        tokens = (
            create_access_token(identity=user, expires_delta=gone),
            create_refresh_token(identity=user, expires_delta=gone),
        )
        db.session.remove()
    return tokens


@pytest.mark.calendar
def test_token_expiring_offline_keeps_the_queue_until_the_rep_logs_in_again(context, page, live_server):
    log_in(page, "rep2")
    wait_synced(page)
    before = {v["id"] for v in _rep_visits(live_server, "rep2")}
    context.set_offline(True)
    page.get_by_role("link", name="Accounts").click()
    visit_id = record_visit(page)
    waiting_text(page, records(page))
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


@pytest.mark.calendar
def test_tomorrow_replans_online_with_a_pin_and_says_so_offline(context, page, live_server):
    log_in(page, "rep1")
    wait_synced(page)
    page.get_by_role("link", name="Tomorrow", exact=True).click()
    page.get_by_role("button", name="Plan tomorrow").click()  # nothing planned yet: planned, not re-planned
    page.wait_for_selector("text=Plan updated.")
    free = [i.get_attribute("value") for i in page.locator("input[name='keep']:not([disabled])").all()]
    assert len(free) >= 2 and len(free) == len(set(free))  # an account is on the route once
    left_out, pinned_account = free[0], free[1]
    page.locator(f"li[data-account='{left_out}'] input[name='keep']").uncheck()
    page.locator(f"input[name='pin'][data-account='{pinned_account}']").fill("15:30")
    page.get_by_role("button", name="Re-plan").click()
    # "Plan updated." is still on screen from the first re-plan: wait for the plan the phone keeps instead.
    plan = _tomorrow_once(page, lambda plan: left_out not in {s["account_id"] for s in plan["stops"]})
    page.wait_for_selector("text=Plan updated.")
    shot(page, "tomorrow")
    stops = {s["account_id"]: s for s in plan["stops"]}
    assert left_out not in stops
    assert _hhmm(stops[pinned_account]["planned_arrival"]) == "15:30" and stops[pinned_account]["pinned"]
    # The map and each leg's travel minutes; 24-hour time fields whatever the locale.
    assert page.locator("#tomorrow-map .leaflet-marker-icon").count() == len(plan["stops"])
    assert page.locator("#tomorrow-stops li .leg-min").count() == len(plan["stops"])
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
    _tomorrow_once(page, lambda plan: outside["id"] in {s["account_id"] for s in plan["stops"]})
    page.wait_for_selector("text=Plan updated.")
    expect(page.get_by_role("button", name="Re-plan")).to_be_in_viewport()  # the button stays on screen
    context.set_offline(True)
    page.get_by_role("button", name="Re-plan").click()
    page.wait_for_selector("text=Re-planning needs a connection")


def _tomorrow_once(page, holds, timeout_s=60):
    """Tomorrow's plan as the phone keeps it, once `holds(plan)` (a re-plan's answer has been stored)."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        tomorrow = str(today_local() + _one_day())
        plan = next((p for p in idb_all(page, "route_plans") if p["plan_date"] == tomorrow), None)
        if plan is not None and holds(plan):
            return plan
        assert time.monotonic() < deadline, f"tomorrow's plan never came to hold: {plan}"
        page.wait_for_timeout(100)


def _one_day():
    from datetime import timedelta

    return timedelta(days=1)
