"""The manager's tables at 360x740 in zh-CN. Two reps with the same display name: the daily report, the weekly
review and the scorecard tell them apart by the username. The weekly review opens on the last complete week
while the current one has no working day over. The rep-day panel counts the rep's day in the team's zone,
not the manager's browser's. The module runs at one fixed instant (`fixed_clock`, a
Wednesday); the week test moves the app's clock (server and browser) to the days it needs and back."""

import re

import pytest
from playwright.sync_api import expect

from server import clock as server_clock
from server.extensions import db
from tests.pwa.conftest import log_in, phone_context, shot
from tests.pwa.test_notices import call, login_token

pytestmark = pytest.mark.usefixtures("fixed_clock")
NAMESAKES = ["孙军（rep1）", "孙军（rep2）"]


@pytest.fixture(scope="module")
def namesakes(live_server):
    with live_server.app.app_context():
        from server.models import User

        for rep in db.session.query(User).filter(User.username.in_(["rep1", "rep2"])):
            rep.display_name = "孙军"
        db.session.commit()
        db.session.remove()
    return live_server


def _manager(page):
    log_in(page, "manager", wait="nav")


def test_reps_of_the_same_name_are_told_apart_by_their_username(browser, namesakes):
    context = phone_context(browser, namesakes.url, locale="zh-CN")
    try:
        page = context.new_page()
        _manager(page)
        page.goto("/#/team")
        scorecard = page.locator("table.scorecard tbody a.rep-week")
        expect(scorecard).to_have_count(2)
        assert sorted(scorecard.all_inner_texts()) == NAMESAKES
        page.goto("/#/report")
        daily = page.locator("#daily-summary tbody th a")
        expect(daily).to_have_count(2)
        assert sorted(daily.all_inner_texts()) == NAMESAKES
        assert sorted(page.locator("details.daily summary").all_inner_texts()) == NAMESAKES
        shot(page, "namesakes-daily-zh")
        page.goto("/#/week")
        weekly = page.locator("#week-summary tbody th a")
        expect(weekly).to_have_count(2)
        assert sorted(weekly.all_inner_texts()) == NAMESAKES
        assert sorted(page.locator("details.week summary").all_inner_texts()) == NAMESAKES
    finally:
        context.close()


@pytest.mark.parametrize(
    ("at", "working_days", "opens"),
    [
        ("2026-11-16T10:00:00+08:00", [1, 2, 3, 4, 5], "2026-11-09"),  # a Monday: last week
        ("2026-11-17T10:00:00+08:00", [1, 2, 3, 4, 5], "2026-11-16"),  # Tuesday: Monday is over, this week
        ("2026-11-17T10:00:00+08:00", [2, 3, 4, 5, 6], "2026-11-09"),  # a team working Tuesday to Saturday
    ],
)
def test_the_weekly_review_opens_on_the_last_complete_week_until_a_working_day_is_over(
    browser, live_server, at, working_days, opens
):
    manager = login_token(live_server, "manager")
    team = call(live_server, "GET", "/api/auth/me", manager)["team_id"]
    call(live_server, "PATCH", f"/api/teams/{team}/settings", manager, {"working_days": working_days})
    saved = server_clock.state()
    server_clock.set_now(at)  # the app's clock on the day (the browser's follows it, see phone_context)
    context = phone_context(browser, live_server.url, locale="zh-CN")
    try:
        page = context.new_page()
        _manager(page)
        page.goto("/#/week")
        expect(page.locator("#week-reviews")).to_have_attribute("data-week", opens)
        expect(page.locator("#week-date")).to_have_value(opens)
        expect(page.locator("#week-summary tbody tr")).to_have_count(2)
    finally:
        context.close()
        server_clock.restore(saved)
        call(live_server, "PATCH", f"/api/teams/{team}/settings", manager, {"working_days": [1, 2, 3, 4, 5]})


@pytest.mark.parametrize("zone", ["Europe/London", "America/Los_Angeles"])
def test_the_rep_day_panel_counts_the_reps_day_in_the_teams_zone(browser, live_server, zone):
    """At 10:00 in the team's zone (Shanghai, the fixed instant) rep2's day has begun (first appointment 08:45):
    a manager whose browser reads 02:00 (London) or 18:00 the day before (Los Angeles) still plans the rest of
    the team's today from now, and the panel's date is the team's."""
    with live_server.app.app_context():
        from server.models import User

        rep2 = str(db.session.query(User.id).filter_by(username="rep2").scalar())
        db.session.remove()
    context = phone_context(browser, live_server.url, locale="zh-CN", timezone_id=zone)
    try:
        page = context.new_page()
        _manager(page)
        page.goto(f"/#/week?rep={rep2}")
        expect(page.locator("#rep-day-date")).to_have_value("2026-11-18")
        assert page.locator("#rep-day-date").get_attribute("min") == "2026-11-18"
        with page.expect_request(lambda r: r.url.endswith("/api/routes/plan") and r.method == "POST") as sent:
            page.locator("#rep-day-plan").click()
        body = sent.value.post_data_json
        assert body["date"] == "2026-11-18" and "at" in body["start"], body
        expect(page.locator("#rep-day-status")).to_have_text(re.compile("^已规划并保存"))
    finally:
        context.close()
