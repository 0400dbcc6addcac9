"""Finding an account (pinyin, initials, regions, orders, every row reachable), the visit's one-tap phrases, and
reading at 360 px (amounts, stage names, 44 px tap targets, Tomorrow's height) in Chromium at 360 x 740."""

import json
import os
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from server.extensions import db
from tests.pwa.conftest import (
    PASSWORD,
    idb_all,
    log_in,
    phone_context,
    shot,
    start_live_server,
    today_local,
    wait_synced,
)

PUJIA = "浦嘉办公设备有限公司"
# Names as a Chinese reader orders them: by pinyin (ICU's Chinese collation), numbers by value.
PINYIN_ORDER = """(names) =>
  names.slice().sort(new Intl.Collator('zh-CN', { numeric: true, sensitivity: 'base' }).compare)"""
# Every test here syncs the territory, whose accounts say how many days since their last contact (the server's
# date); the overdue order and Tomorrow depend on it too. What is read here is the screens, not the calendar:
# the module runs at one fixed instant (see `fixed_clock`), and the date's edges of last contact, cadence and
# Tomorrow are the calendar set's (tests/sync, tests/reports, test_field_app's Tomorrow).
pytestmark = pytest.mark.usefixtures("fixed_clock")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The usual live server, rep1 with 130 accounts (more than a page of 100) and 浦嘉 among them."""
    os.environ.setdefault("FIELDDAY_INSTANCE", str(tmp_path_factory.mktemp("instance")))
    server = _server(tmp_path_factory.mktemp("find"))
    yield server
    server.stop()
    with server.app.app_context():
        db.engine.dispose()


def _server(folder):
    server = start_live_server(folder, today_local(), accounts_per_rep=130)
    with server.app.app_context():
        from server.changelog import recorded
        from server.models import Account, User

        rep1 = db.session.query(User).filter_by(username="rep1").one()
        with recorded(db.session):
            db.session.add(
                Account(
                    name=PUJIA,
                    address="上海市浦东新区世纪大道8号",
                    latitude=31.2352,
                    longitude=121.5055,
                    region="Pudong",
                    account_class="A",
                    owner_id=rep1.id,
                )
            )
            db.session.commit()
        db.session.remove()
    return server


@pytest.fixture
def context(browser, live_server):
    context = phone_context(browser, live_server.url, service_workers="allow")
    yield context
    context.close()


def _names(page):
    return page.locator("#account-list li strong").all_inner_texts()


def test_pinyin_and_initials_find_the_account_offline(context, page, live_server):
    log_in(page, "rep1")
    wait_synced(page)
    context.set_offline(True)
    page.goto("/#/accounts")
    for typed in ("puji", "pj", "PU JIA", "pjbg"):
        page.fill("#q", typed)
        expect(page.locator("#account-list")).to_contain_text(PUJIA)
    page.fill("#q", "pujx")
    expect(page.locator("#account-list")).not_to_contain_text(PUJIA)


def test_regions_come_from_a_list_and_the_list_sorts_three_ways(context, page, live_server):
    here = {"latitude": 31.2352, "longitude": 121.5055}  # at 浦嘉
    context.grant_permissions(["geolocation"])
    context.set_geolocation({**here, "accuracy": 15})
    log_in(page, "rep1")
    wait_synced(page)
    accounts = idb_all(page, "accounts")
    # Names and regions in pinyin order, whichever language the app shows (this one shows English).
    regions = page.evaluate(PINYIN_ORDER, sorted({a["region"] for a in accounts if a["region"]}))
    assert regions.index("虹口区") < regions.index("黄浦区") < regions.index("杨浦区")  # hong, huang, yang
    page.goto("/#/accounts")
    expect(page.locator("#region option")).to_have_text([re.compile(".+"), *regions])  # "any" first
    page.select_option("#region", "Pudong")
    expect(page.locator("#account-count")).to_contain_text(f"of {sum(a['region'] == 'Pudong' for a in accounts)}")
    page.select_option("#region", "")
    by_name = {a["name"]: a for a in accounts}
    # By name (the default), by the most overdue, by distance from the GPS position. By name is by pinyin in this
    # English app too (Chinese names in an English collator's order are in code-point order: 东 before 安).
    names = _names(page)
    assert names == page.evaluate(PINYIN_ORDER, names)
    assert names != page.evaluate("(names) => names.slice().sort((a, b) => a.localeCompare(b, 'en'))", names)
    page.select_option("#sort", "distance")
    expect(page.locator("#account-list li").first).to_contain_text(PUJIA)
    shown = [by_name_km for by_name_km in page.locator("#account-list li .distance").all_inner_texts()[:20]]
    assert shown[0] == "0 m"
    nearest = sorted(_metres(here, a) for a in accounts if a["latitude"] is not None)[:20]
    assert [_parse_distance(s) for s in shown] == pytest.approx(nearest, abs=60)
    page.select_option("#sort", "overdue")
    ordered = _names(page)
    lateness = page.evaluate(
        """(accounts) => accounts.map((a) => a.last_contact_at === null ? Infinity
             : Math.floor((Date.now() - Date.parse(a.last_contact_at)) / 86400000)
               - ({A: 7, B: 14, C: 30})[a.account_class])""",
        [by_name[n] for n in ordered],
    )
    assert lateness == sorted(lateness, reverse=True) and lateness[0] > lateness[-1]
    # The account form's region is picked from the same list, not typed.
    page.goto(f"/#/account/{by_name[PUJIA]['id']}/edit")
    region = page.locator("#f-region")
    assert region.evaluate("(e) => e.tagName") == "SELECT"
    assert [o for o in region.locator("option").all_inner_texts()][1:] == regions
    assert region.input_value() == "Pudong"


def _parse_distance(text):
    number, unit = text.split()
    return float(number) * (1000 if unit == "km" else 1)


def _metres(here, account):
    from math import asin, cos, radians, sin, sqrt

    la1, lo1, la2, lo2 = map(radians, (here["latitude"], here["longitude"], account["latitude"], account["longitude"]))
    h = sin((la2 - la1) / 2) ** 2 + cos(la1) * cos(la2) * sin((lo2 - lo1) / 2) ** 2
    return 2 * 6_371_008.8 * asin(sqrt(h))


def test_more_than_100_accounts_are_all_reachable(page, live_server):
    log_in(page, "rep1")
    wait_synced(page)
    total = len(idb_all(page, "accounts"))
    assert total > 100
    page.goto("/#/accounts")
    expect(page.locator("#account-count")).to_have_text(f"100 of {total}")
    assert page.locator("#account-list li").count() == 100
    page.locator("#account-more").click()
    expect(page.locator("#account-count")).to_have_text(f"{total} of {total}")
    assert page.locator("#account-list li").count() == total
    expect(page.locator("#account-more")).to_be_hidden()


def test_amounts_in_yuan_and_stage_names_in_both_languages(browser, live_server):
    for locale, lang, stage_s, stage_o in (
        ("en-US", "en", "S Suspect", "O Order"),
        ("zh-CN", "zh-CN", "S 潜在客户", "O 订单执行"),
    ):
        context = phone_context(browser, live_server.url, locale=locale)
        page = context.new_page()
        try:
            page.goto("/")
            page.locator("#username, input[name='username']").first.fill("rep1")
            page.locator("input[type='password']").fill(PASSWORD)
            page.locator("form button[type='submit']").first.click()
            page.wait_for_selector("#route, #plan-today, #day-over")
            wait_synced(page)
            opportunity = next(o for o in idb_all(page, "opportunities") if o["amount"] and o["status"] == "open")
            amount = int(float(opportunity["amount"]))
            page.goto(f"/#/account/{opportunity['account_id']}")
            expect(page.locator("main")).to_contain_text(f"¥{amount:,}")
            assert not re.search(r"\d{5}\.00", page.locator("main").inner_text())  # no bare 86000.00
            page.goto(f"/#/opportunity/{opportunity['id']}")
            page.wait_for_selector("#stage", state="attached")
            options = page.locator("#stage option").all_inner_texts()
            expect(page.locator("main")).to_contain_text(f"¥{amount:,}")
            assert stage_s in options or stage_o in options, (lang, options)
            assert page.locator("main .tag").first.inner_text().startswith(opportunity["stage"] + " ")
        finally:
            context.close()


def test_the_visits_purpose_and_outcome_offer_the_methods_phrases(page, live_server):
    log_in(page, "rep1")
    wait_synced(page)
    account = idb_all(page, "accounts")[0]
    page.goto(f"/#/visit/new?account={account['id']}")
    chips = page.locator("[data-preset-for='purpose']")
    expect(chips).to_have_text(["First call", "Demo", "Proposal", "Follow-up", "Service", "Replacement"])
    chips.filter(has_text="Proposal").click()
    assert page.locator("#purpose").input_value() == "Proposal"
    page.fill("#purpose", "Toner contract")  # free text still works
    assert page.locator("#purpose").input_value() == "Toner contract"


def _fake_plan(page, count=12, dropped=6):
    """A 12-stop plan for tomorrow kept on the phone (as the evening batch would have made it), with candidates
    the planner left out."""
    accounts = [a for a in idb_all(page, "accounts") if a["latitude"] is not None]
    tomorrow = str(today_local() + timedelta(days=1))
    stops = [
        {
            "account_id": a["id"],
            "position": i,
            "planned_arrival": f"{tomorrow}T{8 + i // 2:02d}:{(i % 2) * 30:02d}:00+08:00",
            "travel_minutes": 10 + i,
            "reason": "cadence_due" if i % 2 else "appointment,opportunity_D" + (",cadence_due" if i % 4 == 0 else ""),
            "pinned": False,
            "appointment_id": None,
        }
        for i, a in enumerate(accounts[:count])
    ]
    left_out = [{"id": a["id"], "reason": "not_worth_the_time"} for a in accounts[count : count + dropped]]
    plan = {
        "id": "00000000-0000-4000-8000-000000000012",
        "plan_date": tomorrow,
        "stops": stops,
        "dropped": left_out,
        "version": 1,
    }
    page.evaluate(
        """async (plan) => {
          const db = await new Promise((ok, fail) => {
            const r = indexedDB.open('fieldday'); r.onsuccess = () => ok(r.result); r.onerror = fail; });
          await new Promise((ok, fail) => { const tx = db.transaction('route_plans', 'readwrite');
            tx.objectStore('route_plans').put(plan);
            tx.oncomplete = ok; tx.onerror = fail; });
          db.close(); }""",
        json.loads(json.dumps(plan)),
    )
    return plan


TAP_TARGETS = """() => [...document.querySelectorAll(
    "main a[href^='tel:'], main a[href^='mailto:'], main input[type='checkbox'], main .list button,"
    + " main .list a.button,"
    + " main button, main a.button, main details > summary")]
  .filter((e) => e.offsetParent !== null)
  // a checkbox is tapped by its label
  .map((e) => { const target = e.type === 'checkbox' ? e.closest('label') ?? e : e;
                const r = target.getBoundingClientRect();
                return {what: e.outerHTML.slice(0, 80), width: r.width, height: r.height}; })"""


def _small(page):
    return [t for t in page.evaluate(TAP_TARGETS) if t["width"] < 44 or t["height"] < 44]


def test_tap_targets_are_44_px_on_the_account_and_tomorrow_screens(page, live_server):
    log_in(page, "rep1")
    wait_synced(page)
    contacts = [c for c in idb_all(page, "contacts") if c.get("phone")]
    page.goto(f"/#/account/{contacts[0]['account_id']}")
    page.wait_for_selector("a[href^='tel:']")
    assert page.evaluate(TAP_TARGETS), "nothing measured"
    assert _small(page) == []
    _fake_plan(page)
    page.goto("/#/tomorrow")
    page.wait_for_selector("#tomorrow-stops li")
    page.locator("#tomorrow-left-out summary").click()
    assert page.locator("#tomorrow-left-out input[type='checkbox']").count() == 6
    assert _small(page) == []


# The names on Tomorrow whose words run past their box (to the right, or below its two lines).
NAMES_CUT = """() => [...document.querySelectorAll('#tomorrow-stops .what strong')].filter((name) => {
  const words = document.createRange(); words.selectNodeContents(name);
  const box = name.closest('.what').getBoundingClientRect(), own = name.getBoundingClientRect();
  return [...words.getClientRects()].some((r) => r.right > box.right + 0.5 || r.bottom > own.bottom + 0.5);
}).map((name) => name.textContent)"""

# The reason tags on Tomorrow not shown whole inside their stop's box.
TAGS_CUT = """() => [...document.querySelectorAll('#tomorrow-stops .what .tag')].filter((tag) => {
  const box = tag.closest('.what').getBoundingClientRect(), own = tag.getBoundingClientRect();
  return own.right > box.right + 0.5 || own.bottom > box.bottom + 0.5 || tag.scrollWidth > tag.clientWidth;
}).map((tag) => tag.textContent)"""


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_tomorrow_fits_a_12_stop_day_in_two_screens_with_left_out_candidates_folded(browser, live_server, locale):
    context = phone_context(browser, live_server.url, locale=locale)
    page = context.new_page()
    try:
        log_in(page, "rep1")
        wait_synced(page)
        plan = _fake_plan(page)
        page.goto("/#/tomorrow")
        page.wait_for_selector("#tomorrow-stops li")
        assert page.locator("#tomorrow-stops li").count() == 12
        folded = page.locator("#tomorrow-left-out")
        assert folded.get_attribute("open") is None  # folded
        # The screen measured is Tomorrow's own: the banners above it are left out of the height (a notice of today's
        # route, sent within working hours, and the leave reminder for today's next stop show or not by the hour
        # the tests run).
        height = page.evaluate(
            "document.documentElement.scrollHeight - ['notice-banner', 'reminder-banner', 'banner', 'insecure-banner']"
            ".reduce((sum, id) => sum + (document.getElementById(id)?.offsetHeight ?? 0), 0)"
        )
        assert height <= 2 * 740, height
        # The names have the room: the controls are named once above the list, not on every line.
        share = page.evaluate(
            "Math.min(...[...document.querySelectorAll('#tomorrow-stops .what')]"
            ".map((e) => e.clientWidth / e.parentElement.clientWidth))"
        )
        assert share >= 0.55, share  # 0.47 (English) and 0.49 (Chinese) with a label on every line
        # Each name shows whole, on two lines when it needs them (the demo's are ten Chinese characters and a number,
        # "上海嘉明教育有限公司 1-005": cut after about seven when a stop had one line).
        assert page.evaluate(NAMES_CUT) == []
        # A long name may end in "…", but each stop's travel minutes show whole, on the line under it.
        assert page.evaluate(
            "[...document.querySelectorAll('#tomorrow-stops .leg-min')].every((e) =>"
            " e.getBoundingClientRect().right <= e.closest('.what').getBoundingClientRect().right + 0.5)"
        )
        # Every reason shows whole (what does not fit beside the travel goes on the next line), none cut with "…".
        assert page.locator("#tomorrow-stops .tag").count() == 3 * 3 + 3 * 2 + 6
        assert page.evaluate(TAGS_CUT) == []
        shot(page, f"tomorrow-12-stops-{locale}")
        folded.locator("summary").click()
        candidate = plan["dropped"][0]["id"]
        facts = page.locator(f"li[data-candidate='{candidate}'] .muted").inner_text()
        account = next(a for a in idb_all(page, "accounts") if a["id"] == candidate)
        assert account["account_class"] in facts.split(" · ")
        assert re.search(r"(overdue|逾期|never|从未)", facts) or account["last_contact_at"]
        assert re.search(r"\d+(\.\d)? ?(m|km|米|公里)", facts), facts
        assert ("Did not fit" in facts) if locale == "en-US" else ("排不下" in facts)
        shot(page, f"tomorrow-left-out-{locale}")
    finally:
        context.close()
