"""A new rep's and manager's walk through the app at 360×740 in zh-CN (and English where words differ in width), at
one fixed instant (see `fixed_clock`), with a live server of its own (the screens' first walk, test_phone_screens_zh.py,
leaves rep1 checked in): what it found, each kept right here. A leave-by time gone by is said as leave now, with when
the rep gets there; the sync state and a notice's dismiss button take one line each; the running kind on the day clock
says a tap again stops it; the joint-visit box calls the manager a manager once and the joint visit once, on one line;
after check-out the screen is at its top, on what comes next, said once. In the order they run: the first needs
rep1's day with nothing visited yet, the last visits."""

import re
import urllib.error
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.pwa.conftest import ARTEFACTS, TZ, log_in, phone_context, shot, today_local, wait_synced
from tests.pwa.test_field_app import api, token

pytestmark = pytest.mark.usefixtures("fixed_clock")


def local_hhmm(moment):
    return moment.astimezone(ZoneInfo(TZ)).strftime("%H:%M")


def test_a_leave_by_time_gone_by_says_leave_now_and_when_the_rep_gets_there(browser, live_server):
    """Before a re-plan, five minutes after the second stop was due and nothing visited: the next-stop card said
    "下一站：11:47 前出发", a time gone by. It says leave now and when the rep gets there leaving now; the plan's
    arrival is said as the plan's, and the day's line says leave now too."""
    key = token(live_server, "rep1")
    me = api(live_server, "/api/auth/me", key)["id"]
    stops = sorted(api(live_server, f"/api/routes/{me}/{today_local()}", key)["stops"], key=lambda s: s["position"])
    second = stops[1]
    due = datetime.fromisoformat(second["planned_arrival"])
    at = due + timedelta(minutes=5)  # its leave-by time (due less the travel) went by travel + 5 minutes ago
    context = phone_context(browser, live_server.url, locale="zh-CN", at=at)
    try:
        page = context.new_page()
        log_in(page, "rep1", wait="#tabs")
        wait_synced(page)
        card = page.locator("#next-up")
        expect(card).to_have_attribute("data-account", second["account_id"])
        there = [local_hhmm(at + timedelta(minutes=second["travel_minutes"] + n)) for n in (0, 1)]  # the clock runs on
        line = card.locator("#next-leave").inner_text()
        assert line in [f"现在出发，约 {t} 到达 · 原计划 {local_hhmm(due)} 到达" for t in there], line
        assert card.inner_text().count("下一站") == 1, card.inner_text()  # its heading says it, the line does not again
        assert "前出发" not in page.locator("main").inner_text()
        expect(page.locator("#day-leave")).to_contain_text("现在出发 · 总路程")
        expect(page.locator("#route li.stop[data-state=next] [data-leave]")).to_have_text(
            re.compile("^下一站：现在出发")
        )
        expect(page.locator("#day-delay")).to_contain_text("比计划晚")
        shot(page, "zh-today-leave-now")
    finally:
        context.close()


LINES = """(el) => { const range = document.createRange(); range.selectNodeContents(el);
  return new Set([...range.getClientRects()].filter((r) => r.width).map((r) => Math.round(r.top))).size; }"""

STATES = [
    {"state": "idle", "waiting": 0, "lastSync": "2026-11-18T02:00:00Z"},
    {"state": "offline", "waiting": 12, "lastSync": "2026-11-18T02:00:00Z"},
    {"state": "idle", "waiting": 0, "lastSync": None},
    {"state": "syncing", "waiting": 0, "progress": {"done": 12000, "total": 25188}},
    # A big territory's first sync: "Syncing 100,000/250,000" was cut with "…" in English; shown short, not cut.
    {"state": "syncing", "waiting": 0, "progress": {"done": 100000, "total": 250000}},
    {"state": "syncing", "waiting": 3, "progress": {"done": 100000, "total": 250000}},
    {"state": "error", "waiting": 0, "lastSync": "2026-11-18T02:00:00Z", "error": "Server error", "code": "server"},
    {"state": "error", "waiting": 3, "lastSync": "2026-11-18T02:00:00Z", "error": "Server error", "code": "server"},
]


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_sync_state_and_a_notices_dismiss_button_each_take_one_line_on_a_phone(browser, live_server, locale):
    """At 360 px the header's sync state wrapped to two lines, and the notice banner's dismiss button sat in the middle
    of its words: the state is one line, whole, in each of its states; the notice's words wrap beside the button,
    which stays whole at the banner's right."""
    context = phone_context(browser, live_server.url, locale=locale)
    try:
        page = context.new_page()
        log_in(page, "rep1", wait=None)
        wait_synced(page)
        status = page.locator("#sync-status")
        for state in STATES:  # shown and measured in one go: no sync of the app's own comes between
            said, lines, cut = status.evaluate(
                f"""async (el, state) => {{ (await import('/js/state.js')).emit('sync-status', state);
                  return [el.textContent, ({LINES})(el), el.scrollWidth > el.clientWidth]; }}""",
                state,
            )
            assert (lines, cut) == (1, False), (said, lines, cut)
        banner = page.locator("#notice-banner")
        expect(banner).to_be_visible()
        dismiss = banner.locator("#notice-dismiss")
        assert dismiss.evaluate(LINES) == 1
        box, button = banner.bounding_box(), dismiss.bounding_box()
        assert abs(box["x"] + box["width"] - 12 - (button["x"] + button["width"])) <= 1, (box, button)  # at the right
        words = banner.locator("span").first.bounding_box()
        assert words["x"] + words["width"] <= button["x"], (words, button)  # beside the words, not among them
        page.screenshot(path=str(ARTEFACTS / f"header-and-notice-{locale}.png"))
    finally:
        context.close()


def test_the_running_kind_on_the_day_clock_says_a_tap_again_stops_it(zh):
    """Nothing on the day clock said that tapping the running kind again stops the clock: its button says so (only
    that one), and a tap there stops it."""
    log_in(zh, "rep1", wait="#tabs")
    zh.goto("/#/clock")
    travel = zh.locator("button[data-category='travel']")
    travel.click()
    expect(travel).to_have_attribute("aria-pressed", "true")
    expect(travel).to_contain_text("再点一次结束")
    expect(zh.locator(".clock button", has_text="再点一次结束")).to_have_count(1)
    assert travel.evaluate("(b) => b.scrollWidth <= b.clientWidth && b.scrollHeight <= b.clientHeight")
    shot(zh, "zh-clock-running")
    travel.click()
    expect(zh.locator("#clock-status")).to_have_text("未计时。")
    expect(zh.locator(".clock")).not_to_contain_text("再点一次结束")


def test_the_joint_visit_box_calls_the_manager_a_manager_once(zh, live_server):
    """The box a rep ticks when the manager went along read "经理 陈经理 Manager Chen 陪访": the demo manager's name
    says 经理 already. Said once: the name alone when it says so, 经理 before one that does not."""
    log_in(zh, "rep1", wait="#tabs")
    account = api(live_server, "/api/accounts?per_page=1", token(live_server, "rep1"))["items"][0]
    wait_synced(zh)
    zh.goto(f"/#/visit/new?account={account['id']}")
    zh.wait_for_selector("#check-in")
    box = zh.locator("label.check", has=zh.locator("#accompanied"))
    # "陪访（陪同拜访）" said it twice, and at 360 px broke inside its brackets: one word, the box one line.
    expect(box).to_have_text("陈经理 Manager Chen 陪访")
    words = """(el) => { const range = document.createRange(); range.setStartAfter(el.querySelector('input'));
      range.setEndAfter(el.lastChild);
      return new Set([...range.getClientRects()].filter((r) => r.width).map((r) => Math.round(r.top))).size; }"""
    assert box.evaluate(words) == 1  # its words, beside the checkbox, on one line
    shot(zh, "zh-joint-visit-box")
    said = zh.evaluate(
        """import('/js/views/visit.js').then((v) => [{ display_name: '张伟' }, { username: '王经理' }]
             .map(v.accompaniedLabel))"""
    )
    assert said == ["经理 张伟 陪访", "王经理 陪访"], said


STAGE_WORDS = {"S": "潜在客户", "P": "有意向客户", "A": "需求分析", "D": "演示/提案", "C": "争取签单"}


def test_the_opportunity_a_visit_is_for_is_listed_with_its_stage_in_words(zh, live_server):
    """The visit's opportunity list said "新办公室采购 (P)", the stage's bare letter, where the account's screen and the
    stage list below say "P 有意向客户": in words there too, before check-in and after."""
    key = token(live_server, "rep1")
    account = api(live_server, "/api/opportunities?status=open&per_page=1", key)["items"][0]["account_id"]
    opportunities = api(live_server, f"/api/opportunities?status=open&account_id={account}", key)["items"]
    said = [f"{o['title']} · {o['stage']} {STAGE_WORDS[o['stage']]}" for o in opportunities]
    log_in(zh, "rep1", wait="#tabs")
    wait_synced(zh)
    zh.goto(f"/#/visit/new?account={account}")
    expect(zh.locator("#opportunity option")).to_have_text(["无", *said])
    zh.locator("#purpose").fill("换机预算")
    zh.locator("#check-in").click()
    expect(zh.locator("#link-opportunity option")).to_have_text(["无", *said])
    zh.locator("#cancel-reason").fill("记错客户")  # taken back: the next test's visit is the rep's only one
    zh.locator("#cancel-visit button[type=submit]").click()
    expect(zh.locator("#cancel-visit")).to_have_count(0)
    wait_synced(zh)


def test_after_check_out_the_screen_opens_at_the_top_on_what_comes_next(zh, live_server):
    """Checked out from the bottom of a long visit screen, the screen stayed scrolled down, away from the next stop
    that the check-out puts at its top: it goes to the top. The card there says "next stop" once, not again before
    when to leave."""
    log_in(zh, "rep1", wait="#tabs")
    wait_synced(zh)
    key = token(live_server, "rep1")
    me = api(live_server, "/api/auth/me", key)["id"]
    first = min(api(live_server, f"/api/routes/{me}/{today_local()}", key)["stops"], key=lambda s: s["position"])
    zh.goto(f"/#/visit/new?account={first['account_id']}")
    zh.locator("#purpose").fill("换机预算")
    zh.locator("#check-in").click()
    check_out = zh.locator("#check-out")
    check_out.scroll_into_view_if_needed()
    zh.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    assert zh.evaluate("window.scrollY") > 300  # a long screen, scrolled down to its last button
    check_out.click()
    nxt = zh.locator("#next-stop")
    expect(nxt).to_be_visible()
    zh.wait_for_function("window.scrollY === 0")
    expect(nxt).to_be_in_viewport()
    # It said "下一站：3. …" and then "下一站：现在出发…": next stop, said once.
    expect(nxt.locator("strong")).to_have_text(re.compile(r"^下一站：\d+\. "))
    assert nxt.inner_text().count("下一站") == 1, nxt.inner_text()
    shot(zh, "zh-after-check-out")


def test_planning_a_new_rep_with_no_start_says_why_in_words_and_leads_to_where_it_is_set(browser, live_server):
    """A manager planning a new rep's day before the rep's home was set read "rep_id：No start location.": a field's
    name and the server's English, and no way on. It says, in the team's language, that there is no start position,
    and links to the rep's page, where the start is set on a map."""
    rep = api(
        live_server,
        "/api/users",
        token(live_server, "manager"),
        {"username": "newrep", "role": "rep", "password": "new-password-1", "display_name": "新人", "locale": "zh-CN"},
    )
    context = phone_context(browser, live_server.url, locale="zh-CN")
    try:
        page = context.new_page()
        log_in(page, "manager", wait="#tabs")
        page.goto(f"/#/week?rep={rep['id']}")
        page.locator("#rep-day-plan").click()
        status = page.locator("#rep-day-status")
        expect(status).to_contain_text("还没有出发地点（家或办公室），无法排程。")
        assert not re.search("rep_id|No start", status.inner_text()), status.inner_text()
        shot(page, "zh-rep-day-no-start")
        status.get_by_role("link", name="设置 新人 的出发地点 →").click()
        expect(page.locator("main h1")).to_have_text("新人")
        expect(page.locator("main")).to_contain_text("出发：未设置")
    finally:
        context.close()


def test_a_visit_on_a_day_with_nothing_planned_is_not_the_days_last_stop(zh, live_server):
    """A rep with no stops planned today (a new rep's day, a day of walk-ins) checked out of a visit at 10:00 and read
    "这是今天最后一站：日程计时已停止。", the day clock stopped for the rest of the day. The day has no last stop: the
    travel clock runs from the check-out, and the visit says so."""
    key = token(live_server, "rep2")
    me = api(live_server, "/api/auth/me", key)["id"]
    with pytest.raises(urllib.error.HTTPError) as none:  # nothing planned: no plan stored for today
        api(live_server, f"/api/routes/{me}/{today_local()}", key)
    assert none.value.code == 404
    account = api(live_server, "/api/accounts?per_page=1", key)["items"][0]
    log_in(zh, "rep2", wait="#tabs")
    wait_synced(zh)
    zh.goto(f"/#/visit/new?account={account['id']}")
    zh.locator("#purpose").fill("路过拜访")
    zh.locator("#check-in").click()
    zh.locator("#check-out").click()
    expect(zh.locator("#travel-clock")).to_have_text(re.compile(r"^自 \d\d:\d\d 起计入路程时间$"))
    expect(zh.locator("#day-done")).to_have_count(0)
    assert zh.evaluate("import('/js/dayclock.js').then((c) => c.running()).then((a) => a && a.category)") == "travel"
    shot(zh, "zh-walk-in-day-checked-out")
