"""The notices in Chromium at 360×740: a manager re-plans a rep's day, the rep's WeCom (a local fake) gets the
card and the rep's app shows it as a banner and in the Me screen's list, with a switch per kind; the manager's
settings screen lists the team's notices with their states; and a rep opening the app from inside WeCom is
signed in by the code it adds to the address."""

import json
import re
import urllib.request
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from server.extensions import db
from tests.fake_im import FakeWeCom, serving
from tests.pwa.conftest import PASSWORD, log_in, phone_context, shot, start_live_server, today_local

SECRET = "wecom-secret-browser"


def call(server, method, path, token=None, body=None):
    request = urllib.request.Request(
        server.url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def login_token(server, username):
    return call(server, "POST", "/api/auth/login", body={"username": username, "password": PASSWORD})["access_token"]


@pytest.fixture(scope="module")
def wecom():
    fake = FakeWeCom(app_id="ww-corp-1", secret=SECRET, agent_id="1000002", members={"rep1.wx", "rep2.wx"})
    with serving(fake):
        yield fake


@pytest.fixture(scope="module")
def server(tmp_path_factory, wecom):
    live = start_live_server(
        tmp_path_factory.mktemp("notices"), today_local(), weeks=1, WECOM_API_URL=wecom.url, NOTIFY_TIMER=False
    )
    manager = login_token(live, "manager")
    team = call(live, "GET", "/api/auth/me", manager)["team_id"]
    # Every day and hour is a working one here, so what is sent does not depend on when the test runs.
    call(live, "PATCH", f"/api/teams/{team}/settings", manager, {"working_days": [1, 2, 3, 4, 5, 6, 7]})
    channel = {
        "channel": "wecom",
        "wecom_corp_id": "ww-corp-1",
        "wecom_agent_id": "1000002",
        "wecom_secret": SECRET,
        "hours_from": "00:00",
        "hours_until": "23:59",
    }
    call(live, "PATCH", f"/api/teams/{team}/channel", manager, channel)
    for rep in ("rep1", "rep2"):
        rep_id = call(live, "POST", "/api/auth/login", body={"username": rep, "password": PASSWORD})["user"]["id"]
        call(live, "PUT", f"/api/users/{rep_id}/im-links", manager, {"wecom_userid": f"{rep}.wx"})
    yield live
    live.stop()
    with live.app.app_context():
        db.engine.dispose()


def _wait_idle(server):
    from server.notify.runner import wait_idle

    wait_idle(server.app)


@pytest.mark.calendar
def test_a_managers_replan_reaches_the_reps_wecom_and_app_and_the_manager_sees_it_sent(browser, server, wecom):
    tomorrow = today_local() + timedelta(days=1)
    manager = login_token(server, "manager")
    rep1 = call(server, "POST", "/api/auth/login", body={"username": "rep1", "password": PASSWORD})["user"]["id"]
    plan = call(server, "POST", "/api/routes/plan", manager, {"date": tomorrow.isoformat(), "rep_id": rep1})
    _wait_idle(server)
    assert [d[0] for d in wecom.delivered] == ["rep1.wx"]
    stops = len(plan["stops"])
    # WeCom in the rep's own language as the server knows it (zh-CN); the app in the language it shows.
    said = wecom.delivered[0][2]
    assert said.startswith(f"陈经理 Manager Chen 改了明天的路线：{stops} 个拜访，") and said.endswith(" 出发")
    shown = f"陈经理 Manager Chen changed tomorrow's route: {stops} stops, leave at {said[-8:-3]}"

    context = phone_context(browser, server.url, service_workers="allow")
    errors = []
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        log_in(page, "rep1", wait=None)
        banner = page.locator("#notice-banner")
        expect(banner).to_be_visible()
        # The app is in English (the browser's language): so is the banner, never Chinese words inside it.
        expect(banner).to_contain_text("Tomorrow's route changed")
        expect(banner).to_contain_text(shown)
        shot(page, "notice-banner")
        # Switched to Chinese, the banner says what WeCom said; switched back, English again.
        page.locator("#lang-switch").click()
        expect(banner).to_contain_text("明天的路线有变")
        expect(banner).to_contain_text(said)
        page.locator("#lang-switch").click()
        expect(banner).to_contain_text(shown)
        page.locator("#account-button").click()
        card = page.locator("#notices-card")
        # Newest first: the manager's change on WeCom, then today's plan the seed made (before the channel: in-app).
        items = card.locator("li.notice")
        expect(items).to_have_count(2)
        expect(items.nth(0)).to_contain_text(shown)
        expect(items.nth(0)).to_contain_text("WeCom · sent")
        expect(items.nth(1)).to_contain_text("In the app · sent")
        switch = card.locator('input[data-kind="plan_ready"][data-part="any_time"]')
        expect(switch).not_to_be_checked()
        with page.expect_response("**/api/notifications/prefs") as answer:
            switch.check()
        assert answer.value.ok
        prefs = call(server, "GET", "/api/notifications/prefs", login_token(server, "rep1"))
        assert prefs["kinds"]["plan_ready"] == {"on": True, "any_time": True}
        # The reminders from the server are the rep's kinds too.
        expect(card).to_contain_text("Time to leave for the next stop (also when the app is closed)")
        expect(card).to_contain_text("An appointment about to start (also when the app is closed)")
        card.scroll_into_view_if_needed()
        shot(page, "notice-me-screen")
        # Dismissed, the next unread one shows; then the banner goes and both are read.
        page.locator("#notice-dismiss").click()
        expect(banner).to_contain_text("Today's route is ready")
        page.locator("#notice-dismiss").click()
        expect(banner).to_be_hidden()
        assert call(server, "GET", "/api/notifications?unread=true", login_token(server, "rep1")) == []
    finally:
        context.close()
    assert not errors, errors

    context = phone_context(browser, server.url, service_workers="allow")
    page = context.new_page()
    try:
        log_in(page, "manager", wait=None)
        page.get_by_role("link", name="Settings").click()
        outbox = page.locator("#notice-outbox li.notice")
        expect(outbox.first).to_contain_text("WeCom · sent")
        page.locator("#notice-outbox").scroll_into_view_if_needed()
        shot(page, "notice-outbox")
        # The manager's own kinds, the unresolved conflicts among them, each switchable.
        page.locator("#account-button").click()
        kinds = page.locator("#notice-kinds")
        expect(kinds).to_contain_text("A rep's edit clashing with the office, left undecided for 2 hours")
        expect(kinds).not_to_contain_text("Time to leave")  # a rep's kind
        box = kinds.locator('input[data-kind="conflict_unresolved"][data-part="on"]')
        with page.expect_response("**/api/notifications/prefs") as answer:
            box.uncheck()
        assert answer.value.ok
        prefs = call(server, "GET", "/api/notifications/prefs", login_token(server, "manager"))
        assert prefs["kinds"]["conflict_unresolved"]["on"] is False
        kinds.scroll_into_view_if_needed()
        shot(page, "notice-me-manager-kinds")
    finally:
        context.close()


def wecom_authorize(context, code, state=None):
    """WeCom's OAuth2 page (open.weixin.qq.com), as WeCom documents it for snsapi_base inside its app: straight back
    to `redirect_uri` with a sign-in code and the `state` it was given (or `state`, a trip that comes back with
    another). Returns the queries it was opened with."""
    opened = []

    def answer(route):
        query = {k: v[0] for k, v in parse_qs(urlsplit(route.request.url).query).items()}
        opened.append(query)
        back = query["redirect_uri"] + ("&" if "?" in query["redirect_uri"] else "?")
        given = {"code": code, "state": state or query["state"]}
        route.fulfill(status=302, headers={"Location": back + urlencode(given)})

    context.route("https://open.weixin.qq.com/**", answer)
    return opened


@pytest.mark.calendar  # signed in, the phone syncs its territory (due dates by today)
def test_opened_inside_wecom_the_rep_is_signed_in_by_the_code(browser, server, wecom):
    wecom.codes["code-from-wecom"] = "rep2.wx"
    context = phone_context(browser, server.url, service_workers="allow")
    opened = wecom_authorize(context, "code-from-wecom")
    page = context.new_page()
    try:
        # WeCom's home page for the app is the app itself: it goes to WeCom for a code and comes back with it.
        page.goto("/?im=wecom&corp=ww-corp-1&agent=1000002")
        expect(page.locator("#account-button")).to_be_visible()
        page.locator("#account-button").click()
        expect(page.locator("main")).to_contain_text("(rep2)")
        assert "code=" not in page.url and "state=" not in page.url  # a code works once: not left in the address
        (trip,) = opened
        assert trip["appid"] == "ww-corp-1" and trip["scope"] == "snsapi_base" and trip["agentid"] == "1000002"
        assert trip["response_type"] == "code" and re.fullmatch(r"[0-9a-f]{32}", trip["state"])
        assert trip["redirect_uri"] == f"{server.url}/?im=wecom&corp=ww-corp-1&agent=1000002"
        page.evaluate("indexedDB.deleteDatabase('fieldday')")
    finally:
        context.close()
    # A code WeCom refuses falls back to the password login, saying why.
    context = phone_context(browser, server.url, service_workers="allow")
    wecom_authorize(context, "used-or-forged")
    page = context.new_page()
    try:
        page.goto("/?im=wecom&corp=ww-corp-1")
        expect(page.locator("#login-error")).to_contain_text("Signing in from the app did not work")
        expect(page.get_by_label("Username")).to_be_visible()
    finally:
        context.close()


@pytest.mark.calendar  # signed in, the phone syncs its territory (due dates by today)
def test_a_wecom_code_this_phone_did_not_ask_for_signs_no_one_in_but_its_own_user(browser, server, wecom):
    """Someone's own valid code sent in a link (with their state, or none) would sign the phone that opens it in as
    them: the phone drops it and asks WeCom for its own user's code; a code coming back with a state other than the
    one the phone sent is refused."""
    wecom.codes["someone-elses-code"] = "rep1.wx"
    wecom.codes["this-phones-code"] = "rep2.wx"
    exchanged = len(wecom.requests("getuserinfo"))
    context = phone_context(browser, server.url, service_workers="allow")
    opened = wecom_authorize(context, "this-phones-code")
    page = context.new_page()
    try:
        page.goto("/?im=wecom&corp=ww-corp-1&code=someone-elses-code&state=fieldday")
        expect(page.locator("#account-button")).to_be_visible()
        page.locator("#account-button").click()
        expect(page.locator("main")).to_contain_text("(rep2)")
        assert len(opened) == 1 and opened[0]["state"] != "fieldday"
        assert "someone-elses-code" in wecom.codes  # never sent to the server, so never exchanged
        assert len(wecom.requests("getuserinfo")) == exchanged + 1
        page.evaluate("indexedDB.deleteDatabase('fieldday')")
    finally:
        context.close()
    context = phone_context(browser, server.url, service_workers="allow")
    wecom_authorize(context, "someone-elses-code", state="x")  # a trip back with a state this phone did not send
    page = context.new_page()
    try:
        page.goto("/?im=wecom&corp=ww-corp-1")
        expect(page.locator("#login-error")).to_contain_text("This sign-in was not started on this phone")
        expect(page.get_by_label("Username")).to_be_visible()
        assert "someone-elses-code" in wecom.codes
    finally:
        context.close()
