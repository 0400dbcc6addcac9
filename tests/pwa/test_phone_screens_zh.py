"""The app at 360×740 in zh-CN, as a rep, a manager and an admin, at one fixed instant (see `fixed_clock`): what a
walk through its screens found wrong, each kept right here. Times of day typed as a 24-hour clock; links in the
app's colour; a rep's name in the accounts list never split; the notice switches' column named once; a report
being fetched says so; the weekly review under the Reports tab and opening on the team's week; the team's day a
card per rep, never scrolled sideways (a second walk's findings: test_phone_walk_zh.py)."""

import re

import pytest
from playwright.sync_api import expect

from tests.pwa.conftest import DESKTOP, log_in, phone_context, shot, wait_synced
from tests.pwa.test_field_app import api, token
from tests.pwa.test_notices import call

pytestmark = pytest.mark.usefixtures("fixed_clock")

BRAND = "rgb(15, 118, 110)"  # --brand in app.css


def test_the_report_tab_covers_both_reports_and_the_weekly_one_is_marked_on_its_screen(zh):
    log_in(zh, "rep1", wait="#tabs")
    zh.get_by_role("link", name="报告", exact=True).click()
    expect(zh.locator("#tabs a[aria-current='page']")).to_have_text("报告")
    expect(zh.locator(".subtabs a[aria-current='page']")).to_have_text("每日报告")
    zh.locator(".subtabs").get_by_role("link", name="周回顾").click()
    expect(zh.locator("main h1")).to_contain_text("周回顾")
    # The tab bar says where the screen is: under Reports, and the weekly one of the two, not the daily one.
    expect(zh.locator("#tabs a[aria-current='page']")).to_have_text("报告")
    expect(zh.locator(".subtabs a[aria-current='page']")).to_have_text("周回顾")
    shot(zh, "zh-week-tabs")


def test_the_managers_reports_link_reps_in_the_apps_colour_and_fit_a_phone_as_cards(zh):
    log_in(zh, "manager", wait="#tabs")
    zh.goto("/#/report")
    summary = zh.locator("#daily-summary")
    rows = summary.locator("tbody tr")
    expect(rows).to_have_count(2)
    rep = rows.first.locator("th a")
    assert rep.evaluate("(a) => getComputedStyle(a).color") == BRAND  # not the browser's blue
    table = summary.locator("table")
    # The eight columns fit 360 px: nothing scrolls sideways in the table's box, each figure beside its column's name.
    assert table.evaluate("(t) => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
    assert table.evaluate("(t) => t.getBoundingClientRect().right <= innerWidth")
    first = rows.first.locator("td").first
    assert first.evaluate("(td) => getComputedStyle(td, '::before').content") == '"计划"'
    shot(zh, "zh-daily-summary-cards")
    zh.goto("/#/week")
    week = zh.locator("#week-summary")
    expect(week.locator("tbody tr")).to_have_count(2)
    assert week.locator("tbody th a").first.evaluate("(a) => getComputedStyle(a).color") == BRAND
    assert week.locator("table").evaluate("(t) => t.parentElement.scrollWidth <= t.parentElement.clientWidth")


def test_a_reps_name_in_the_accounts_list_is_never_split(zh):
    log_in(zh, "manager", wait="#tabs")
    zh.get_by_role("link", name="客户", exact=True).click()
    owners = zh.locator("#account-list .owner")
    expect(owners.first).to_be_visible()
    assert owners.count() >= 20
    # One box a name: a name running past the line's end goes to the next line whole.
    split = owners.evaluate_all(
        "(names) => names.filter((n) => n.getClientRects().length > 1).map((n) => n.textContent)"
    )
    assert split == []


def test_a_persons_username_and_team_in_the_admins_list_stay_on_one_line(zh):
    """ "rep1 · 上海一部 Shanghai Team 1" used to break inside the team's name, leaving "1" (or "一部 …") alone."""
    log_in(zh, "admin", wait="#tabs")
    details = zh.locator("#user-list .muted")
    expect(details.first).to_be_visible()
    assert details.count() >= 3
    assert (
        details.evaluate_all("(ds) => ds.filter((d) => d.getClientRects().length !== 1).map((d) => d.textContent)")
        == []
    )
    lines = details.evaluate_all(
        "(ds) => ds.map((d) => { const r = document.createRange(); r.selectNodeContents(d);"
        " return new Set([...r.getClientRects()].map((b) => Math.round(b.top))).size; })"
    )
    assert lines and set(lines) == {1}, lines  # each one line, as a whole
    shot(zh, "zh-admin-people")


def test_the_team_screens_figures_wrap_whole_on_a_phone(zh):
    """A funnel step's conversion ("S>P 57.9%") and a percentage ("30 %") stay on one line at 360 px: the steps
    used to wrap with each "·" alone on a line, and the method ratios' "30" parted from its "%"."""
    log_in(zh, "manager", wait="#tabs")
    steps = zh.locator("#report-funnel td[data-label='转化率'] .steps > span")
    expect(steps.first).to_be_visible()
    assert steps.count() >= 5 and all(re.fullmatch(r"[SPADC]>[PADCO]\s[\d.–]+%", s) for s in steps.all_inner_texts())
    assert steps.evaluate_all("(ss) => ss.filter((s) => s.getClientRects().length !== 1).length") == 0
    # The loss reasons were squeezed into half a card's width, right-aligned, a reason broken over lines: a line of
    # the card's own, each reason whole ("预算不明 1").
    reasons = zh.locator("#report-funnel td[data-label='输单原因']").last
    assert (
        reasons.bounding_box()["width"]
        == zh.locator("#report-funnel td[data-label='转化率']").last.bounding_box()["width"]
    )
    said = reasons.locator(".steps > span")
    assert said.count() >= 2 and all(re.fullmatch(r"\S+\s\d+", s) for s in said.all_inner_texts()), (
        said.all_inner_texts()
    )
    assert said.evaluate_all("(ss) => ss.filter((s) => s.getClientRects().length !== 1).length") == 0
    percentages = zh.locator("#report-method-ratios tbody td .v").filter(has_text=re.compile(r"^\s*[\d.]+\s%"))
    assert percentages.count() >= 5
    tops = percentages.evaluate_all(
        "(cells) => cells.map((c) => { const text = c.firstChild; const r = document.createRange();"
        " r.setStart(text, 0);"
        " r.setEnd(text, Math.min(text.length, text.textContent.indexOf('%') + 1));"
        " return new Set([...r.getClientRects()].map((b) => Math.round(b.top))).size; })"
    )
    assert set(tops) == {1}, tops  # the figure and its % on one line
    shot(zh, "zh-team-funnel")


# Each report table's box on the Team screen: [its section's id (with " chart" for a chart's table), whether it is
# a card a row, whether its box is wider than shown].
TABLE_BOXES = """() => [...document.querySelectorAll('#team-reports table.fit')].filter((t) => t.offsetParent)
  .map((t) => [t.closest('section').id + (t.classList.contains('chart-data') ? ' chart' : ''),
               t.classList.contains('cards'), t.parentElement.scrollWidth > t.parentElement.clientWidth + 1])"""


def test_the_team_screens_tables_that_would_not_fit_a_phone_are_a_card_a_row(zh, browser, live_server):
    """At 360 px in zh-CN no report table on the Team screen scrolls sideways in its box, charts' tables shown
    too: a table too wide is a card a row, each figure beside its column's name; one that fits (coverage) stays a
    table. On a desktop every one is a table."""
    log_in(zh, "manager", wait="#tabs")
    expect(zh.locator("#report-activity table.fit")).to_be_visible()
    for button in zh.locator("[data-chart-table]").all():
        button.click()
    boxes = zh.evaluate(TABLE_BOXES)
    assert len(boxes) >= 10, boxes
    assert not [b for b in boxes if b[2]], boxes  # nothing scrolls sideways
    cards = {section for section, card, _ in boxes if card}
    assert {"report-activity", "report-funnel", "report-method-ratios"} <= cards, boxes
    assert "report-coverage" not in cards, boxes
    card = zh.locator("#report-activity tbody tr").first
    assert card.locator("th").inner_text().strip() and card.locator("td").first.get_attribute("data-label") == "拜访"
    assert zh.evaluate("document.documentElement.scrollWidth <= innerWidth")
    zh.locator("#report-activity").scroll_into_view_if_needed()
    shot(zh, "zh-team-cards")
    zh.set_viewport_size({"width": 1280, "height": 800})  # turned wide: tables again where they fit
    zh.wait_for_function("!document.querySelector('#report-activity table').classList.contains('cards')")
    desktop = phone_context(browser, live_server.url, locale="zh-CN", viewport=DESKTOP)
    try:
        page = desktop.new_page()
        log_in(page, "manager", wait="#tabs")
        expect(page.locator("#report-activity table.fit")).to_be_visible()
        boxes = page.evaluate(TABLE_BOXES)
        assert boxes and not [b for b in boxes if b[1] or b[2]], boxes
    finally:
        desktop.close()


def test_the_notice_switches_name_their_column_once_and_each_box_its_kind(zh, live_server):
    log_in(zh, "rep1", wait="#tabs")
    zh.locator("#account-button").click()
    card = zh.locator("#notices-card")
    expect(card.locator("#notice-kinds")).to_be_visible()
    assert card.inner_text().count("工作时间外也发") == 1
    box = card.get_by_role("checkbox", name="明天的路线已排好：工作时间外也发")
    expect(box).not_to_be_checked()
    with zh.expect_response("**/api/notifications/prefs") as answer:
        box.check()
    assert answer.value.ok
    prefs = api(live_server, "/api/notifications/prefs", token(live_server, "rep1"))
    assert prefs["kinds"]["plan_ready"] == {"on": True, "any_time": True}
    expect(card.get_by_role("checkbox", name="明天的路线已排好：接收")).to_be_checked()
    assert zh.evaluate("document.documentElement.scrollWidth <= innerWidth")
    card.scroll_into_view_if_needed()
    shot(zh, "zh-me-notice-kinds")


@pytest.mark.parametrize(
    ("screen", "answer", "drawn"),
    [
        ("#/report", "**/api/reports/daily*", "#daily-summary"),
        ("#/week", "**/api/reports/weekly*", "#week-summary"),
    ],
)
def test_an_admins_report_says_it_is_loading_until_it_comes(zh, screen, answer, drawn):
    held, released = [], []

    def hold(route):  # the server's answers wait until the test lets them through
        if released:
            route.continue_()
        else:
            held.append(route)

    zh.route(answer, hold)
    log_in(zh, "admin", wait="#tabs")
    zh.goto(f"/{screen}")
    sign = zh.locator("main .loading")
    expect(sign).to_be_visible()
    expect(sign).to_have_text("正在加载…")
    expect(sign).to_have_attribute("role", "status")
    for _ in range(600):  # the request is on its way (held) while the sign shows
        if held:
            break
        zh.wait_for_timeout(50)
    assert held
    released.append(True)
    for route in held:
        route.continue_()
    expect(zh.locator(drawn)).to_be_visible()
    expect(sign).to_be_hidden()


def test_the_reports_open_on_the_teams_day_and_week_not_the_phones(browser, live_server):
    """Tuesday 07:00 in Shanghai (the team's zone) is still Monday afternoon on a phone set to Los Angeles: the
    team's Monday is over, so its review opens on this week, not on the last as the phone's Monday would."""
    context = phone_context(
        browser, live_server.url, locale="zh-CN", timezone_id="America/Los_Angeles", at="2026-11-17T07:00:00+08:00"
    )
    try:
        page = context.new_page()
        log_in(page, "rep1", wait="#tabs")
        page.goto("/#/week")
        expect(page.locator("#week-date")).to_have_value("2026-11-16")
        expect(page.locator("#week-reviews[data-week='2026-11-16'] article.week")).to_be_visible()
        page.goto("/#/report")  # and the daily report opens on the team's today, Tuesday
        expect(page.locator("#daily-date")).to_have_value("2026-11-17")
    finally:
        context.close()


def test_the_settings_take_times_on_a_24_hour_clock(zh, live_server):
    """Typed on the keyboard as a Chinese clock reads: 13:15, no AM/PM to pick (a time input of the browser's own
    follows the browser's locale, not the app's language)."""
    log_in(zh, "manager", wait="#tabs")
    zh.get_by_role("link", name="设置", exact=True).click()
    first = zh.get_by_label("首次拜访时间（每位销售可另设）")
    expect(first).to_have_value("08:45")
    first.click()
    zh.keyboard.press("Control+A")
    zh.keyboard.type("09:30")
    latest = zh.get_by_label("午餐最晚开始")
    latest.click()
    zh.keyboard.press("Control+A")
    zh.keyboard.type("13:15")
    with zh.expect_response(re.compile(r"/api/teams/[^/]+/settings$")) as saved:
        zh.get_by_role("button", name="保存设置").click()
    assert saved.value.ok, saved.value.text()
    manager = token(live_server, "manager")
    team = api(live_server, "/api/auth/me", manager)["team_id"]
    settings = api(live_server, f"/api/teams/{team}/settings", manager)
    assert (settings["first_appointment_time"], settings["lunch_latest"]) == ("09:30", "13:15")
    expect(zh.locator("#settings-saved")).to_be_visible()
    expect(zh.get_by_label("首次拜访时间（每位销售可另设）")).to_have_value("09:30")
    # Put back: the module's other tests read the team's day from 08:45.
    call(
        live_server,
        "PATCH",
        f"/api/teams/{team}/settings",
        manager,
        {"first_appointment_time": "08:45", "lunch_latest": "13:00"},
    )


def test_the_daily_reports_overdue_accounts_say_what_their_number_is(zh):
    log_in(zh, "rep1", wait="#tabs")
    zh.goto("/#/report")
    items = zh.locator("h3:has-text('明天应拜访的逾期客户') + ul li")
    expect(items.first).to_be_visible()
    # Days since the last contact in words, not a bare number beside the class.
    for text in items.all_inner_texts():
        assert re.search(r"(\d+ 天未接触|从未拜访)$", text.strip()), text


def test_a_check_in_far_from_the_account_says_how_far_in_kilometres(browser, live_server):
    """Checked in 5.6 km north of the account: "5.6 公里", not a count of metres ("5565 米") to read digit by digit."""
    rep = token(live_server, "rep1")
    account = api(live_server, "/api/accounts?per_page=1", rep)["items"][0]
    north = {"latitude": account["latitude"] + 0.05, "longitude": account["longitude"]}
    context = phone_context(browser, live_server.url, locale="zh-CN", geolocation=north, permissions=["geolocation"])
    try:
        page = context.new_page()
        log_in(page, "rep1", wait="#tabs")
        wait_synced(page)  # the account is on the phone
        page.goto(f"/#/visit/new?account={account['id']}")
        page.get_by_label("拜访目的（必填）").fill("路过拜访")
        page.get_by_role("button", name="签到").click()
        expect(page.locator("#away-flag")).to_have_text("不在客户处：签到位置距客户 5.6 公里")
    finally:
        context.close()


def test_a_delay_of_hours_is_said_in_hours_and_minutes(zh):
    """A delay such as 比计划晚 831 分钟 was a count to do in one's head: from an hour on, hours and minutes."""
    log_in(zh, "rep1", wait="#tabs")
    said = zh.evaluate("import('/js/ui.js').then((ui) => [0, 45, 60, 831].map(ui.duration))")
    assert said == ["0 分钟", "45 分钟", "1 小时 0 分", "13 小时 51 分"], said


def test_the_team_screens_go_to_menu_lands_each_report_below_the_header(zh):
    """The Team screen is many phone screens long: its "跳到" menu lists every report by its heading and goes to the
    one picked, its heading just below the sticky header (not under it), and is ready for the next pick."""
    log_in(zh, "manager", wait="#tabs")
    expect(zh.locator("#report-activity table.fit")).to_be_visible()
    # Picked once the screen is drawn (its charts come after its tables and make the page longer above).
    zh.wait_for_function(
        "() => !!window.Chart && [...document.querySelectorAll('canvas[id^=chart-]')].every((c) => Chart.getChart(c))"
    )
    menu = zh.get_by_label("跳到")
    headings = zh.locator("#team-reports section[id^=report-] h2").all_text_contents()
    options = menu.locator("option").all_text_contents()[1:]
    assert len(headings) >= 10 and options == headings, (options, headings)
    for section in ("report-funnel", "report-installed-base"):
        menu.select_option(section)
        heading = zh.locator(f"#{section} h2")
        expect(heading).to_be_in_viewport()
        bar = zh.locator("header.bar, .bar").first.bounding_box()
        top = heading.bounding_box()["y"]
        assert bar["y"] + bar["height"] <= top <= bar["y"] + bar["height"] + 80, (section, bar, top)
        assert menu.input_value() == ""
    shot(zh, "zh-team-jump")
    # The funnel's table counts the deals open in each stage now (its chart, those that reached it): its columns say so.
    heads = zh.locator("#report-funnel table:not(.chart-data) thead th").all_text_contents()
    assert heads[1:4] == ["在谈 S", "在谈 P", "在谈 A"], heads
