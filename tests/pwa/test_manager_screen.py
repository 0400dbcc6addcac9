"""The manager's screen in the browser: the team's numbers as charts and tables, cells to accounts, CSV."""

import json
import re
import urllib.request
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from server import clock
from tests.pwa.conftest import ARTEFACTS, PASSWORD, SCREENS, log_in, phone_context, shot
from tests.pwa.test_field_app import token


@pytest.fixture(params=sorted(SCREENS))
def screen(request):
    """The screen a manager's test runs on: a 360×740 phone, then a 1280×800 desktop."""
    return request.param


@pytest.fixture
def screen_page(browser, live_server, screen):
    context = phone_context(browser, live_server.url, service_workers="allow", viewport=SCREENS[screen])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


# Where the funnel chart's widest label line starts (less than 0: cut at the canvas's edge), and its lines.
FUNNEL_LABELS = """() => { const chart = Chart.getChart(document.querySelector('#chart-funnel')); const ctx = chart.ctx;
  const starts = chart.scales.y.getLabelItems().flatMap((item) => { // each drawn right-aligned at its x
    ctx.save(); ctx.font = item.font.string;
    const left = [item.label].flat().map((line) => item.options.translation[0] - ctx.measureText(line).width);
    ctx.restore(); return left; });
  return [Math.min(...starts), chart.data.labels.flat()]; }"""


@pytest.mark.calendar
def test_manager_sees_the_team_numbers_opens_a_mif_cell_and_downloads_csv(screen_page, live_server, screen):
    page = screen_page
    log_in(page, "manager", wait="#report-time-ratios table:not(.chart-data)")
    ratios = page.locator("#report-time-ratios table:not(.chart-data) tbody tr")
    assert ratios.count() == 3  # rep1, rep2 and the team line
    # Chart.js loads when the tables are there; the chart follows.
    page.wait_for_function(
        "() => { const c = document.querySelector('#chart-split');"
        " return !!window.Chart && c.width > 0 && !!Chart.getChart(c); }"
    )
    # The funnel's stage labels are whole: "conv. 65.5% · 2.5 d in stage" on one line was wider than the axis a phone
    # leaves it (half the chart) and was cut at its start.
    page.wait_for_function("() => !!Chart.getChart(document.querySelector('#chart-funnel'))")
    left, lines = page.evaluate(FUNNEL_LABELS)
    assert len(lines) >= 12 and left >= 0, (left, lines)
    for name in (
        "first-appointment",
        "activity",
        "funnel",
        "method-ratios",
        "cadence",
        "coverage",
        "qualification",
        "win-loss",
        "hunting-farming",
        "installed-base",
        "targets",
    ):
        expect(page.locator(f"#report-{name}")).to_be_visible()
    shot(page, f"team-{screen}")
    # No column squeezed to a character a line: Chinese words in a table as wide as the funnel's (loss reasons)
    # are not split between characters; the table scrolls sideways in its box instead.
    height = page.evaluate(
        """() => {
        const box = document.createElement("div");
        box.style.overflowX = "auto";
        const cells = Array.from({ length: 10 }, (_, i) => `<td>${100 + i}</td>`).join("");
        box.innerHTML = `<table class="report-table"><tbody><tr><td>孙军 rep1</td>${cells}
          <td>预算不明\u00a02, 价格\u00a01, 采购流程不明\u00a01, 提案晚于竞争对手\u00a01</td></tr></tbody></table>`;
        document.querySelector("#view").append(box);
        const answer = box.querySelector("td:last-child").getBoundingClientRect().height;
        box.remove();
        return answer;
    }"""
    )
    assert height <= 100, height
    page.locator("#report-funnel").screenshot(path=str(ARTEFACTS / f"team-funnel-{screen}.png"))
    # The qualification lists name accounts and owners, never ids.
    expect(page.locator("#report-qualification tbody tr")).to_have_count(3)
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", page.locator("#report-qualification").inner_text())
    cell = page.locator("#report-installed-base [data-mif]").first
    expected = len(cell.get_attribute("data-mif").split(","))
    cell.click()
    assert page.locator("#mif-accounts li").count() == expected
    listed = page.locator("#mif-accounts").inner_text()
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", listed), "the MIF list shows ids, not names"
    # On the phone as on the desktop the 5+ years column (where replacements are) is on screen.
    box = page.locator("#report-installed-base table").first.locator("th", has_text="5+").bounding_box()
    assert box and box["x"] + box["width"] <= SCREENS[screen]["width"]
    page.wait_for_function("document.documentElement.scrollWidth <= window.innerWidth")  # once drawn
    conversion = page.locator("#report-funnel table:not(.chart-data) tbody tr").last.inner_text()
    assert conversion.index("S>P") < conversion.index("P>A") < conversion.index("A>D") < conversion.index("D>C")
    expect(page.locator("#report-activity thead")).to_contain_text("Not met")
    overdue = page.locator("#report-cadence ul.list li").first
    expect(overdue).to_contain_text(re.compile(r"(\d+ days overdue|due today|never visited)"))
    expect(page.locator("#report-cadence ul.list")).not_to_contain_text(re.compile(r"\b0 days overdue"))
    expect(overdue).to_contain_text("rep")
    with page.expect_download() as download:
        page.locator("[data-csv='time-ratios']").click()
    with open(download.value.path(), encoding="utf-8-sig") as f:
        text = f.read()
    assert text.splitlines()[0].startswith("rep_id,username,name") and "TEAM" in text
    page.get_by_label("Period").select_option("custom")
    page.get_by_label("From", exact=True).fill("2026-12-31")
    page.get_by_label("To", exact=True).fill("2026-12-01")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#team-error")).to_have_text("To: Ends before the start.")


@pytest.mark.calendar
def test_daily_report_review_by_the_rep_and_comment_by_the_manager(browser, live_server, screen):
    for username, field, text in (
        ("rep1", "What went well", "Two demos booked"),
        ("manager", "Manager's comment", "Keep the 8:45 start"),
    ):
        context = phone_context(browser, live_server.url, viewport=SCREENS[screen])
        try:
            page = context.new_page()
            log_in(page, username, wait=None)
            page.get_by_role("link", name="Reports", exact=True).click()
            if username == "manager":
                # The team's day as one table, a line per rep; a rep's name opens that rep's full day.
                summary = page.locator("#daily-summary tbody tr")
                expect(summary).to_have_count(2)
                first = summary.first
                expect(first.locator("td").last).to_have_text("yes")  # rep1 wrote the review a moment ago
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
                shot(page, f"daily-summary-{screen}")
                first.locator("a").click()
                report = page.locator("details.daily[open]")
                expect(report).to_have_count(1)
                assert report.get_attribute("data-rep") == first.get_attribute("data-rep")
            else:
                report = page.locator("article.daily").first
            report.wait_for()
            expect(report.get_by_text("Planned stops visited")).to_be_visible()
            if username == "manager":
                assert report.get_by_label("What went well").input_value() == "Two demos booked"
                assert report.get_by_label("What went well").get_attribute("readonly") is not None
            report.get_by_label(field).fill(text)
            report.get_by_role("button", name="Save").click()
            report.get_by_text("Saved.").wait_for()
            shot(page, f"daily-{username}-{screen}")
        finally:
            context.close()
    with live_server.app.app_context():
        from server.extensions import db
        from server.models import DailyReview

        stored = db.session.query(DailyReview).one()
        assert (stored.went_well, stored.manager_comment) == ("Two demos booked", "Keep the 8:45 start")
        db.session.remove()


@pytest.mark.calendar
def test_an_admin_picks_the_team_to_report_on(page, live_server):
    """An admin belongs to no team: the screen offers every team and reports on the one picked."""
    from server.extensions import db
    from server.models import Team

    with live_server.app.app_context():
        db.session.add(Team(name="Empty team"))
        db.session.commit()
        db.session.remove()
    try:
        log_in(page, "admin", wait=None)
        page.wait_for_selector("#user-list")  # an admin starts on the administration screen
        page.get_by_role("link", name="Team", exact=True).click()
        page.wait_for_selector("#report-time-ratios table:not(.chart-data)")
        picker = page.get_by_label("Team", exact=True)
        assert picker.locator("option").all_inner_texts() == ["Empty team", "上海一部 Shanghai Team 1"]
        assert (
            page.locator("#report-time-ratios table:not(.chart-data) tbody tr").count() == 1
        )  # the first team: no reps, a team line
        picker.select_option(label="上海一部 Shanghai Team 1")
        page.get_by_role("button", name="Show", exact=True).click()
        page.wait_for_function(
            "() => document.querySelectorAll('#report-time-ratios table:not(.chart-data) tbody tr').length === 3"
        )
        with page.expect_response("**/api/reports/daily*") as answer:
            page.get_by_role("link", name="Reports", exact=True).click()  # the daily report offers the same choice
        assert answer.value.status == 200 and answer.value.json()["reports"] == []  # the first team has no reps
        daily_picker = page.get_by_label("Team", exact=True)
        daily_picker.select_option(label="上海一部 Shanghai Team 1")
        page.get_by_role("button", name="Show", exact=True).click()
        page.wait_for_function("() => document.querySelectorAll('#daily-summary tbody tr').length === 2")  # rep1, rep2
    finally:
        with live_server.app.app_context():
            db.session.query(Team).filter_by(name="Empty team").delete()
            db.session.commit()
            db.session.remove()


@pytest.mark.calendar
def test_on_the_first_of_a_month_the_team_and_data_screens_open_on_the_last_full_month(browser, clock, tmp_path):
    """On the 1st the month so far is one morning: both screens default to last month, and say so."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from server.extensions import db
    from tests.pwa.conftest import TZ, phone_context, start_live_server

    zone = ZoneInfo(TZ)
    first = (clock.today(zone).replace(day=1) + timedelta(days=32)).replace(day=1)  # the 1st of next month
    last_month_end = first - timedelta(days=1)
    morning = datetime.combine(first, time(9, 30), zone)
    clock.set(morning)  # the server's clock and the seeded history: the demo's eight weeks end this morning
    server = start_live_server(tmp_path, first, weeks=8)
    context = phone_context(browser, server.url, at=morning)
    try:
        page = context.new_page()
        page.goto("/")
        assert page.evaluate("new Date().getDate()") == 1
        page.get_by_label("Username").fill("manager")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("#report-time-ratios table:not(.chart-data)")
        assert page.get_by_label("Period").input_value() == "last_month"
        assert page.get_by_label("From", exact=True).input_value() == last_month_end.replace(day=1).isoformat()
        assert page.get_by_label("To", exact=True).input_value() == last_month_end.isoformat()
        expect(page.locator("#period-shown")).to_contain_text("Showing Last month")
        team_row = page.locator("#report-time-ratios table:not(.chart-data) tbody tr").last
        assert "–" not in team_row.locator("td").nth(0).inner_text()  # the team's face-to-face share is a number
        visits = page.locator("#report-activity tbody tr").last.locator("td .v").nth(0).inner_text()
        assert int(visits) > 20  # four weeks of two reps' visits, not one morning's
        funnel_team = page.locator("#report-funnel table:not(.chart-data) tbody tr").last.inner_text()
        assert any(ch.isdigit() and ch != "0" for ch in funnel_team)  # opportunities were opened last month
        shot(page, "team-on-the-first")
        page.get_by_role("link", name="Data").click()
        assert page.get_by_label("From", exact=True).input_value() == last_month_end.replace(day=1).isoformat()
        assert page.get_by_label("To", exact=True).input_value() == last_month_end.isoformat()
        with page.expect_download() as download:
            page.locator("[data-export='visits']").click()
        with open(download.value.path(), encoding="utf-8-sig") as f:
            assert len(f.read().splitlines()) > 20
    finally:
        context.close()
        server.stop()
        with server.app.app_context():
            db.engine.dispose()


@pytest.mark.calendar
def test_the_manager_sets_a_monthly_target_and_the_face_time_goal_from_the_screen(screen_page, live_server, screen):
    from tests.pwa.test_field_app import api

    page = screen_page
    log_in(page, "manager", wait="#targets-grid tbody tr")
    month = page.get_by_label("From the month").input_value()
    assert re.fullmatch(r"\d{4}-\d\d", month)  # a month picker, not a typed "YYYY-MM"
    rep1 = api(live_server, "/api/auth/me", token(live_server, "rep1"))
    cell = page.get_by_label(re.compile(f"Target of {re.escape(rep1['display_name'])} for"))
    cell = cell.first
    cell.fill("15 0000x")  # not an amount: said in words, nothing sent
    cell.press("Enter")
    expect(page.locator("#targets-status")).to_contain_text("type an amount such as 150,000")
    assert cell.get_attribute("aria-invalid") == "true"
    cell.fill("150000")
    cell.press("Enter")
    expect(page.locator("#targets-status")).to_contain_text("Saved:")
    expect(page.locator("#targets-status")).to_contain_text("¥150,000")  # an amount in yuan, with separators
    expect(cell).to_have_value("150,000")  # shown at once, as the server keeps it
    page.get_by_label("Face-to-face goal (%)").fill("35")
    page.get_by_role("button", name="Set the goal").click()
    t = token(live_server, "manager")
    today = clock.today(ZoneInfo("Asia/Shanghai"))
    if today.day > 7:  # the screen shows the month so far, which holds the goal set now
        expect(page.locator("#goal-line")).to_contain_text("35 % of the working day")
        expect(page.locator("#goal-line")).to_contain_text("set by 陈经理 Manager Chen")
    else:  # on the 1st-7th it shows last month, judged by the goal it had then; the month so far has the new one
        expect(page.locator("#goal-line")).not_to_contain_text("35 %")
        now = api(live_server, f"/api/reports/time-ratios?from={today.replace(day=1)}&to={today}", t)
        assert now["extra"]["face_time_target_pct"] == 35
    # The screen read again: the grid holds the target, and says who set it.
    saved = page.locator(f"#targets-grid tr[data-rep='{rep1['id']}'] td[data-month='{month}']")
    expect(saved.locator("input")).to_have_value("150,000")
    expect(saved).to_have_attribute("title", re.compile("陈经理 Manager Chen"))
    shot(page, f"team-targets-{screen}")
    stored = api(live_server, f"/api/reports/targets?from={month}-01&to={month}-28", t)["rows"]
    mine = next(r for r in stored if r["rep_id"] == rep1["id"] and r["month"] == month)
    assert mine["target"] == 150000 and mine["set_by_name"] == "陈经理 Manager Chen" and mine["set_at"]


@pytest.mark.calendar
def test_a_late_first_visit_is_marked_in_words_not_only_in_colour(page, live_server):
    """09:15 against the 8:45 target must not look like 08:45: the cell says it is late."""

    def late_and_on_time(route):
        answer = route.fetch()
        body = answer.json()
        assert len(body["reports"]) == 2  # rep1, rep2
        body["reports"][0]["first_visit"] = {"at": "09:15", "target": "08:45", "on_time": False}
        body["reports"][1]["first_visit"] = {"at": "08:45", "target": "08:45", "on_time": True}
        route.fulfill(response=answer, json=body)

    page.route("**/api/reports/daily*", late_and_on_time)
    log_in(page, "manager", wait=None)
    page.get_by_role("link", name="Reports", exact=True).click()
    rows = page.locator("#daily-summary tbody tr")
    expect(rows).to_have_count(2)
    late, on_time = rows.nth(0).locator("td.late"), rows.nth(1).locator("td").nth(3)
    expect(late).to_have_text("09:15 Late")
    expect(on_time).to_have_text("08:45")
    assert rows.nth(1).locator("td.late").count() == 0
    # The style is visible: a colour of its own and a symbol before the word.
    plain = on_time.evaluate("(td) => getComputedStyle(td).color")
    assert late.evaluate("(td) => getComputedStyle(td).color") != plain
    symbol = late.locator(".late-word").evaluate("(w) => getComputedStyle(w, '::before').content")
    assert "⚠" in symbol


FIGURES = """(section) => Object.fromEntries([...document.querySelectorAll(`#report-${section} table.fit`)][0]
  .querySelectorAll('tbody tr').values().map((tr) => [tr.querySelector('th').textContent.trim(),
    Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.label, td.textContent.trim()]))]))"""


@pytest.mark.calendar
def test_a_column_name_means_one_figure_across_the_team_screen(browser, live_server):
    """The hunting-and-farming table counts the visits that met the customer; it headed them "拜访" (visits),
    the word the activity table heads every visit with, met or not: a manager read 16 visits there and 20 in
    the activity table for the same rep and period. Each column name the two tables share is the same figure."""
    from tests.pwa.conftest import DESKTOP
    from tests.pwa.test_team_lists import manager_page

    context, page, errors = manager_page(browser, live_server, viewport=DESKTOP, locale="zh-CN")
    try:
        page.locator("#report-hunting-farming table.fit tbody tr").first.wait_for()
        activity, hunting = page.evaluate(FIGURES, "activity"), page.evaluate(FIGURES, "hunting-farming")
        assert set(activity) == set(hunting) and len(activity) == 3  # two reps and the team
        shared = set(next(iter(activity.values()))) & set(next(iter(hunting.values())))
        assert "面谈" in shared  # the met visits, by the one name
        for rep in activity:
            for name in shared:
                assert activity[rep][name] == hunting[rep][name], (rep, name, activity[rep], hunting[rep])
    finally:
        context.close()
    assert not errors, errors


ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d")
SAID_DAY = re.compile(r"^\d{1,2}月\d{1,2}日周[一二三四五六日]$")
LABELS = "(id) => Chart.getChart(document.querySelector(`#chart-${id}`)).data.labels"


@pytest.mark.calendar
def test_the_team_screen_says_a_week_as_it_says_any_day(browser, live_server):
    """The Team screen wrote a week two ways: "2026-11-30" under the weekly face-time chart and in the
    hunting-and-farming weeks table, "11月30日周一" under the coverage chart. Every week (and day) is said the one
    way, in the charts, the tables and the charts' own tables; their CSV keeps the ISO day."""
    from tests.pwa.test_team_lists import manager_page, reps

    context, page, errors = manager_page(browser, live_server, viewport=SCREENS["phone"], locale="zh-CN")
    try:
        page.locator("#report-hunting-farming table.fit tbody tr").first.wait_for()
        page.wait_for_function(
            "() => !!window.Chart && ['trend', 'coverage'].every((id) => "
            "Chart.getChart(document.querySelector(`#chart-${id}`)))"
        )
        for chart in ("trend", "coverage"):
            labels = page.evaluate(LABELS, chart)
            assert labels and all(SAID_DAY.match(label) for label in labels), (chart, labels)
        weeks = page.locator("#report-hunting-farming table.fit").nth(1).locator("tbody tr")
        assert weeks.count() > 0
        said = weeks.locator("th").all_inner_texts()
        assert all(SAID_DAY.match(day) for day in said), said
        for section in ("hunting-farming", "coverage", "first-appointment"):
            text = page.locator(f"#report-{section}").evaluate("(el) => el.textContent")
            assert not ISO_DAY.search(text), (section, ISO_DAY.search(text))
        page.locator("#report-hunting-farming").scroll_into_view_if_needed()
        shot(page, "zh-team-weeks")
        # A target set says on when (the grid's cell, read on a hover); nowhere on the screen is a day said as ISO.
        month = page.locator("#target-month").input_value()
        rep1 = reps(live_server)[0]["rep1"]["id"]
        put = urllib.request.Request(
            f"{live_server.url}/api/reports/targets/monthly",
            method="PUT",
            data=json.dumps({"rep_id": rep1, "month": month, "amount": 120000}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token(live_server, 'manager')}"},
        )
        urllib.request.urlopen(put).close()
        page.reload()
        cell = page.locator(f"#targets-grid tr[data-rep='{rep1}'] td[data-month='{month}']")
        expect(cell).to_have_attribute("title", re.compile("陈经理 Manager Chen"))
        page.locator("#report-qualification table").first.wait_for()
        said = page.evaluate(
            "() => [document.querySelector('main').textContent, "
            "...[...document.querySelectorAll('main [title]')].map((el) => el.title)]"
        )
        assert not [text for text in said if ISO_DAY.search(text)], [
            ISO_DAY.search(t)[0] for t in said if ISO_DAY.search(t)
        ]
    finally:
        context.close()
    assert not errors, errors


@pytest.mark.calendar
def test_a_method_ratio_with_nothing_to_divide_says_so_without_an_empty_fraction(browser, live_server):
    """A step no one reached the step before of read "– % (0/0)": a dash and nothing else; a figure keeps its
    fraction. Read on the screen's own period (whatever the demo data holds on the run's date) and on a month
    before any data, where every step has nothing to divide (and the team had no rep yet: the team's column
    only)."""
    from tests.pwa.test_team_lists import manager_page

    context, page, errors = manager_page(browser, live_server, viewport=SCREENS["phone"])
    try:
        cells = page.locator("#report-method-ratios tbody td .v")
        cells.first.wait_for()
        said = [text.strip() for text in cells.all_inner_texts()]
        steps = page.locator("#report-method-ratios tbody tr").count()
        for text in said:
            assert text == "–" or re.fullmatch(r"[\d.]+\u00a0% \(\d+/[1-9]\d*\)|[\d.]+\u00a0%", text), text
        page.get_by_label("Period").select_option("custom")
        page.get_by_label("From", exact=True).fill("2020-01-01")
        page.get_by_label("To", exact=True).fill("2020-01-31")
        page.get_by_role("button", name="Show", exact=True).click()
        # Each row's first figure is the method's rule of thumb (a bare percentage); every step measured in 2020
        # has nothing to divide. The demo's two reps were taken on since: their columns are gone, the team's stays.
        page.wait_for_function(
            "(n) => { const v = [...document.querySelectorAll('#report-method-ratios tbody td .v')];"
            " return v.length === n && v.every((e) => !e.textContent.includes('(')); }",
            arg=len(said) - 2 * steps,
        )
        empty = [text.strip() for text in cells.all_inner_texts()]
        assert empty.count("–") >= len(empty) // 2, empty
        assert all(text == "–" or re.fullmatch(r"[\d.]+\u00a0%", text) for text in empty), empty
        page.locator("#report-method-ratios").scroll_into_view_if_needed()
        shot(page, "team-method-ratios-nothing-to-divide")
    finally:
        context.close()
    assert not errors, errors
