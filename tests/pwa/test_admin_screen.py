"""The administration screen in Chromium, at 360×740 and 1280×800, in English and Chinese: an admin imports
reps from a CSV with home addresses (geocoded by a local stand-in for Nominatim) and a new rep's day plans;
a password is reset and its owner must choose their own at the next login; a rep is deactivated and their
accounts handed over in one step; a rep's start is placed on the map and moved to another team."""

import re
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from server.extensions import db
from server.models import Account, User
from tests.fake_http import json_server
from tests.pwa.conftest import PASSWORD, SCREENS, log_in, phone_context, shot, start_live_server, today_local

# Nothing here depends on the date: the module runs at one fixed instant (see `fixed_clock`).
pytestmark = pytest.mark.usefixtures("fixed_clock")

PLACES = {  # the fake geocoder's answers, WGS-84 as Nominatim gives them
    "上海市徐汇区漕溪北路1号": ("31.1955", "121.4365"),
    "上海市静安区南京西路1000号": ("31.2286", "121.4553"),
    "上海市浦东新区世纪大道100号": ("31.2397", "121.5076"),
}
COMBOS = [(screen, locale) for screen in sorted(SCREENS) for locale in ("en-US", "zh-CN")]
ADDRESS = {"en-US": "address", "zh-CN": "地址"}  # the word for a typed address, in each language
RESET = {"en-US": "reset", "zh-CN": "重置"}  # the word for a password reset, in each language


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The demo server (admin, manager, rep1, rep2) with the geocoder pointed at a local fake Nominatim."""

    def answer(path):
        query = parse_qs(urlparse(path).query).get("q", [""])[0]
        if query not in PLACES:
            return 200, []
        lat, lon = PLACES[query]
        return 200, [
            {"lat": lat, "lon": lon, "display_name": query, "place_id": 1, "boundingbox": [lat, lat, lon, lon]}
        ]

    with json_server(answer) as url:
        server = start_live_server(tmp_path_factory.mktemp("admin"), today_local(), weeks=1)
        server.app.config.update(GEOCODER="nominatim", GEOCODER_URL=url, GEOCODER_MIN_DELAY_S=0)
        yield server
        server.stop()
        with server.app.app_context():
            db.engine.dispose()


class Api:
    """The live server's API through its own app, as a given user."""

    def __init__(self, server, username, password=PASSWORD):
        self.client = server.app.test_client()
        answer = self.client.post("/api/auth/login", json={"username": username, "password": password})
        assert answer.status_code == 200, answer.get_json()
        self.headers = {"Authorization": f"Bearer {answer.get_json()['access_token']}"}

    def __call__(self, method, path, json=None, status=200):
        answer = self.client.open(path, method=method, json=json, headers=self.headers)
        assert answer.status_code == status, (path, answer.status_code, answer.get_json())
        return answer.get_json()


def user_id(server, username):
    with server.app.app_context():
        found = db.session.scalar(select(User.id).where(User.username == username))
        db.session.remove()
        return str(found)


@pytest.fixture(params=COMBOS, ids=[f"{s}-{loc}" for s, loc in COMBOS])
def combo(request):
    return request.param


@pytest.fixture
def admin_page(browser, live_server, combo):
    screen, locale = combo
    context = phone_context(browser, live_server.url, locale=locale, viewport=SCREENS[screen])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def tag(combo):
    screen, locale = combo
    return f"{screen[0]}{locale[:2]}"


# What sticks out past the screen's right edge outside any scrolling box (named, so a failure says where).
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > innerWidth + 1)
  .filter((e) => {
    for (let p = e.parentElement; p; p = p.parentElement) if (getComputedStyle(p).overflowX !== 'visible') return false;
    return true; })
  .map((e) => `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`).slice(0, 8)"""


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.evaluate(WIDEST)


def uncovered(page, selector):
    """The element is in the viewport between the sticky bar on top and the tab bar below, neither covers it."""
    box, bar = page.locator(selector).bounding_box(), page.locator("header.bar, .bar").first.bounding_box()
    tabs = page.locator("#tabs").bounding_box()
    assert bar["y"] + bar["height"] <= box["y"] + 1, (selector, box, bar)
    assert box["y"] + box["height"] <= tabs["y"] + 1, (selector, box, tabs)


def test_an_admin_imports_reps_with_home_addresses_and_a_new_reps_day_plans(admin_page, live_server, combo):
    page, suffix = admin_page, tag(combo)
    log_in(page, "admin", wait=None)
    page.wait_for_selector("#user-list")  # the admin's first screen is the administration screen
    expect(page.locator("#tabs a").first).to_have_attribute("href", "#/admin")
    team = "上海一部 Shanghai Team 1"
    header = (
        "username,display_name,role,team,start_address,first_appointment_time,locale\n"
        if combo[1] == "en-US"
        else "用户名,姓名,角色,团队,出发地址,首次拜访时间,语言\n"
    )
    text = header + (
        f"a{suffix}1,New One {suffix},rep,{team},上海市徐汇区漕溪北路1号,09:00,en\n"
        f"a{suffix}2,新人二 {suffix},销售代表,{team},上海市静安区南京西路1000号,08:30,中文\n"
        f"a{suffix}3,New Three,rep,{team},火星路1号,,\n"
    )
    page.locator("#import-users-card > summary").click()
    page.locator("#users-file").set_input_files(
        files=[{"name": "reps.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8")}]
    )
    page.locator("#users-import-form button[type=submit]").click()  # a dry run first (checked by default)
    rows = page.locator("#import-users tbody tr")
    expect(rows).to_have_count(3)
    assert [rows.nth(i).get_attribute("data-outcome") for i in range(3)] == ["created"] * 3
    assert page.locator("#import-users code").all_inner_texts() == ["", "", ""]  # nothing written, no passwords
    expect(page.locator("#import-report tr.warning")).to_have_count(1)  # row 4's address is not found
    # The geocoder's reason comes as a code, worded in the screen's language (no English inside Chinese).
    warning = page.locator("#import-report tr.warning").inner_text()
    if combo[1] == "zh-CN":
        assert "地图上找不到该地址" in warning and not re.search(r"[A-Za-z]{3}", warning), warning
    else:
        assert "the address was not found" in warning and "not_found" not in warning, warning
    assert user_id(live_server, f"a{suffix}1") == "None"
    page.locator("#users-import-form input[name=dry_run]").uncheck()
    page.locator("#users-import-form button[type=submit]").click()
    expect(page.locator("#import-users code").first).not_to_be_empty()
    passwords = page.locator("#import-users code").all_inner_texts()
    assert all(len(p) >= 8 for p in passwords)
    expect(page.locator(f"#user-list a[data-username='a{suffix}1']")).to_be_visible()
    no_sideways_scroll(page)
    page.locator("#import-users").scroll_into_view_if_needed()
    shot(page, f"admin-import-{combo[0]}-{combo[1]}")

    # The new reps start where their addresses are; the one the geocoder could not find cannot be planned yet.
    with live_server.app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User).where(User.username.like(f"a{suffix}%")))}
        assert (users[f"a{suffix}1"].start_lat, users[f"a{suffix}1"].start_lng) == (31.1955, 121.4365)
        assert (users[f"a{suffix}2"].start_lat, users[f"a{suffix}2"].locale) == (31.2286, "zh-CN")
        assert users[f"a{suffix}3"].start_lat is None and all(u.must_change_password for u in users.values())
        new_rep = str(users[f"a{suffix}1"].id)
        db.session.remove()
    expect(page.locator(f"#user-list a[data-username='a{suffix}3'] .tag.warn").last).to_be_visible()

    # The new rep's day plans, from the geocoded home, once they have accounts.
    admin = Api(live_server, "admin")
    for n, (lat, lng) in enumerate(((31.20, 121.44), (31.21, 121.45), (31.19, 121.43))):
        admin("POST", "/api/accounts", {"name": f"Customer {suffix} {n}", "latitude": lat, "longitude": lng,
                                        "owner_id": new_rep}, status=201)  # fmt: skip
    plan = admin("POST", "/api/routes/plan", {"rep_id": new_rep, "date": str(today_local() + timedelta(days=1))})
    assert len(plan["stops"]) == 3

    # An admin moves a rep to another team on the rep's page.
    other = admin("POST", "/api/teams", {"name": f"North {suffix}"}, status=201)
    page.locator(f"#user-list a[data-username='a{suffix}2']").click()
    page.wait_for_selector("#details-form")
    page.locator("#edit-team").select_option(other["id"])
    page.locator("#details-form button[type=submit]").click()
    expect(page.locator("#admin-done")).to_be_visible()
    expect(page.locator("#person-summary")).to_contain_text(f"North {suffix}")
    assert admin("GET", f"/api/users/{user_id(live_server, f'a{suffix}2')}")["team_id"] == other["id"]


def test_a_reset_password_is_changed_at_the_next_login_before_anything_else(browser, admin_page, live_server, combo):
    page, suffix = admin_page, tag(combo)
    manager = Api(live_server, "manager")
    rep = manager("POST", "/api/users", {"username": f"r{suffix}", "role": "rep", "password": "first-password",
                                         "must_change_password": False, "start_lat": 31.2, "start_lng": 121.4},
                  status=201)  # fmt: skip
    log_in(page, "manager", wait=None)  # a manager administers their own team
    page.wait_for_selector("#tabs a[href='#/admin']")
    page.locator("#tabs a[href='#/admin']").click()
    page.locator(f"#user-list a[data-username='r{suffix}']").click()
    page.locator("#reset-password").click()
    temporary = page.locator("#temporary-value")
    expect(temporary).not_to_be_empty()
    temporary = temporary.inner_text()
    shot(page, f"admin-reset-{combo[0]}-{combo[1]}")
    assert Api(live_server, f"r{suffix}", temporary).client  # the temporary password logs in ...
    refused = Api(live_server, f"r{suffix}", temporary)("GET", "/api/accounts", status=403)
    assert refused["error"]["code"] == "password_change_required"  # ... and opens nothing else

    # The rep logs in on their phone: the app asks for their own password before any other screen.
    screen, locale = combo
    phone = phone_context(browser, live_server.url, locale=locale, viewport=SCREENS[screen])
    try:
        rep_page = phone.new_page()
        log_in(rep_page, f"r{suffix}", temporary, wait=None)
        expect(rep_page.locator("#password-forced")).to_be_visible()
        expect(rep_page.locator("#tabs")).to_be_hidden()
        no_sideways_scroll(rep_page)
        shot(rep_page, f"password-forced-{screen}-{locale}")
        rep_page.locator("#old-password").fill(temporary)
        rep_page.locator("#new-password").fill("my-own-password")
        rep_page.locator("#repeat-password").fill("not-the-same")
        rep_page.locator("#password-form button[type=submit]").click()
        expect(rep_page.locator("#password-error")).not_to_be_empty()  # the two differ: nothing sent
        rep_page.locator("#repeat-password").fill("my-own-password")
        rep_page.locator("#password-form button[type=submit]").click()
        rep_page.wait_for_selector("#route, #plan-today, #day-over")  # the rep's Today opens
        expect(rep_page.locator("#tabs")).to_be_visible()
        # Their first plan: a territory with no account yet says so and how to go on, not "no route" again.
        rep_page.wait_for_selector("#today-none[data-first-sync='false']")  # the first sync is done
        rep_page.locator("#plan-today").click()
        expect(rep_page.locator("#plan-empty[data-why='no_accounts'] a[href='#/account/new']")).to_be_visible()
        expect(rep_page.locator("#today-none")).to_have_count(0)
        # Tomorrow, not planned yet, offers to plan it (not to "re-plan"); planned, it says the same as Today.
        rep_page.locator("#tabs a[href='#/tomorrow']").click()
        expect(rep_page.locator("#replan")).to_have_text("规划明天" if locale == "zh-CN" else "Plan tomorrow")
        rep_page.locator("#replan").click()
        expect(rep_page.locator("#plan-empty[data-why='no_accounts']")).to_be_visible()
        expect(rep_page.locator("#replan")).to_have_text("重新规划" if locale == "zh-CN" else "Re-plan")
        rep_page.locator("#tabs a[href='#/today']").click()
        # On the Me screen anyone changes their own password again.
        rep_page.locator("#account-button").click()
        rep_page.locator("#old-password").fill("my-own-password")
        rep_page.locator("#new-password").fill("my-newer-password")
        rep_page.locator("#repeat-password").fill("my-newer-password")
        rep_page.locator("#password-form button[type=submit]").click()
        expect(rep_page.locator("#password-done")).not_to_be_empty()
    finally:
        phone.close()
    login = live_server.app.test_client().post
    assert login("/api/auth/login", json={"username": f"r{suffix}", "password": temporary}).status_code == 401
    answer = login("/api/auth/login", json={"username": f"r{suffix}", "password": "my-newer-password"})
    assert answer.status_code == 200 and answer.get_json()["user"]["must_change_password"] is False
    assert rep["id"] == answer.get_json()["user"]["id"]


def test_a_new_accounts_first_login_asks_for_their_own_password_without_calling_it_a_reset(browser, live_server, combo):
    """A new rep's first password is a temporary one too, but nothing was reset: the banner says temporary."""
    suffix, (screen, locale) = tag(combo), combo
    Api(live_server, "manager")("POST", "/api/users", {"username": f"n{suffix}", "role": "rep",
                                                      "password": "first-password"}, status=201)  # fmt: skip
    phone = phone_context(browser, live_server.url, locale=locale, viewport=SCREENS[screen])
    try:
        page = phone.new_page()
        log_in(page, f"n{suffix}", "first-password", wait=None)
        banner = page.locator("#password-forced")
        expect(banner).to_contain_text("临时密码" if locale == "zh-CN" else "temporary password")
        expect(banner).not_to_contain_text(RESET[locale])
    finally:
        phone.close()


def test_a_rep_is_deactivated_with_a_hand_over_and_their_start_placed_on_the_map(admin_page, live_server, combo):
    page, suffix = admin_page, tag(combo)
    manager = Api(live_server, "manager")
    leaver = manager("POST", "/api/users", {"username": f"d{suffix}", "role": "rep", "password": "first-password",
                                            "must_change_password": False}, status=201)  # fmt: skip
    for n in range(2):
        manager("POST", "/api/accounts", {"name": f"Leaver account {suffix} {n}", "latitude": 31.2 + n / 100,
                                          "longitude": 121.4, "owner_id": leaver["id"]}, status=201)  # fmt: skip
    rep2 = user_id(live_server, "rep2")
    log_in(page, "manager", wait=None)
    page.wait_for_selector("#tabs a[href='#/admin']")
    page.goto(f"/#/admin/user/{leaver['id']}")
    page.wait_for_selector("#positions-map.leaflet-container")

    no_start = page.locator("#person-tags .tag.warn")
    expect(no_start).to_have_count(1)  # no start yet: the rep's days cannot be planned
    # The start goes where the map is tapped, the end by address (geocoded on the server), as the form says.
    expect(page.locator("#positions-form > p.muted")).to_contain_text(ADDRESS[combo[1]])
    page.locator("#positions-map").click(position={"x": 60, "y": 60})
    # Placed, with no words for it yet: said in words, never as bare coordinates; then in the words typed.
    unnamed = {"en-US": "Home (set on the map)", "zh-CN": "家（地图上选定）"}[combo[1]]
    expect(page.locator("#start-at")).to_have_text(unnamed)
    expect(page.locator("#end-at")).to_have_text({"en-US": "not set", "zh-CN": "未设置"}[combo[1]])
    assert not re.search(r"\d+\.\d+", page.locator("#positions-form > p").nth(1).inner_text())
    page.locator("#start-label").fill("Office")
    expect(page.locator("#start-at")).to_have_text("Office")
    page.locator("#start-label").fill("")
    page.locator("#end-address").fill("上海市浦东新区世纪大道100号")
    page.locator("#positions-form button[type=submit]").click()
    expect(page.locator("#admin-done")).to_be_visible()
    uncovered(page, "#admin-done")  # "Saved" scrolled into sight below the sticky bar, not under it
    saved = manager("GET", f"/api/users/{leaver['id']}")
    assert saved["start_lat"] is not None and (saved["end_lat"], saved["end_lng"]) == (31.2397, 121.5076)
    expect(no_start).to_have_count(0)  # said at once, not when the page is opened again
    page.locator("#end-address").fill("火星路1号")  # an address nobody knows: said on its field, nothing saved
    page.locator("#positions-form button[type=submit]").click()
    expect(page.locator("#positions-error")).not_to_be_empty()

    # Deactivate and hand over to rep2 in one step.
    page.locator("#hand-over").select_option(rep2)
    page.locator("#deactivate").click()
    expect(page.locator("#reactivate")).to_be_visible()
    expect(page.locator("#admin-done")).to_contain_text("2")
    no_sideways_scroll(page)
    shot(page, f"admin-deactivated-{combo[0]}-{combo[1]}")
    with live_server.app.app_context():
        owned = select(func.count()).select_from(Account)
        left = db.session.scalar(owned.where(Account.owner_id == uuid.UUID(leaver["id"])))
        moved = db.session.scalar(
            owned.where(Account.name.like(f"Leaver account {suffix}%"), Account.owner_id == uuid.UUID(rep2))
        )
        active = db.session.scalar(select(User.active).where(User.username == f"d{suffix}"))
        db.session.remove()
    assert (left, moved, active) == (0, 2, False)
    refused = live_server.app.test_client().post(
        "/api/auth/login", json={"username": f"d{suffix}", "password": "first-password"}
    )
    assert refused.status_code == 401


def test_without_a_geocoder_no_address_field_is_offered_and_the_map_sets_the_start(admin_page, live_server, combo):
    page = admin_page
    live_server.app.config.update(GEOCODER="none")
    try:
        log_in(page, "manager", wait=None)
        page.wait_for_selector("#tabs a[href='#/admin']")
        page.goto("/#/admin")
        page.locator("#new-user summary").click()
        expect(page.locator("#new-start-note")).to_be_visible()
        assert page.locator("#new-start").count() == 0
        page.goto(f"/#/admin/user/{user_id(live_server, 'rep1')}")
        page.wait_for_selector("#positions-map.leaflet-container")
        assert page.locator("#start-address, #end-address").count() == 0
        # Nor does the form's explanation tell the user to type one.
        expect(page.locator("#positions-form > p.muted")).not_to_contain_text(ADDRESS[combo[1]])
        radio = page.locator("[role=radiogroup] .check").first  # one line, not a character a line
        assert radio.bounding_box()["height"] < 60
        # Where the day starts and ends, each with the language's own colon, in words (the start's own: 家（…区）).
        colon = "：" if combo[1] == "zh-CN" else ": "
        expect(page.locator("#start-at").locator("..")).to_contain_text(re.compile(f"{colon}家（.+区）"))
        no_sideways_scroll(page)
    finally:
        live_server.app.config.update(GEOCODER="nominatim")


def test_the_admin_screen_needs_no_io_in_the_view(live_server):
    """Views render and never fetch or open IndexedDB themselves: the admin and password views go through api.js."""
    from pathlib import Path

    views = Path(__file__).resolve().parents[2] / "pwa" / "js" / "views"
    for name in ("admin.js", "password.js"):
        source = (views / name).read_text()
        assert "fetch(" not in source and "indexedDB" not in source, name
