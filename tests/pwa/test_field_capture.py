"""What the rep records at the customer, offline, in Chromium at 360x740: a prospect at the GPS
position, a contact, a competitor's machine, the replacement opportunity it calls for, an
appointment; then online, the server holds exactly those records and the reports count them."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from server import clock
from tests.pwa.conftest import TZ, log_in, phone_context, save_new_account, shot, today_local, wait_synced
from tests.pwa.test_field_app import api, token

HERE = {"latitude": 31.2040, "longitude": 121.6012, "accuracy": 9}
# Codes the server stores: none may reach the screen as it is, in either language.
CODES = [
    "decision_maker",
    "person_in_charge",
    "competitor",
    "head_office",
    "new_site",
    "consolidation",
    "replacement",
    "budget_unknown",
    "process_unknown",
    "decision_maker_absent",
    "proposal_late",
]
KEY = re.compile(r"\b(?:field|code|form|opportunity|account|device|conflict|error|age)\.[a-z_]+\b")


def assert_words_not_codes(page):
    text = page.locator("main").inner_text()
    leaked = [c for c in CODES if re.search(rf"\b{c}\b", text)] + KEY.findall(text)
    assert not leaked, f"untranslated on screen: {leaked}"


def rep_get(live_server, path, username="rep1"):
    return api(live_server, path, token(live_server, username))


def fill_account(page, name):
    page.get_by_label("Name *").fill(name)
    page.get_by_label("Address").fill("上海市浦东新区张江路 88 号")
    save_new_account(page)


@pytest.mark.calendar
def test_a_prospect_its_contact_machine_opportunity_and_appointment_recorded_offline(context, page, live_server):
    context.grant_permissions(["geolocation"])
    context.set_geolocation(HERE)
    log_in(page, "rep1")
    wait_synced(page)
    context.set_offline(True)

    page.get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="New prospect").click()
    assert page.get_by_label("Class (A/B/C)").input_value() == "C"  # a new prospect starts as C
    shot(page, "capture-new-prospect")
    fill_account(page, "张江新客户 Capture Test")
    account_id = page.url.rsplit("/", 1)[-1]
    page.get_by_role("link", name="Accounts").click()
    page.get_by_label("Search name or address").fill("Capture Test")
    expect(page.locator("#account-list a.item")).to_have_count(1)  # listed at once, offline
    page.goto(f"/#/account/{account_id}")

    page.locator("a[href^='#/contact/new']").click()
    page.get_by_label("Name *").fill("王总")
    page.get_by_label("Role in the purchase").select_option("decision_maker")
    page.get_by_label("Phone").fill("13800001111")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/#/account/{account_id}")
    expect(page.locator("a[href='tel:13800001111']")).to_be_visible()

    installed = (clock.now().astimezone(ZoneInfo(TZ)).date() - timedelta(days=6 * 366)).strftime("%Y-%m")
    page.locator("a[href^='#/device/new']").click()
    page.get_by_label("Ours or a competitor's").select_option("competitor")
    page.get_by_label("Brand *").fill("Ricoh")
    page.get_by_label("Model").fill("MP 6055")
    page.get_by_label("Installed (year and month)").fill(installed)
    page.get_by_label("Pages a month").fill("8000")
    shot(page, "capture-machine")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/#/account/{account_id}")
    device = page.locator(".card.device")
    expect(device).to_contain_text("5 years or more")
    expect(device).to_contain_text("Replacement opportunity")
    assert_words_not_codes(page)
    shot(page, "capture-account")

    device.get_by_role("link", name="Open the opportunity").click()
    assert page.get_by_label("Kind").input_value() == "replacement"
    assert page.get_by_label("Title *").input_value() == "Replace Ricoh MP 6055"
    page.get_by_label("Amount").fill("68000")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"#/opportunity/[0-9a-f-]{36}$"))
    opportunity_id = page.url.rsplit("/", 1)[-1]
    page.get_by_label("Money: has budget").check()
    page.wait_for_function("document.querySelector('#man-unknown').textContent.includes('A (authority)')")
    page.get_by_label("Need: confirmed").check()
    page.wait_for_function("!document.querySelector('#man-unknown').textContent.includes('N (need)')")
    assert page.get_by_label("Move to stage").input_value() == "P"  # the next stage, one at a time
    page.get_by_role("button", name="Move").click()
    expect(page.locator(".tag", has_text="P Prospect")).to_be_visible()
    page.get_by_label("Move to stage").select_option("A")
    page.get_by_role("button", name="Move").click()
    expect(page.locator("#stage-note")).to_contain_text("still unknown: A (authority)")  # M-A-N before the approach
    assert page.get_by_role("button", name="Confirm").is_visible()
    shot(page, "capture-opportunity")
    page.get_by_role("link", name="Back").click()

    tomorrow = clock.now().astimezone(ZoneInfo(TZ)).date() + timedelta(days=1)
    page.get_by_role("link", name="Book appointment").click()
    page.get_by_label("Day *").fill(tomorrow.isoformat())
    page.get_by_label("Time *").fill("14:00")
    page.get_by_label("Purpose").fill("演示彩色机")
    shot(page, "capture-appointment")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/#/account/{account_id}")
    expect(page.locator("#view")).to_contain_text("演示彩色机")

    # The buyer is out: a visit with "not met", which must not reset the account's cadence.
    page.get_by_role("link", name="New visit").click()
    page.get_by_label("Purpose of this visit (required)").fill("Introduce ourselves")
    page.get_by_role("button", name="Check in").click()
    page.wait_for_selector("#visit-form")
    visit_id = page.url.rsplit("/", 1)[-1]
    page.get_by_label(re.compile("Customer not met")).check()
    page.get_by_role("button", name="Check out").click()
    page.wait_for_selector("text=Checked out at")
    expect(page.locator(".tag", has_text="Customer not met")).to_be_visible()
    shot(page, "capture-not-met")

    context.set_offline(False)
    wait_synced(page, 0)
    stored = rep_get(live_server, f"/api/accounts/{account_id}")
    assert (stored["latitude"], stored["longitude"], stored["account_class"]) == (
        HERE["latitude"],
        HERE["longitude"],
        "C",
    )
    assert stored["plannable"] is True
    assert stored["last_contact_at"] is None  # the only visit was "not met": the cadence did not reset
    visit = rep_get(live_server, f"/api/visits?account_id={account_id}")["items"]
    assert [(v["id"], v["met"]) for v in visit] == [(visit_id, False)]
    contacts = rep_get(live_server, f"/api/contacts?account_id={account_id}")["items"]
    assert [(c["name"], c["purchase_role"], c["phone"]) for c in contacts] == [
        ("王总", "decision_maker", "13800001111")
    ]
    devices = rep_get(live_server, f"/api/devices?account_id={account_id}")["items"]
    assert [(d["ownership"], d["brand"], d["monthly_volume"], d["installed_on"]) for d in devices] == [
        ("competitor", "Ricoh", 8000, f"{installed}-01")
    ]
    opportunity = rep_get(live_server, f"/api/opportunities/{opportunity_id}")
    assert (opportunity["stage"], opportunity["kind"], opportunity["device_id"], opportunity["amount"]) == (
        "P",
        "replacement",
        devices[0]["id"],
        "68000.00",
    )
    assert (opportunity["man_money"], opportunity["man_authority"], opportunity["man_need"]) == (True, False, True)
    appointments = rep_get(live_server, f"/api/appointments?account_id={account_id}")["items"]
    assert len(appointments) == 1
    starts = datetime.fromisoformat(appointments[0]["starts_at"]).astimezone(ZoneInfo(TZ))
    assert (starts.date(), starts.strftime("%H:%M")) == (tomorrow, "14:00")

    # Tomorrow's plan holds the appointment at 14:00 (the demo books the rep's 08:45 across town);
    # the MIF matrix and the funnel count the new records.
    t = token(live_server, "rep1")
    plan = api(live_server, "/api/routes/plan", t, {"date": tomorrow.isoformat()})
    stop = next(s for s in plan["stops"] if s["account_id"] == account_id)
    assert datetime.fromisoformat(stop["planned_arrival"]).astimezone(ZoneInfo(TZ)).strftime("%H:%M") == "14:00"
    today = clock.now().astimezone(ZoneInfo(TZ)).date().isoformat()
    cells = rep_get(live_server, f"/api/reports/installed-base?from={today}&to={today}")["rows"]
    cell = next(c for c in cells if (c["ownership"], c["volume_band"], c["age_band"]) == ("competitor", "5-10K", "5+"))
    assert account_id in cell["account_ids"] and cell["replacement_opportunity"] is True
    funnel = rep_get(live_server, f"/api/reports/funnel?from={today}&to={today}")["rows"][0]
    assert funnel["open_by_stage"]["P"] >= 1 and funnel["reached"]["P"] >= 1


@pytest.mark.calendar
def test_one_open_visit_at_a_time_and_a_stop_visited_today_opens_its_visit(page, live_server):
    log_in(page, "rep2")
    wait_synced(page)
    names = [a["name"] for a in rep_get(live_server, "/api/accounts?per_page=3", "rep2")["items"]]
    page.get_by_role("link", name="Accounts").click()
    page.locator("#account-list a.item", has_text=names[0]).first.click()
    page.get_by_role("link", name="New visit").click()
    page.get_by_label("Purpose of this visit (required)").fill("Check the toner contract")
    page.get_by_role("button", name="Check in").click()
    page.wait_for_selector("#visit-form")
    open_id = page.url.rsplit("/", 1)[-1]
    page.get_by_role("link", name="Accounts").click()
    page.locator("#account-list a.item", has_text=names[1]).first.click()
    page.get_by_role("link", name="New visit").click()
    expect(page.locator("#still-open")).to_contain_text(names[0])
    assert page.get_by_role("button", name="Check in").count() == 0
    page.get_by_role("link", name="Open that visit").click()
    page.wait_for_url(f"**/#/visit/{open_id}")
    page.get_by_role("button", name="Check out").click()
    page.wait_for_selector("text=Checked out at")
    page.get_by_role("link", name="Accounts").click()
    page.locator("#account-list a.item", has_text=names[0]).first.click()
    page.get_by_role("link", name="New visit").click()
    expect(page.get_by_text("Already visited today")).to_be_visible()


@pytest.mark.calendar
def test_a_prospect_created_on_the_phone_is_never_visited_but_not_overdue(context, page, live_server):
    context.clear_permissions()
    log_in(page, "rep1")
    wait_synced(page)
    context.set_offline(True)
    page.goto("/#/account/new")
    page.get_by_label("Class (A/B/C)").select_option("A")  # the shortest cadence: 7 days
    fill_account(page, "刚建的客户 Fresh Prospect")
    account_id = page.url.rsplit("/", 1)[-1]
    main = page.locator("main")
    expect(main).to_contain_text("Never visited")
    expect(main).not_to_contain_text("Overdue")  # its first visit is due within 7 days of its creation
    context.set_offline(False)
    wait_synced(page, 0)
    stored = rep_get(live_server, f"/api/accounts/{account_id}")
    assert stored["overdue"] is False and stored["created_at"] and stored["last_contact_at"] is None
    page.goto("/#/accounts")
    page.goto(f"/#/account/{account_id}")  # drawn again from what the server sent back
    expect(main).to_contain_text("Never visited")
    expect(main).not_to_contain_text("Overdue")
    page.get_by_role("link", name="Accounts").click()
    page.get_by_label("Search name or address").fill("Fresh Prospect")
    item = page.locator("#account-list a.item")
    expect(item).to_have_count(1)
    expect(item).not_to_contain_text("Overdue")


@pytest.mark.calendar
def test_the_whole_capture_in_chinese_shows_words_not_codes(browser, live_server):
    """The same offline capture as a Chinese-speaking rep does it: every screen in words, no stored code."""
    context = phone_context(browser, live_server.url, locale="zh-CN")
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": 31.19, "longitude": 121.59, "accuracy": 20})
    try:
        page = context.new_page()
        page.goto("/")
        page.locator("#username").fill("rep2")
        page.locator("#password").fill("demo-password-1")
        page.locator("form button[type=submit]").click()
        page.wait_for_selector("#route, #plan-today, #day-over")
        wait_synced(page)
        context.set_offline(True)

        def screen(name):
            page.wait_for_selector("main h1")
            assert_words_not_codes(page)
            assert re.search(r"[\u4e00-\u9fff]", page.locator("main h1").inner_text()), "the heading is not Chinese"
            shot(page, f"capture-zh-{name}")

        page.goto("/#/account/new")
        screen("prospect")
        page.locator("#f-name").fill("中文流程客户")
        page.locator("#f-org-type").select_option("factory")
        account_id = save_new_account(page, page.locator("#save-record"))
        page.locator("a[href^='#/contact/new']").click()
        screen("contact")
        page.locator("#f-name").fill("李经理")
        page.locator("#f-purchase-role").select_option("person_in_charge")
        page.locator("#save-record").click()
        page.wait_for_url(f"**/#/account/{account_id}")
        page.locator("a[href^='#/device/new']").click()
        screen("machine")
        page.locator("#f-brand").fill("Canon")
        page.locator("#f-installed-on").fill("2019-03")
        page.locator("#f-monthly-volume").fill("12000")
        page.locator("#save-record").click()
        page.wait_for_url(f"**/#/account/{account_id}")
        screen("account")
        expect(page.locator(".card.device")).to_contain_text("竞争对手")
        expect(page.locator("#view")).to_contain_text("工厂")
        page.locator(".card.device a[href*='device=']").click()
        screen("opportunity-form")
        page.locator("#save-record").click()
        page.wait_for_url(re.compile(r"#/opportunity/[0-9a-f-]{36}$"))
        screen("opportunity")
        page.locator("input[name=man_need]").check()
        page.wait_for_function("!document.querySelector('#man-unknown').textContent.includes('N')")
        page.locator("#move-stage").click()
        expect(page.locator(".tag", has_text="P 有意向客户")).to_be_visible()  # the method's name, from the server
        page.locator("#loss-reason").select_option("budget_unknown")
        assert_words_not_codes(page)
        page.goto(f"/#/appointment/new?account={account_id}")
        screen("appointment")
        page.locator("#save-record").click()
        page.wait_for_url(f"**/#/account/{account_id}")
        page.goto(f"/#/visit/new?account={account_id}")
        page.locator("#purpose").fill("初次拜访")
        page.locator("#check-in").click()
        page.wait_for_selector("#visit-form")
        page.locator("input[name=not_met]").check()
        page.locator("#check-out").click()
        page.wait_for_selector("#visit-form")
        screen("visit")
        page.goto("/#/nearby")
        screen("nearby")
        context.set_offline(False)
        wait_synced(page)
        t = token(live_server, "rep2")
        assert api(live_server, f"/api/accounts/{account_id}", t)["org_type"] == "factory"
        assert [c["purchase_role"] for c in api(live_server, f"/api/contacts?account_id={account_id}", t)["items"]] == [
            "person_in_charge"
        ]
        opportunity = api(live_server, f"/api/opportunities?account_id={account_id}", t)["items"]
        assert [(o["stage"], o["man_need"]) for o in opportunity] == [("P", True)]
        assert [v["met"] for v in api(live_server, f"/api/visits?account_id={account_id}", t)["items"]] == [False]
    finally:
        context.close()


@pytest.mark.calendar
def test_a_wrongly_recorded_visit_is_corrected_times_and_opportunity(browser, live_server):
    """The rep checked in and out late (they forgot at the customer) and without the deal: the visit's
    times and its opportunity are corrected on the phone, offline, and the server keeps the corrected visit."""
    zone = ZoneInfo(TZ)
    at = datetime.combine(today_local(), datetime.min.time(), zone).replace(hour=16)
    t = token(live_server, "rep2")
    opportunity = api(live_server, "/api/opportunities?status=open&per_page=1", t)["items"][0]
    context = phone_context(browser, live_server.url, at=at)
    try:
        page = context.new_page()
        log_in(page, "rep2")
        wait_synced(page)
        context.set_offline(True)
        page.goto(f"/#/visit/new?account={opportunity['account_id']}")
        page.get_by_label("Purpose of this visit (required)").fill("Review the service contract")
        page.get_by_role("button", name="Check in").click()
        page.wait_for_selector("#visit-form")
        visit_id = page.url.rsplit("/", 1)[-1]
        page.get_by_role("button", name="Check out").click()
        page.wait_for_selector("text=Checked out at")

        page.locator("#correct-times summary").click()
        times = page.locator("#times-form")
        page.get_by_label("Checked in (HH:MM)").fill("25:10")
        times.get_by_role("button", name="Save the times").click()
        expect(page.locator("#times-error")).to_contain_text("HH:MM")
        page.get_by_label("Checked in (HH:MM)").fill("11:00")
        page.get_by_label("Checked out (HH:MM)").fill("10:30")
        times.get_by_role("button", name="Save the times").click()
        expect(page.locator("#times-error")).to_contain_text("after check-in")
        page.get_by_label("Checked out (HH:MM)").fill("17:30")  # later than now (16:00)
        times.get_by_role("button", name="Save the times").click()
        expect(page.locator("#times-error")).to_contain_text("future")
        page.get_by_label("Checked in (HH:MM)").fill("10:05")
        page.get_by_label("Checked out (HH:MM)").fill("10:50")
        times.get_by_role("button", name="Save the times").click()
        expect(page.get_by_text("Checked in at 10:05")).to_be_visible()
        expect(page.get_by_text("Checked out at 10:50")).to_be_visible()

        page.get_by_label("Opportunity").select_option(opportunity["id"])
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("#visit-form legend")).to_have_text(opportunity["title"])  # its stage fields now show
        shot(page, "capture-visit-corrected")

        context.set_offline(False)
        wait_synced(page, 0)
        stored = api(live_server, f"/api/visits/{visit_id}", t)
        check_in = datetime.fromisoformat(stored["check_in_at"]).astimezone(zone)
        check_out = datetime.fromisoformat(stored["check_out_at"]).astimezone(zone)
        assert (check_in.date(), check_in.hour, check_in.minute) == (today_local(), 10, 5)
        assert (check_out.date(), check_out.hour, check_out.minute) == (today_local(), 10, 50)
        assert stored["opportunity_id"] == opportunity["id"]
        assert stored["cancelled_at"] is None
    finally:
        context.close()
