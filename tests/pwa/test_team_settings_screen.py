"""The team settings screen in Chromium, on a 360×740 phone and a 1280×800 desktop: a manager changes the A
cadence and a visit preset, saves, and the screen says who changed them and when (in both languages); a rep's
phone then gets the team's new settings after login and shows the account's cadence by them."""

import pytest
from playwright.sync_api import expect

from tests.pwa.conftest import IDB_GET_META, PASSWORD, SCREENS, log_in, phone_context, shot, wait_synced
from tests.pwa.test_field_app import api, token

# Nothing here depends on the date: the module runs at one fixed instant (see `fixed_clock`).
pytestmark = pytest.mark.usefixtures("fixed_clock")


@pytest.fixture(params=sorted(SCREENS))
def screen(request):
    return request.param


def _page(browser, live_server, viewport, errors):
    context = phone_context(browser, live_server.url, service_workers="allow", viewport=viewport)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page


def test_a_manager_saves_the_teams_cadence_and_the_screen_says_who_changed_it(browser, live_server, screen):
    days = {"phone": 10, "desktop": 11}[screen]  # each run its own value: the live server is shared
    errors = []
    context, page = _page(browser, live_server, SCREENS[screen], errors)
    try:
        log_in(page, "manager", wait=None)
        page.get_by_role("link", name="Settings").click()
        form = page.locator("#settings-form")
        expect(form).to_be_visible()
        manager = token(live_server, "manager")
        team_id = api(live_server, "/api/auth/me", manager)["team_id"]
        before = api(live_server, f"/api/teams/{team_id}/settings", manager)
        # The form shows the server's values.
        expect(page.get_by_label("A: days")).to_have_value(str(before["cadence_days"]["A"]))
        expect(page.get_by_label("First appointment (a rep may have their own)")).to_have_value("08:45")
        page.get_by_label("A: days").fill(str(days))
        expect(page.get_by_label("Minutes before an appointment")).to_have_value(
            str(before["appointment_reminder_minutes"])
        )
        page.get_by_label("Minutes before an appointment").fill(str(days + 10))
        purposes = page.get_by_label("Purposes")
        purposes.fill(f"Toner check {days} | 碳粉检查 {days}\n" + purposes.input_value())
        # A bad value is refused by the server, field named, nothing saved.
        page.get_by_label("Lunch: minutes").fill("5")
        page.get_by_role("button", name="Save settings").click()
        expect(page.locator("#settings-error")).to_contain_text("Lunch minutes")
        assert (
            api(live_server, f"/api/teams/{team_id}/settings", manager)["cadence_days"]["A"]
            == before["cadence_days"]["A"]
        )
        page.get_by_label("Lunch: minutes").fill("45")
        page.get_by_role("button", name="Save settings").click()
        expect(page.locator("#settings-saved")).to_be_visible()
        changed = page.locator("#settings-changed")
        expect(changed).to_have_attribute("data-changed-by", "陈经理 Manager Chen")
        expect(changed).to_contain_text("Last changed by 陈经理 Manager Chen")
        shot(page, f"settings-{screen}")
        after = api(live_server, f"/api/teams/{team_id}/settings", manager)
        assert after["cadence_days"]["A"] == days and after["changed_by_name"] == "陈经理 Manager Chen"
        assert after["appointment_reminder_minutes"] == days + 10
        assert after["visit_purposes"][0] == {"en": f"Toner check {days}", "zh-CN": f"碳粉检查 {days}"}
        # The other language says the same.
        page.locator("#lang-switch").click()
        expect(page.locator("#settings-changed")).to_contain_text("最近由 陈经理 Manager Chen")
        expect(page.get_by_label("A：天数")).to_have_value(str(days))
        expect(page.locator("h1")).to_have_text("团队设置")
        # No horizontal scrolling at either size.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
    assert not errors, errors

    # A rep of the team gets the new settings after login, and reads the cadence by them.
    context, page = _page(browser, live_server, SCREENS["phone"], errors)
    try:
        log_in(page, "rep1")
        wait_synced(page)
        kept = page.evaluate(IDB_GET_META, "team_settings")
        assert kept["cadence_days"]["A"] == days
        assert kept["appointment_reminder_minutes"] == days + 10  # the reminders' minutes reach the phone
        assert kept["visit_purposes"][0]["en"] == f"Toner check {days}"
        rep = token(live_server, "rep1")
        listed = api(live_server, "/api/accounts?account_class=A&per_page=100", rep)["items"]
        account = next(a for a in listed if a["last_contact_at"])
        assert account["cadence_days"] == days  # the server reads the same settings
        page.goto(f"/#/account/{account['id']}")
        expect(page.locator("#view")).to_contain_text(f"cadence {days}")
    finally:
        context.close()
    assert not errors, errors


def test_an_admin_creates_a_team_with_its_manager_and_cadence_and_reads_its_history(browser, live_server, screen):
    admin = token(live_server, "admin")
    boss = api(
        live_server,
        "/api/users",
        admin,
        {"username": f"boss-{screen}", "display_name": f"Boss {screen}", "role": "manager", "password": PASSWORD},
    )
    errors = []
    context, page = _page(browser, live_server, SCREENS[screen], errors)
    try:
        log_in(page, "admin", wait=None)
        page.get_by_role("link", name="Settings").click()
        expect(page.locator("#settings-form")).to_be_visible()
        page.locator("#new-team summary").click()
        page.get_by_label("Team name").fill(f"East {screen}")
        page.locator("#team-manager").select_option(boss["id"])
        page.get_by_label("A: days").first.fill("10")
        # A bad time zone is refused by the server, the field named, no team made.
        page.locator("#team-timezone").fill("Mars/Olympus")
        page.get_by_role("button", name="Create team").click()
        expect(page.locator("#team-error")).not_to_be_empty()
        teams = api(live_server, "/api/teams?per_page=500", admin)["items"]
        assert f"East {screen}" not in {team["name"] for team in teams}
        page.locator("#team-timezone").fill("Asia/Shanghai")
        page.get_by_role("button", name="Create team").click()
        # The screen now shows the new team, its cadence the one given, and its first change by the admin.
        picked = page.locator("#settings-team option:checked")
        expect(picked).to_have_text(f"East {screen}")
        expect(page.locator("#cadence_A")).to_have_value("10")
        history = page.locator("#settings-history")
        expect(history.locator("li[data-changed-by]")).to_have_count(1)
        expect(history.locator("li[data-field=cadence_days]")).to_contain_text("A 7 · B 14 · C 30")
        expect(history.locator("li[data-field=cadence_days] .after")).to_have_text("A 10 · B 14 · C 30")
        made = next(
            t for t in api(live_server, "/api/teams?per_page=500", admin)["items"] if t["name"] == f"East {screen}"
        )
        assert made["manager_id"] == boss["id"] and made["members"] == 1
        assert api(live_server, f"/api/teams/{made['id']}/settings", admin)["cadence_days"]["A"] == 10
        # A second change goes on top, with its value before and after.
        page.get_by_label("Lunch: minutes").fill("50")
        page.get_by_role("button", name="Save settings").click()
        expect(page.locator("#settings-saved")).to_be_visible()
        expect(history.locator("ol.history > li")).to_have_count(2)
        newest = history.locator("ol.history > li").first
        expect(newest.locator("li[data-field=lunch_minutes]")).to_contain_text("Lunch minutes: 45 → 50")
        expect(newest).to_have_attribute("data-changed-by", "管理员 Admin")
        history.scroll_into_view_if_needed()
        shot(page, f"settings-history-{screen}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.locator("#lang-switch").click()
        expect(page.locator("#settings-history h2")).to_have_text("修改记录")
        expect(page.locator("#new-team summary")).to_have_text("新建团队")
        expect(newest.locator("li[data-field=lunch_minutes]")).to_contain_text("午餐时长（分钟）: 45 → 50")
        page.locator("#new-team summary").click()
        page.locator("#new-team").scroll_into_view_if_needed()
        shot(page, f"settings-new-team-zh-{screen}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
    assert not errors, errors
