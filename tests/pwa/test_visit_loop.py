"""The visit loop as a new rep meets it at 360x740, in Chromium with the GPS and the clock set: a fresh fix at
each check-in and check-out, a call where the customer was not met shown as such, the daily report with the
flags the server returns, a machine card that links the opportunity replacing it, and the phone applying its
own visit to the account's last contact at once, offline."""

import json
import re
import urllib.request
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from server import clock
from tests.pwa.conftest import PASSWORD, TZ, idb_all, log_in, phone_context, today_local, wait_synced
from tests.pwa.test_field_app import token

A = {"latitude": 31.2304, "longitude": 121.4737, "accuracy": 12}
B = {"latitude": 31.2393, "longitude": 121.4737, "accuracy": 15}  # about 990 m north of A


def call(live_server, method, path, tok, body=None):
    request = urllib.request.Request(
        live_server.url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {tok}"},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def rep_accounts(live_server, tok):
    return call(live_server, "GET", "/api/accounts?per_page=500", tok)["items"]


def check_in(page, account_id, purpose="Check the toner contract", button="Check in", label=None):
    page.goto(f"/#/visit/new?account={account_id}")
    page.get_by_label(label or "Purpose of this visit (required)").fill(purpose)
    page.get_by_role("button", name=button).click()
    page.wait_for_selector("#visit-form")
    return page.url.rsplit("/", 1)[-1]


def check_out(page, text="Checked out at"):
    page.locator("#check-out").click()
    page.wait_for_selector(f"text={text}")


def local_visit(page, visit_id):
    return {v["id"]: v for v in idb_all(page, "visits")}[visit_id]


# Bug 2: a check-in takes a fresh fix, and the screen says when the fix is poor or missing.


@pytest.mark.calendar
def test_a_check_in_a_minute_after_leaving_the_last_customer_takes_the_new_position(context, page, live_server):
    first, second = rep_accounts(live_server, token(live_server))[:2]
    context.grant_permissions(["geolocation"])
    context.set_geolocation(A)
    log_in(page)
    wait_synced(page)
    check_in(page, first["id"])
    check_out(page)
    context.set_geolocation(B)  # driven to the next customer: the position of A is seconds old
    visit = local_visit(page, check_in(page, second["id"]))
    assert (visit["check_in_lat"], visit["check_in_lng"], visit["check_in_accuracy_m"]) == (
        B["latitude"],
        B["longitude"],
        B["accuracy"],
    )
    expect(page.locator("#fix-warning")).to_have_count(0)  # a good fix says nothing more
    check_out(page)
    wait_synced(page, 0)


@pytest.mark.calendar
def test_a_poor_fix_is_said_at_check_in_and_at_check_out(context, page, live_server):
    account = rep_accounts(live_server, token(live_server))[2]
    context.grant_permissions(["geolocation"])
    context.set_geolocation({**A, "accuracy": 450})
    log_in(page)
    wait_synced(page)
    check_in(page, account["id"])
    expect(page.locator("#fix-warning")).to_contain_text("Poor GPS fix at check-in: ±450 m")
    context.set_geolocation({**A, "accuracy": 220})
    check_out(page)
    expect(page.locator("#fix-warning")).to_contain_text("Poor GPS fix at check-out: ±220 m")
    wait_synced(page, 0)


@pytest.mark.calendar
def test_a_denied_position_is_said_in_chinese(browser, live_server):
    account = rep_accounts(live_server, token(live_server))[3]
    context = phone_context(browser, live_server.url, locale="zh-CN")  # no permission granted
    try:
        page = context.new_page()
        page.goto("/")
        page.get_by_label("用户名").fill("rep1")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector("#route, #plan-today, #day-over")
        wait_synced(page)
        visit_id = check_in(page, account["id"], button="签到", label="拜访目的（必填）")
        expect(page.locator("#fix-warning")).to_contain_text("签到时无定位：定位权限被拒绝")
        assert local_visit(page, visit_id)["check_in_lat"] is None
        check_out(page, text="已签退")
        expect(page.locator("#fix-warning")).to_contain_text("签退时无定位：定位权限被拒绝")
        wait_synced(page)
    finally:
        context.close()


# Bug 3: a call where the customer was not met is not a visit done; Near me is one tap away.


@pytest.mark.calendar
def test_a_customer_not_met_is_shown_as_not_met_not_done_and_offers_near_me(browser, live_server):
    tok = token(live_server)
    me = call(live_server, "GET", "/api/auth/me", tok)["id"]
    stops = sorted(
        call(live_server, "GET", f"/api/routes/{me}/{today_local()}", tok)["stops"], key=lambda s: s["position"]
    )
    at = datetime.fromisoformat(stops[0]["planned_arrival"]) + timedelta(minutes=5)
    context = phone_context(browser, live_server.url, at=at)
    try:
        page = context.new_page()
        log_in(page)
        wait_synced(page)
        check_in(page, stops[0]["account_id"], purpose="Demo of the colour model")
        page.get_by_label(re.compile("Customer not met")).check()
        page.get_by_role("button", name="Save").click()
        offer = page.locator("#not-met-next")
        expect(offer).to_contain_text("Customer not met: use the time for an account nearby.")
        expect(offer.get_by_role("link", name="Near me")).to_have_attribute("href", "#/nearby")
        check_out(page)
        expect(page.locator("#not-met-next")).to_be_visible()  # still offered once checked out
        wait_synced(page, 0)
        page.get_by_role("link", name="Today").click()
        page.wait_for_selector("#route")
        first = page.locator("#route li.stop").nth(0)
        assert first.get_attribute("data-state") == "not_met"
        expect(first).to_contain_text("Not met")
        expect(first).not_to_contain_text("Done")
        expect(first).not_to_contain_text("✓")
        done = page.locator("#route li.stop[data-state=done]").count()  # other tests' visits to today's stops
        expect(page.locator("#day-count")).to_have_text(f"{done} of {len(stops)} stops done · 1 not met")
        page.goto(f"/#/visit/{local_visit_id(page, stops[0]['account_id'])}")
        page.get_by_role("link", name="Near me").click()
        page.wait_for_url(re.compile("#/nearby$"))
    finally:
        context.close()


def local_visit_id(page, account_id):
    return next(v["id"] for v in idb_all(page, "visits") if v["account_id"] == account_id and v.get("met") is False)


# Bug 4: the daily report shows the flags the server returns, a loss as a loss, and read-only labels.


def _flagged_day(live_server):
    """rep1's day so far: a call not met, a check-in 1 km away from the account, a cancelled visit, a deal lost."""
    tok = token(live_server)
    accounts = [a for a in rep_accounts(live_server, tok) if a["latitude"] is not None][4:8]
    now = clock.now()
    midnight = datetime.combine(now.astimezone(ZoneInfo(TZ)).date(), time(0), ZoneInfo(TZ))
    if now - midnight < timedelta(hours=2):
        # Just after midnight (a shifted run) the day so far has no room for the four records: the server's
        # clock moves on to 02:00 of the same day for this test (put back afterwards).
        clock.set_now(midnight + timedelta(hours=2))
        now = clock.now()
    start = now - timedelta(minutes=90)

    def visit(account, minutes, **extra):
        body = {
            "account_id": account["id"],
            "purpose": f"Purpose {minutes}",
            "check_in_at": (start + timedelta(minutes=minutes)).isoformat(),
            "check_out_at": (start + timedelta(minutes=minutes + 10)).isoformat(),
            "check_in_lat": account["latitude"],
            "check_in_lng": account["longitude"],
            **extra,
        }
        return call(live_server, "POST", "/api/visits", tok, body)

    visit(accounts[0], 0, met=False)
    visit(accounts[1], 20, check_in_lat=accounts[1]["latitude"] + 0.009)
    cancelled = visit(accounts[2], 40)
    call(
        live_server,
        "PATCH",
        f"/api/visits/{cancelled['id']}",
        tok,
        {"cancelled_at": now.isoformat(), "cancel_reason": "Tapped the wrong account"},
    )
    deal = call(
        live_server, "POST", "/api/opportunities", tok, {"account_id": accounts[3]["id"], "title": "Lost fleet"}
    )
    call(live_server, "PATCH", f"/api/opportunities/{deal['id']}", tok, {"status": "lost", "loss_reason": "price"})
    day = start.astimezone(ZoneInfo(TZ)).date()
    report = call(live_server, "GET", f"/api/reports/daily?date={day}", tok)["reports"][0]
    mine = [v for v in report["visits"] if v["purpose"].startswith("Purpose ")]
    assert [(v["met"], v["away"], v["cancelled"]) for v in mine] == [
        (False, False, False),
        (True, True, False),
        (True, False, True),
    ]
    assert [(m["from"], m["to"], m["status"]) for m in report["stage_moves"] if m["title"] == "Lost fleet"] == [
        ("S", "S", "lost")
    ]
    return day


def _read_report(page, day: date):
    page.goto("/#/report")
    page.locator("#daily-date").fill(day.isoformat())
    page.locator("#daily-pick").get_by_role("button", name="Show", exact=True).click()
    report = page.locator("article.daily")
    expect(report).to_contain_text("Lost fleet")
    return report


def _assert_flags(report):
    expect(report).to_contain_text("Customer not met")
    expect(report).to_contain_text(re.compile(r"Away from the account: (\d+ m|\d+\.\d km)"))
    expect(report).to_contain_text("Cancelled: Tapped the wrong account")
    expect(report).to_contain_text(re.compile(r"Lost fleet \(.*\): S → lost \(Price\)"))
    expect(report).not_to_contain_text("S → S")
    expect(report).not_to_contain_text("(required)")
    expect(report).to_contain_text("Purpose: Purpose 0")


@pytest.mark.calendar
def test_the_daily_report_shows_not_met_away_cancelled_and_lost_to_the_rep_and_the_manager(browser, live_server):
    day = _flagged_day(live_server)
    context = phone_context(browser, live_server.url)
    try:
        page = context.new_page()
        log_in(page)
        _assert_flags(_read_report(page, day))
    finally:
        context.close()
    context = phone_context(browser, live_server.url, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto("/")
        page.get_by_label("用户名").fill("manager")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector("main h1")
        page.goto("/#/report")
        page.locator("#daily-date").fill(day.isoformat())
        page.locator("#daily-pick button[type=submit]").click()
        rep1 = page.locator("details.daily").filter(has_text="Lost fleet")
        expect(rep1).to_have_count(1)
        rep1.locator("summary").click()
        expect(rep1).to_contain_text("未见到客户")
        expect(rep1).to_contain_text(re.compile(r"不在客户处：(\d+ 米|\d+\.\d 公里)"))
        expect(rep1).to_contain_text("已取消：Tapped the wrong account")
        expect(rep1).to_contain_text("S → 失单（价格）")
        expect(rep1).not_to_contain_text("必填")
        # Label and value with the language's own colon, the day as every other screen writes it.
        expect(rep1).to_contain_text("目的：Purpose 0")
        expect(rep1).not_to_contain_text(re.compile(r"目的: |结果: |下一步: "))
        expect(rep1.locator("h2").first).not_to_contain_text(day.isoformat())
    finally:
        context.close()


# Bug 5: once an open opportunity replaces a machine, its card links it instead of offering another.


@pytest.mark.calendar
def test_a_machine_replaced_by_an_open_opportunity_links_it_instead_of_offering_it_again(page, live_server):
    tok = token(live_server)
    account = rep_accounts(live_server, tok)[9]
    installed = today_local().replace(day=1) - timedelta(days=7 * 366)
    device = call(
        live_server,
        "POST",
        "/api/devices",
        tok,
        {
            "account_id": account["id"],
            "ownership": "competitor",
            "brand": "Canon",
            "model": "iR-ADV C5560",
            "colour": "colour",
            "installed_on": installed.isoformat(),
            "monthly_volume": 12000,
        },
    )
    log_in(page)
    wait_synced(page)
    page.goto(f"/#/account/{account['id']}")
    card = page.locator(".device").filter(has_text="iR-ADV C5560")
    expect(card.get_by_role("link", name="Open the opportunity")).to_be_visible()
    card.get_by_role("link", name="Open the opportunity").click()
    page.get_by_label(re.compile("^Title")).fill("Replace the Canon")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"#/(account|opportunity)/"))
    opportunity = next(o for o in idb_all(page, "opportunities") if o.get("device_id") == device["id"])
    page.goto(f"/#/account/{account['id']}")
    card = page.locator(".device").filter(has_text="iR-ADV C5560")
    expect(card.get_by_role("link", name="Open the opportunity")).to_have_count(0)
    expect(card).to_contain_text("Replaced by the open opportunity")
    expect(card.get_by_role("link", name="Replace the Canon")).to_have_attribute(
        "href", f"#/opportunity/{opportunity['id']}"
    )


# Bug 6: the phone applies its own visit to the account at once, offline, by the server's rule.


@pytest.mark.calendar
def test_an_offline_met_visit_moves_the_accounts_last_contact_at_once_and_a_not_met_one_does_not(
    context, page, live_server
):
    tok = token(live_server)
    now = clock.now()
    overdue = [
        a
        for a in rep_accounts(live_server, tok)
        if a["last_contact_at"] and a["overdue"] and a["days_since_contact"] and a["days_since_contact"] >= 8
    ]
    met, absent = overdue[0], overdue[1]
    log_in(page)
    wait_synced(page)
    context.set_offline(True)
    check_in(page, met["id"])
    check_out(page)
    page.goto(f"/#/account/{met['id']}")
    expect(page.locator("main")).to_contain_text("0 days since last contact")
    expect(page.locator("main .tag.warn", has_text="Overdue")).to_have_count(0)
    stored = {a["id"]: a for a in idb_all(page, "accounts")}[met["id"]]
    assert abs(datetime.fromisoformat(stored["last_contact_at"]) - now) < timedelta(minutes=5)
    # A call where the customer was not met moves nothing: marked at check-in time, or after.
    check_in(page, absent["id"])
    page.get_by_label(re.compile("Customer not met")).check()
    check_out(page)
    page.goto(f"/#/account/{absent['id']}")
    expect(page.locator("main")).to_contain_text(f"{absent['days_since_contact']} days since last contact")
    expect(page.locator("main .tag.warn", has_text="Overdue")).to_have_count(1)
    # Cancelling the met visit takes the last contact back to what it was.
    page.goto(f"/#/account/{met['id']}")
    page.locator("a.item[href^='#/visit/']").first.click()
    page.get_by_label("Recorded by mistake? Why cancel it").fill("Wrong account")
    page.get_by_role("button", name="Cancel this visit").click()
    page.wait_for_selector("text=Cancelled")
    page.goto(f"/#/account/{met['id']}")
    expect(page.locator("main")).to_contain_text(f"{met['days_since_contact']} days since last contact")
    context.set_offline(False)
    page.locator("#sync-status").click()
    wait_synced(page, 0)
    server = {a["id"]: a for a in rep_accounts(live_server, tok)}
    assert server[met["id"]]["last_contact_at"] == met["last_contact_at"]
    assert server[absent["id"]]["last_contact_at"] == absent["last_contact_at"]
