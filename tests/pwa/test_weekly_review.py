"""The weekly PDCA review in Chromium: the manager writes next week's focus on a desktop (1280×800), the
rep sees it on Today with no signal and reviews their own week on a phone (360×740)."""

import re
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest

from tests.pwa.conftest import DESKTOP, PASSWORD, log_in, phone_context, shot, today_local, wait_synced


def _no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.calendar
def test_the_manager_sets_the_focus_and_the_rep_sees_it_offline_and_in_their_review(browser, live_server):
    today = today_local()
    last_monday = today - timedelta(days=today.weekday() + 7)
    desk = phone_context(browser, live_server.url, viewport=DESKTOP)
    try:
        page = desk.new_page()
        page.goto("/")
        page.get_by_label("Username").fill("manager")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        wait_synced(page)  # the team's accounts are on this device: the focus form offers them
        page.get_by_role("link", name="Weekly review (PDCA) →").click()
        # The week the screen opens on is drawn first, and marked: on a Monday it is last week too, and a tap on
        # its summary would be undone when the week asked for below is drawn over it.
        page.locator("#week-reviews[data-week] #week-summary").wait_for()
        page.evaluate("() => { document.querySelector('#week-summary').dataset.before = '1'; }")
        page.get_by_label("Week of").fill(last_monday.isoformat())
        page.get_by_role("button", name="Show", exact=True).click()
        shown = f"#week-reviews[data-week='{last_monday.isoformat()}']"
        page.locator(f"{shown} #week-summary:not([data-before])").wait_for()
        summary = page.locator("#week-summary")
        assert summary.locator("tbody tr").count() == 2  # the live server's two reps, one line each
        summary.locator("a[data-open]").first.click()
        card = page.locator("details.week[open]")
        rep_id = card.get_attribute("data-rep")
        assert "Plan" in card.inner_text() and "Check" in card.inner_text()
        assert re.search(r"target for the week \S*\d", card.inner_text())
        assert not re.search(r"target for the week \S*\.\d\d", card.inner_text())  # a week's share in whole units
        card.get_by_label("What to focus on").nth(0).fill("See the biggest account twice")
        account = card.get_by_label("Account (optional)").nth(0)
        options = account.locator("option").all_inner_texts()
        account.select_option(index=1)
        chosen = options[1]
        card.get_by_label("What to focus on").nth(1).fill("Two demos booked")
        card.get_by_role("button", name="Save").click()
        card.get_by_text("Saved").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shot(page, "week-review-desktop")
        with page.expect_download() as download:
            page.get_by_role("button", name="CSV").click()
        with open(download.value.path(), encoding="utf-8-sig") as f:
            lines = f.read().splitlines()
        assert lines[0].startswith("rep_id,username,name") and len(lines) == 3  # a line per rep
        assert "See the biggest account twice" in "\n".join(lines)
    finally:
        desk.close()

    phone = phone_context(browser, live_server.url)
    try:
        page = phone.new_page()
        log_in(page, "rep1")
        wait_synced(page)
        phone.set_offline(True)
        page.goto("/#/today")
        focus = page.locator("#week-focus")
        focus.wait_for()
        assert "See the biggest account twice" in focus.inner_text() and chosen in focus.inner_text()
        assert "Two demos booked" in focus.inner_text()
        shot(page, "week-focus-today-offline")
        phone.set_offline(False)
        # This week by name: on the week's first working day the review opens on the last (test_manager_tables).
        page.goto(f"/#/week?week={(last_monday + timedelta(days=7)).isoformat()}")
        card = page.locator("article.week")
        card.wait_for()
        assert card.get_attribute("data-rep") == rep_id
        last = card.locator(".last-focus")
        assert "See the biggest account twice" in last.inner_text() and "visits" in last.inner_text()
        wide = page.evaluate("""[...document.querySelectorAll('body *')]
            .filter((e) => e.getBoundingClientRect().right > innerWidth + 1)
            .map((e) => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
            .slice(0, 8)""")
        assert _no_sideways_scroll(page), wide
        shot(page, "week-review-phone")
        # The rep writes next week's act themselves; the phone-sized form works as on the desktop.
        card.get_by_label("What to focus on").nth(0).fill("Call the three overdue A accounts")
        card.get_by_role("button", name="Save").click()
        card.get_by_text("Saved").wait_for()
    finally:
        phone.close()
    with live_server.app.app_context():
        from server.extensions import db
        from server.models import WeeklyReview

        stored = {(str(r.rep_id), r.week): [p["text"] for p in r.focus] for r in db.session.query(WeeklyReview)}
        db.session.remove()
    this_monday = last_monday + timedelta(days=7)
    assert stored[(rep_id, last_monday)] == ["See the biggest account twice", "Two demos booked"]
    assert stored[(rep_id, this_monday)] == ["Call the three overdue A accounts"]


@pytest.mark.calendar
def test_a_first_visit_within_the_tolerance_is_not_marked_late_in_the_week(browser, live_server):
    """The week's table of first visits marks late the days the 8:45 habit counts late: a first visit a few
    minutes after the rep's time (within the report's ten minutes) is on time in both, not "late" beside
    "on time 1/1" (a manager read 08:50 marked late for a rep whose week counted it on time)."""
    from tests.pwa.test_admin_screen import Api, user_id

    manager, rep = Api(live_server, "manager"), user_id(live_server, "rep2")
    today = today_local()
    last_monday = today - timedelta(days=today.weekday() + 7)
    review = lambda: manager("GET", f"/api/reports/weekly-review?week={last_monday}&rep_id={rep}")["reviews"][0]["do"]
    first = review()["first_visits"][0]
    hour, minute = map(int, first["at"].split(":"))
    own = manager("GET", f"/api/users/{rep}").get("first_appointment_time")
    at = hour * 60 + minute - 5  # the rep's time five minutes before that day's first visit: on time by the rule
    manager("PATCH", f"/api/users/{rep}", {"first_appointment_time": f"{at // 60:02d}:{at % 60:02d}"})
    # A past week counts by the time the rep had then: the change is dated before that week.
    _date_time_changes(live_server, rep, datetime.combine(last_monday - timedelta(days=1), time(0), UTC))
    try:
        days = {d["date"]: d for d in review()["first_visits"]}
        assert days[first["date"]]["on_time"] is True
        desk = phone_context(browser, live_server.url, viewport=DESKTOP)
        try:
            page = desk.new_page()
            page.goto("/")
            page.get_by_label("Username").fill("manager")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.locator("#tabs a").first.wait_for()
            page.goto(f"/#/week?week={last_monday.isoformat()}&rep={rep}")
            rows = page.locator("article.week table.first-visits tbody tr")
            rows.first.wait_for()
            texts = rows.all_inner_texts()
            assert len(texts) == len(days)
            for text, day in zip(texts, sorted(days)):
                marked = "Late" in text or "late" in text
                assert marked == (not days[day]["on_time"]), (text, days[day])
        finally:
            desk.close()
    finally:
        manager("PATCH", f"/api/users/{rep}", {"first_appointment_time": own})
        _date_time_changes(live_server, rep, None)  # the module's other tests read the demo's history


def _date_time_changes(live_server, rep, at):
    """The rep's first-appointment changes in the users' history dated `at`; None: gone."""
    from sqlalchemy import delete, update

    from server.extensions import db
    from server.models import UserChange

    mine = UserChange.user_id == uuid.UUID(rep)
    with live_server.app.app_context():
        db.session.execute(
            delete(UserChange).where(mine) if at is None else update(UserChange).where(mine).values(changed_at=at)
        )
        db.session.commit()
