"""Signing in inside DingTalk, in Chromium at 360×740: the page opened at DingTalk's home-page address
(`/?im=dingtalk&corp=<CorpId>`, no code in it) loads the vendored DingTalk JS API only when the user agent says
DingTalk, asks it for the 免登 code (`dd.runtime.permission.requestAuthCode({corpId})`) and posts it to the server,
which exchanges it with the fake DingTalk. DingTalk's container cannot run here: the page is given a stand-in
for the container's native bridge (`window.nuva`, which the JS API calls on Android), so the vendored library itself
runs. English and Chinese; a refusal by the container falls back to the password login, saying why."""

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from server.extensions import db
from tests.fake_im import FakeDingTalk, serving
from tests.pwa.conftest import PASSWORD, phone_context, shot, start_live_server, today_local

pytestmark = pytest.mark.usefixtures("fixed_clock")

SECRET = "dingtalk-secret-browser"
CORP = "ding-corp-9"
DINGTALK_UA = (
    "Mozilla/5.0 (Linux; Android 13; M2012K11AC Build/TKQ1.220829.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/120.0.6099.193 Mobile Safari/537.36 AliApp(DingTalk/7.6.0) com.alibaba.android.rimet/7.6.0 "
    "Channel/700159 language/zh-CN abi/64 UT4Aplus/0.2.25 colorScheme/light"
)
# The container's side, as the JS API meets it on Android: `nuva.require()` gives the bridge function, called
# with (success, fail, plugin, method, params). It answers requestAuthCode for its own company only.
CONTAINER = """
window.__ddCalls = [];
window.nuva = { isReady: true, require: () => (ok, fail, plugin, method, params) => {
  window.__ddCalls.push({ plugin, method, corpId: params && params.corpId });
  if (plugin === "runtime.permission" && method === "requestAuthCode") {
    if (params.corpId === "CORP") ok({ code: "dd-code-" + window.__ddCalls.length });
    else fail({ errorCode: "7", errorMessage: "corpId mismatch" });
    return;
  }
  fail({ errorCode: "1", errorMessage: "not supported here" });
} };
""".replace("CORP", CORP)


def call(server, method, path, token=None, body=None):
    request = urllib.request.Request(
        server.url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def dingtalk():
    fake = FakeDingTalk(app_id="ding-app-key", secret=SECRET, agent_id="88001", members={"rep2.dd"})
    with serving(fake):
        yield fake


@pytest.fixture(scope="module")
def server(tmp_path_factory, dingtalk):
    live = start_live_server(
        tmp_path_factory.mktemp("dingtalk"), today_local(), weeks=1, DINGTALK_API_URL=dingtalk.url, NOTIFY_TIMER=False
    )
    manager = call(live, "POST", "/api/auth/login", body={"username": "manager", "password": PASSWORD})["access_token"]
    team = call(live, "GET", "/api/auth/me", manager)["team_id"]
    channel = {
        "channel": "dingtalk",
        "dingtalk_corp_id": CORP,
        "dingtalk_app_key": "ding-app-key",
        "dingtalk_app_secret": SECRET,
        "dingtalk_agent_id": "88001",
    }
    call(live, "PATCH", f"/api/teams/{team}/channel", manager, channel)
    rep2 = call(live, "POST", "/api/auth/login", body={"username": "rep2", "password": PASSWORD})["user"]["id"]
    call(live, "PUT", f"/api/users/{rep2}/im-links", manager, {"dingtalk_userid": "rep2.dd"})
    yield live
    live.stop()
    with live.app.app_context():
        db.engine.dispose()


def _inside_dingtalk(browser, server, locale):
    # Under the app's own Content-Security-Policy: the JS API is one of the app's files, and evaluates no strings.
    context = phone_context(browser, server.url, locale=locale, user_agent=DINGTALK_UA, bypass_csp=False)
    context.add_init_script(CONTAINER)
    return context


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_inside_dingtalk_the_rep_is_signed_in_by_the_code_dingtalks_js_api_gives(browser, server, dingtalk, locale):
    dingtalk.codes.update({"dd-code-1": "rep2.dd"})
    context = _inside_dingtalk(browser, server, locale)
    page = context.new_page()
    try:
        page.goto(f"/?im=dingtalk&corp={CORP}")
        expect(page.locator("#account-button")).to_be_visible()
        # The vendored JS API asked the container for the company's code; the server exchanged it with DingTalk.
        assert page.evaluate("window.__ddCalls") == [
            {"plugin": "runtime.permission", "method": "requestAuthCode", "corpId": CORP}
        ]
        assert page.evaluate("typeof window.dd.runtime.permission.requestAuthCode") == "function"
        assert [b["code"] for _, b in dingtalk.requests("/topapi/v2/user/getuserinfo")][-1] == "dd-code-1"
        page.locator("#account-button").click()
        expect(page.locator("main")).to_contain_text("(rep2)")
        shot(page, f"dingtalk-signed-in-{locale}")
    finally:
        context.close()


@pytest.mark.parametrize(
    ("locale", "words"), [("en-US", "Signing in from the app did not work"), ("zh-CN", "无法通过应用登录")]
)
def test_a_container_refusal_falls_back_to_the_password_login_saying_why(browser, server, locale, words):
    context = _inside_dingtalk(browser, server, locale)
    page = context.new_page()
    try:
        page.goto("/?im=dingtalk&corp=another-corp")
        expect(page.locator("#login-error")).to_contain_text(words)
        expect(page.locator("#login-error")).to_contain_text("corpId mismatch")
        expect(page.locator("#username")).to_be_visible()
        shot(page, f"dingtalk-refused-{locale}")
    finally:
        context.close()


def test_outside_dingtalk_the_js_api_is_never_loaded(browser, server):
    context = phone_context(browser, server.url)
    page = context.new_page()
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    try:
        page.goto(f"/?im=dingtalk&corp={CORP}")
        expect(page.get_by_label("Username")).to_be_visible()
        expect(page.locator("#login-error")).to_have_text("")
        assert not [url for url in asked if "dingtalk-jsapi" in url]
        assert page.evaluate("typeof window.dd") == "undefined"
    finally:
        context.close()
