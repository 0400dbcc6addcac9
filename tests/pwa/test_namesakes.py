"""Two reps with the same display name on the manager's tables (360x740, zh-CN): the daily report, the weekly
review and the scorecard tell them apart by the username. At one fixed instant (`fixed_clock`): nothing here turns on the date."""

import pytest
from playwright.sync_api import expect

from server.extensions import db
from tests.pwa.conftest import PASSWORD, phone_context, shot

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


def test_reps_of_the_same_name_are_told_apart_by_their_username(browser, namesakes):
    context = phone_context(browser, namesakes.url, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto("/")
        page.locator("#username").fill("manager")
        page.locator("#password").fill(PASSWORD)
        page.locator("#login-form button[type=submit]").click()
        page.wait_for_selector("nav")
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
