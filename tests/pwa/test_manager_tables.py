"""The manager's tables at 360x740 in zh-CN. Two reps with the same display name: the daily report, the weekly
review and the scorecard tell them apart by the username. The weekly review opens on the last complete week
while the current one has no working day over. The module runs at one fixed instant (`fixed_clock`, a
Wednesday); the week test moves the app's clock (server and browser) to the days it needs and back."""

import pytest
from playwright.sync_api import expect

from server import clock as server_clock
from server.extensions import db
from tests.pwa.conftest import PASSWORD, phone_context, shot
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
    page.goto("/")
    page.locator("#username").fill("manager")
    page.locator("#password").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_selector("nav")


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
