"""A manager away from the desk, in Chromium at one fixed instant (see `fixed_clock`): plans and re-plans a
rep's day from the rep's week (1280×800 in English, 360×740 in Chinese), stored as the manager's change; and
with no signal the Team screen shows the figures last fetched, saying when."""

import re
import uuid
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from server.extensions import db
from server.models import Account, RoutePlan, User
from tests.conftest import FIXED_INSTANT
from tests.pwa.conftest import DESKTOP, PHONE, shot, today_local, wait_synced
from tests.pwa.test_field_app import api, token
from tests.pwa.test_team_lists import manager_page

pytestmark = pytest.mark.usefixtures("fixed_clock")


def _stored(live_server, rep_id, day):
    with live_server.app.app_context():
        plan = db.session.query(RoutePlan).filter_by(rep_id=uuid.UUID(rep_id), plan_date=day).one_or_none()
        answer = None
        if plan is not None:
            stops = [(s.account_id, db.session.get(Account, s.account_id).name) for s in plan.stops]
            answer = (plan.changed_by, stops, plan.version)
        db.session.remove()
    return answer


def _first_appointment(live_server, user_id, at):
    """Set a user's own first-appointment time; answers the one it had."""
    with live_server.app.app_context():
        user = db.session.get(User, uuid.UUID(user_id))
        before, user.first_appointment_time = user.first_appointment_time, at
        db.session.commit()
        db.session.remove()
    return before


def test_a_manager_plans_a_reps_day_from_the_reps_week(browser, live_server):
    manager = token(live_server, "manager")
    users = {u["username"]: u for u in api(live_server, "/api/users?role=rep", manager)["items"]}
    rep1 = users["rep1"]["id"]
    manager_id = api(live_server, "/api/auth/me", manager)["id"]
    day = today_local()
    before = _stored(live_server, rep1, day)
    # The manager's own first appointment is later than the clock (10:00), the rep's is not: whether the
    # rep's day has begun is the rep's time, not the manager's.
    managers_own = _first_appointment(live_server, manager_id, time(11, 0))
    context, page, errors = manager_page(browser, live_server, viewport=DESKTOP)
    try:
        wait_synced(page)  # the team's accounts are on this device: the stops are named
        page.goto(f"{live_server.url}/#/week?rep={rep1}")
        panel = page.locator("#rep-day")
        panel.wait_for()
        assert panel.get_attribute("data-rep") == rep1
        assert page.locator("#rep-day-date").input_value() == day.isoformat()
        # What is stored for the day shows first: its stops, or that there is none yet; a day without a plan is
        # no error, in the browser's console either.
        page.locator("#rep-day-summary, #rep-day-none").first.wait_for()
        console = []
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.locator("#rep-day-date").fill((day + timedelta(days=40)).isoformat())
        page.locator("#rep-day-form button[type=submit]").click()
        expect(page.locator("#rep-day-none")).to_have_text("No plan for this day yet.")
        expect(page.locator("#rep-day-plan")).to_have_text("Plan this day")
        assert console == []
        page.locator("#rep-day-date").fill(day.isoformat())
        page.locator("#rep-day-form button[type=submit]").click()
        page.locator("#rep-day-summary, #rep-day-none").first.wait_for()
        page.locator("#rep-day-plan").click()
        page.get_by_text("Planned and kept").wait_for()
        stops = panel.locator(".rep-day-stops li")
        assert stops.count() > 0
        assert page.locator("#rep-day-plan").inner_text() == "Re-plan this day"
        shot(page, "manager-plans-rep-day-desktop")
        changed_by, kept, version = _stored(live_server, rep1, day)
        assert str(changed_by) == manager_id  # stored as the manager's change
        assert [s.get_attribute("data-account") for s in stops.all()] == [str(a) for a, _ in kept]
        assert all(name in s.inner_text() for s, (_, name) in zip(stops.all(), kept, strict=True))
        assert before is None or version > before[2]
        # Today after 08:45 (the clock is at 10:00): the rest of the day, from the rep's home at this time.
        stored = api(live_server, f"/api/routes/{rep1}/{day}", manager)
        assert stored["start"]["latitude"] is None and stored["start"]["at"].startswith(day.isoformat())
        since = datetime.fromisoformat(stored["start"]["at"])
        assert since >= datetime.fromisoformat(FIXED_INSTANT)
        assert stored["stops"] and all(datetime.fromisoformat(s["planned_arrival"]) >= since for s in stored["stops"])
        # A past day is not planned: the panel says so and sends nothing.
        page.locator("#rep-day-date").fill((day.replace(day=1) if day.day > 1 else day).isoformat())
        if day.day > 1:
            page.locator("#rep-day-plan").click()
            page.get_by_text("A past day cannot be planned.").wait_for()
            assert _stored(live_server, rep1, day)[2] == version
        assert errors == []
    finally:
        context.close()
        _first_appointment(live_server, manager_id, managers_own)

    context, page, errors = manager_page(browser, live_server, viewport=PHONE, locale="zh-CN")
    try:
        wait_synced(page)  # the team's accounts are on this device: the stops are named
        page.goto(f"{live_server.url}/#/week?rep={rep1}")
        page.locator("#rep-day-summary").wait_for()
        assert "的行程" in page.locator("#rep-day h2").inner_text()
        assert page.locator("#rep-day-plan").inner_text() == "重新规划这一天"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.locator("#rep-day").scroll_into_view_if_needed()
        shot(page, "manager-plans-rep-day-phone-zh")
        assert errors == []
    finally:
        context.close()


def test_offline_the_team_screen_shows_the_figures_last_fetched_and_says_when(browser, live_server):
    context, page, errors = manager_page(browser, live_server, viewport=PHONE, locale="zh-CN")
    try:
        wait_synced(page)
        page.wait_for_selector("#report-time-ratios table:not(.chart-data)")
        expect(page.locator("#scorecard")).to_have_attribute("aria-busy", "false")
        online_rows = page.locator("#scorecard [data-rep]").count()
        online_funnel = page.locator("#report-funnel table:not(.chart-data) tbody").inner_text()
        assert online_rows == 2
        context.set_offline(True)
        page.goto(f"{live_server.url}/#/accounts")
        page.goto(f"{live_server.url}/#/team")
        expect(page.locator("#team-error")).to_contain_text("离线：显示")
        expect(page.locator("#scorecard [data-rep]")).to_have_count(online_rows)
        assert page.locator("#report-funnel table:not(.chart-data) tbody").inner_text() == online_funnel
        expect(page.locator("#overdue-accounts")).to_have_text("此列表需要网络。")
        shot(page, "team-offline-kept-zh")
        assert errors == []
    finally:
        context.close()


def test_a_manager_gives_accounts_to_a_new_rep_who_is_then_planned(browser, live_server):
    """No SQL and no CSV: the manager makes a rep, gives them an account from its page (360×740, Chinese),
    and the new rep's day can be planned with it."""
    manager = token(live_server, "manager")
    reps = api(live_server, "/api/users?role=rep", manager)["items"]
    rep1 = next(u for u in reps if u["username"] == "rep1")
    new_rep = {
        "username": "rep-new",
        "display_name": "新人 New",
        "role": "rep",
        "password": "a-Temporary-pass-9",
        "start_lat": 31.23,
        "start_lng": 121.47,
    }
    created = api(live_server, "/api/users", manager, new_rep)
    account = next(
        a
        for a in api(live_server, f"/api/accounts?owner_id={rep1['id']}&per_page=50", manager)["items"]
        if a["latitude"]
    )
    context, page, errors = manager_page(browser, live_server, viewport=PHONE, locale="zh-CN")
    try:
        wait_synced(page)
        page.goto(f"{live_server.url}/#/account/{account['id']}/edit")
        owner = page.locator("#f-owner-id")
        owner.wait_for()
        assert page.locator('label[for="f-owner-id"]').inner_text() == "销售"
        assert owner.input_value() == rep1["id"]
        owner.select_option(created["id"])
        shot(page, "manager-gives-account-zh")
        page.locator("#save-record").click()
        page.wait_for_url(f"**/#/account/{account['id']}")
        wait_synced(page)
        assert api(live_server, f"/api/accounts/{account['id']}", manager)["owner_id"] == created["id"]
        assert errors == []
    finally:
        context.close()
    # The new rep's day takes the account given.
    plan = api(
        live_server,
        "/api/routes/plan",
        manager,
        {"rep_id": created["id"], "date": today_local().isoformat(), "include": [account["id"]], "preview": True},
    )
    assert account["id"] in {s["account_id"] for s in plan["stops"]}
    # A rep is not offered the choice, and the server refuses it from a rep.
    rep_token = token(live_server, "rep1")
    me = api(live_server, "/api/auth/me", rep_token)
    assert me["may"]["reassign_account"] is False


def test_a_manager_sees_which_accounts_the_reps_day_left_out_and_why(browser, live_server):
    """The panel said only "14 left out": which accounts wait, and why (no room in the day, the rep's own
    leave-out), is listed under it by name, folded, as the stored plan says (a manager reading it in Chinese)."""
    manager = token(live_server, "manager")
    users = {u["username"]: u for u in api(live_server, "/api/users?role=rep", manager)["items"]}
    rep1, day = users["rep1"]["id"], today_local()
    context, page, errors = manager_page(browser, live_server, viewport=PHONE, locale="zh-CN")
    try:
        wait_synced(page)  # the team's accounts are on this device: the left-out ones are named
        page.goto(f"{live_server.url}/#/week?rep={rep1}")
        page.locator("#rep-day-summary, #rep-day-none").first.wait_for()
        page.locator("#rep-day-plan").click()
        page.get_by_text("已规划并保存").wait_for()
        stored = api(live_server, f"/api/routes/{rep1}/{day}", manager)
        assert stored["dropped"], "the live server's rep1 has more due accounts than one day holds"
        folded = page.locator("#rep-day-left-out")
        expect(folded.locator("summary")).to_have_text(f"{len(stored['dropped'])} 个未排入")
        assert folded.get_attribute("open") is None  # folded: the day's stops come first
        folded.locator("summary").click()
        items = folded.locator("li")
        expect(items).to_have_count(len(stored["dropped"]))
        with live_server.app.app_context():
            names = {str(a.id): a.name for a in db.session.query(Account)}
            db.session.remove()
        for item, left in zip(items.all(), stored["dropped"], strict=True):
            assert item.get_attribute("data-account") == left["id"]
            text = item.inner_text()
            assert names[left["id"]] in text
            assert not re.search(r"[a-z]+_[a-z_]+|drop\.", text), text  # a reason in words, not its code
            assert re.search(r"[\u4e00-\u9fff]", text.replace(names[left["id"]], "")), text
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shot(page, "manager-rep-day-left-out-phone-zh")
        assert errors == []
    finally:
        context.close()
