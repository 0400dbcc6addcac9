"""The Team screen opens on the scorecard: on a 1280x800 desktop every one of 20 reps' rows is on screen without
scrolling, any column sorts by keyboard and tap, each mark says its rule; on a 360x740 phone in zh-CN the reps
are cards. A rep's name opens that rep's week."""

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from server.extensions import db
from tests.pwa.conftest import DESKTOP, PHONE, shot, start_live_server, today_local
from tests.pwa.test_team_lists import manager_page

REPS = 20


@pytest.fixture(scope="module")
def team20(tmp_path_factory):
    """The demo with 20 reps of 40 accounts, three weeks of history, and targets for half of them (this
    month and the last), so the won and pipeline columns carry marks."""
    today = today_local()
    server = start_live_server(tmp_path_factory.mktemp("team20"), today, reps=REPS)
    with server.app.app_context():
        from server.models import SalesTarget, User

        this_month = today.replace(day=1)
        last_month = (this_month.replace(day=1) - date.resolution).replace(day=1)
        db.session.query(SalesTarget).delete()  # the demo's own targets (every rep) give way to these
        for n in range(1, REPS + 1, 2):
            rep = db.session.query(User).filter_by(username=f"rep{n}").one()
            for month in (last_month, this_month):
                db.session.add(SalesTarget(rep_id=rep.id, month=month, amount=Decimal(60000 * n)))
        db.session.commit()
        db.session.remove()
    yield server
    server.stop()
    with server.app.app_context():
        db.engine.dispose()


def open_team(browser, server, viewport, locale="en-US"):
    context, page, errors = manager_page(browser, server, viewport, locale)
    expect(page.locator("#scorecard tbody tr")).to_have_count(REPS, timeout=30_000)
    return context, page, errors


def column(page, key):
    return page.locator(f"#scorecard tbody td[data-col='{key}']").all_inner_texts()


def numbers(texts):
    """The first figure of each cell ("✓ 12 / 15" is 12, "¥86,000" is 86000, "–" is None)."""
    out = []
    for text in texts:
        found = re.search(r"-?\d[\d,]*(?:\.\d+)?", text)
        out.append(float(found.group().replace(",", "")) if found else None)
    return out


def descending(values):
    figures = [v for v in values if v is not None]
    return figures == sorted(figures, reverse=True) and values[: len(figures)] == figures  # none last


@pytest.mark.calendar
def test_the_scorecard_shows_20_reps_on_one_desktop_screen_and_sorts(browser, team20):
    context, page, errors = open_team(browser, team20, DESKTOP)
    try:
        # Every rep's row, and the team's, between the header bar and the tab bar, without scrolling.
        assert page.evaluate("window.scrollY") == 0
        bar = page.locator("header.bar").bounding_box()
        tabs = page.locator("#tabs").bounding_box()
        rows = page.locator("#scorecard tbody tr, #scorecard tfoot tr")
        assert rows.count() == REPS + 1
        for i in range(rows.count()):
            box = rows.nth(i).bounding_box()
            assert box["y"] >= bar["y"] + bar["height"] - 1, f"row {i} under the header bar"
            assert box["y"] + box["height"] <= tabs["y"] + 1, f"row {i} below the fold: {box} vs tabs at {tabs['y']}"
        page.wait_for_function("document.documentElement.scrollWidth <= window.innerWidth")  # once drawn
        # The sync state is a button of its own size beside the others, not the header's whole width.
        assert page.locator("header.bar .sync").bounding_box()["width"] <= 22 * 16 + 1
        # Reps by name as people read it: the server's order; the name column says it is sorted.
        header = page.locator("#scorecard thead th[data-col='name']")
        expect(header).to_have_attribute("aria-sort", "ascending")
        # A figure's column sorts largest first on a click, smallest first on the next; nothing else is sorted.
        page.locator("[data-sort='pipeline']").click()
        expect(page.locator("#scorecard thead th[data-col='pipeline']")).to_have_attribute("aria-sort", "descending")
        expect(header).to_have_attribute("aria-sort", "none")
        pipeline = numbers(column(page, "pipeline"))
        assert descending(pipeline) and len(set(pipeline)) > 1, pipeline
        page.locator("[data-sort='pipeline']").click()
        expect(page.locator("#scorecard thead th[data-col='pipeline']")).to_have_attribute("aria-sort", "ascending")
        assert numbers(column(page, "pipeline")) == sorted(pipeline)
        # The keyboard: the face-to-face heading is a button; Enter sorts by it.
        page.locator("[data-sort='face']").focus()
        page.keyboard.press("Enter")
        expect(page.locator("#scorecard thead th[data-col='face']")).to_have_attribute("aria-sort", "descending")
        assert descending(numbers(column(page, "face")))
        assert page.evaluate("document.activeElement.dataset.sort") == "face"
        # Names: Enter on the rep heading sorts A-Z, again Z-A.
        page.locator("[data-sort='name']").focus()
        page.keyboard.press("Enter")
        names = page.locator("#scorecard tbody th").all_inner_texts()
        page.keyboard.press("Enter")
        expect(header).to_have_attribute("aria-sort", "descending")
        assert page.locator("#scorecard tbody th").all_inner_texts() == names[::-1]
        # Every mark carries a symbol and a word besides its colour, and its rule as a tooltip; the rules are
        # written out under the table.
        marked = page.locator("#scorecard tbody td[data-mark]")
        assert marked.count() >= REPS * 3
        for i in range(0, marked.count(), 7):
            mark = marked.nth(i)
            kind = mark.get_attribute("data-mark")
            assert mark.locator(".sym").inner_text() == {"good": "✓", "warn": "!", "bad": "✗"}[kind]
            words = {"good": "on track", "warn": "watch", "bad": "act"}
            assert mark.locator(".mark-word").text_content().strip() == words[kind]
            assert len(mark.get_attribute("title")) > 40
        face = page.locator("#scorecard tbody td[data-col='face']").first.get_attribute("title")
        assert "18.9 %" in face and "goal of 30 %" in face
        expect(page.locator("#scorecard-rules")).to_contain_text("A/B/C cadence")
        # The won column carries a mark for the reps with a target, none for the others.
        won = {m.get_attribute("data-mark") for m in page.locator("#scorecard tbody td[data-col='won_amount']").all()}
        assert None in won and won - {None}
        assert page.locator("#scorecard tbody td[data-col='stage_D']").first.inner_text().startswith("¥")
        page.locator("[data-sort='name']").focus()  # the shot shows the table as it opens, sorted by name
        page.keyboard.press("Enter")
        shot(page, "scorecard-1280x800")
        # The same figures as CSV, a line per rep and the team's.
        with page.expect_download() as download:
            page.locator("#scorecard-csv").click()
        with open(download.value.path(), encoding="utf-8-sig") as f:
            lines = f.read().splitlines()
        assert (
            "marks_visits" in lines[0].split(",") and len(lines) == 1 + REPS + 1 and lines[-1].split(",")[1] == "TEAM"
        )
        # One tap into a rep's week.
        first = page.locator("#scorecard tbody tr").first
        rep = first.get_attribute("data-rep")
        first.locator("a.rep-week").click()
        expect(page).to_have_url(re.compile(rf"#/week\?rep={rep}&week=\d{{4}}-\d\d-\d\d$"))
        expect(page.locator("#week-reviews .week")).to_have_count(1)
        assert page.locator("#week-reviews .week").get_attribute("data-rep") == rep
    finally:
        context.close()
    assert not errors, errors


@pytest.mark.calendar
def test_the_scorecard_is_cards_on_a_phone_in_chinese(browser, team20):
    context, page, errors = open_team(browser, team20, PHONE, locale="zh-CN")
    try:
        expect(page.locator("#scorecard thead th[data-col='visits']")).to_contain_text("见面拜访")
        # No sideways scroll once the screen has drawn (while its reports arrive, a table may stand wider a moment).
        page.wait_for_function("document.documentElement.scrollWidth <= window.innerWidth")
        cards = page.locator("#scorecard tbody tr")
        box = cards.first.bounding_box()
        assert box["width"] <= PHONE["width"] and box["height"] > 100  # a card, not a squeezed table row
        # Each figure is labelled on the card, and marked in words.
        first = cards.first
        assert "面谈占比" in first.locator("td[data-col='face']").evaluate(
            "(td) => getComputedStyle(td, '::before').content"
        )
        assert first.locator("td[data-mark] .mark-word").first.is_visible()
        assert first.locator("td[data-mark] .mark-word").first.inner_text().strip() in ("达标", "关注", "需改进")
        # A mark's word is never split over two lines (需 / 改进 read as two words).
        assert page.evaluate(
            "[...document.querySelectorAll('#scorecard .mark-word')].every((e) => e.getClientRects().length === 1)"
        )
        # The overdue list's rows: the name across the card, its facts on a line of their own below it.
        row = page.locator("#overdue-list a.item").first
        expect(row).to_be_visible()
        name_line, facts = row.locator(".tag").bounding_box(), row.locator(".muted").bounding_box()
        assert facts["y"] >= name_line["y"] + name_line["height"] - 1, (name_line, facts)
        assert facts["width"] > 0.7 * row.bounding_box()["width"]
        # The sort buttons are tap-sized; a tap sorts the cards.
        chip = page.locator("[data-sort='overdue_a']")
        assert chip.bounding_box()["height"] >= 44
        chip.click()
        expect(page.locator("#scorecard thead th[data-col='overdue_a']")).to_have_attribute("aria-sort", "descending")
        assert descending(numbers(column(page, "overdue_a")))
        # The rep's name is a tap target into the week.
        assert first.locator("a.rep-week").bounding_box()["height"] >= 44
        expect(page.locator("#scorecard-rules")).to_contain_text("拜访周期")
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, "scorecard-360x740-zh")
    finally:
        context.close()
    assert not errors, errors
