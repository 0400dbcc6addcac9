"""The team's notice channel on the Settings screen in Chromium at 360×740: a manager picks WeCom, the server's
refusals are shown under each field (in English and in Chinese), the saved channel is then reported set by the
API, and the secret typed never comes back: not in the page's HTML, not in any answer of the API."""

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from server.extensions import db
from tests.fake_im import FakeWeCom, serving
from tests.pwa.conftest import PASSWORD, log_in, phone_context, shot, start_live_server, today_local

# Nothing here depends on the date: the module runs at one fixed instant (see `fixed_clock`).
pytestmark = pytest.mark.usefixtures("fixed_clock")

SECRET = "wecom-secret-typed-in-the-form"


def call(server, path, token=None, body=None):
    request = urllib.request.Request(
        server.url + path,
        method="POST" if body is not None else "GET",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request) as response:
        return response.read().decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # A channel once saved may be used: its provider is a local fake, and nothing is sent on a timer.
    fake = FakeWeCom(app_id="ww-corp-ui", secret=SECRET, agent_id="1000002", members=set())
    with serving(fake):
        live = start_live_server(
            tmp_path_factory.mktemp("channel"), today_local(), weeks=1, WECOM_API_URL=fake.url, NOTIFY_TIMER=False
        )
        yield live
        live.stop()
        with live.app.app_context():
            db.engine.dispose()


def test_a_manager_saves_a_wecom_channel_and_its_secret_never_comes_back(browser, server):
    errors, answers = [], []
    context = phone_context(browser, server.url, service_workers="allow")
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda response: answers.append(response) if "/api/" in response.url else None)
    manager = json.loads(call(server, "/api/auth/login", body={"username": "manager", "password": PASSWORD}))
    token, team_id = manager["access_token"], manager["user"]["team_id"]
    try:
        log_in(page, "manager", wait=None)
        page.get_by_role("link", name="Settings").click()
        form = page.locator("#channel-form")
        expect(form).to_be_visible()
        # The team starts in the app only, with no secret; WeCom's fields appear when it is picked.
        expect(page.get_by_label("Channel")).to_have_value("inapp")
        expect(page.get_by_label("WeCom app Secret")).to_be_hidden()
        page.get_by_label("Channel").select_option("wecom")
        secret_box = page.get_by_label("WeCom app Secret")
        expect(secret_box).to_have_attribute("type", "password")
        expect(page.locator("#wecom_secret-state")).to_have_text("Not set")
        # A malformed AgentId is refused under its field, and nothing is saved.
        page.get_by_label("WeCom corp ID (企业ID)").fill("ww-corp-ui")
        page.get_by_label("WeCom AgentId").fill("agent-two")
        page.get_by_role("button", name="Save channel").click()
        expect(page.locator("#channel-error-wecom_agent_id")).to_have_text("Not in the expected form.")
        expect(page.get_by_label("WeCom AgentId")).to_have_attribute("aria-invalid", "true")
        # Then WeCom without its secret: the server names the missing one.
        page.get_by_label("WeCom AgentId").fill("1000002")
        page.get_by_role("button", name="Save channel").click()
        expect(page.locator("#channel-error-wecom_secret")).to_have_text("Required.")
        expect(page.locator("#channel-error-wecom_agent_id")).to_have_text("")
        assert json.loads(call(server, f"/api/teams/{team_id}/channel", token))["channel"] == "inapp"

        # In Chinese: the same form, its refusals in Chinese, then saved with the secret.
        page.locator("#lang-switch").click()
        expect(page.locator("#channel-form h2")).to_have_text("通知渠道")
        page.get_by_label("渠道", exact=True).select_option("wecom")
        page.get_by_label("企业微信 企业ID").fill("ww-corp-ui")
        page.get_by_label("企业微信 AgentId").fill("10-02")
        page.get_by_label("企业微信 应用Secret").fill(SECRET)
        page.get_by_role("button", name="保存渠道").click()
        expect(page.locator("#channel-error-wecom_agent_id")).to_have_text("格式不对。")
        page.get_by_label("企业微信 AgentId").fill("1000002")
        page.get_by_label("企业微信 应用Secret").fill(SECRET)
        page.get_by_role("button", name="保存渠道").click()
        expect(page.locator("#channel-saved")).to_have_text("渠道已保存。")
        expect(page.locator("#wecom_secret-state")).to_have_text("已设置")
        expect(page.locator("#channel-ready")).to_have_attribute("data-ready", "true")
        expect(page.get_by_label("企业微信 应用Secret")).to_have_value("")  # the box is emptied, not refilled
        # The picture: from the saved line down to the secret's state (the app's header is ~60 px high).
        page.locator("#channel-saved").evaluate("el => { el.scrollIntoView({block: 'start'}); scrollBy(0, -64); }")
        shot(page, "settings-channel-phone")
        assert SECRET not in page.content()

        # The API reports the channel set, and no answer of it holds the secret.
        raw = call(server, f"/api/teams/{team_id}/channel", token)
        saved = json.loads(raw)
        assert saved["channel"] == "wecom" and saved["ready"] is True
        assert saved["wecom_corp_id"] == "ww-corp-ui" and saved["wecom_agent_id"] == "1000002"
        assert saved["wecom_secret_set"] is True and "wecom_secret" not in saved
        assert SECRET not in raw

        # Back in English after a reload: "Set", the secret still kept out of the page.
        page.locator("#lang-switch").click()
        expect(page.locator("#wecom_secret-state")).to_have_text("Set")
        expect(page.get_by_label("WeCom AgentId")).to_have_value("1000002")
        assert SECRET not in page.content()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        channel_answers = [a for a in answers if "/channel" in a.url]
        assert [a.request.method for a in channel_answers].count("PATCH") >= 4  # the answers read below include them
        for answer in answers:
            assert SECRET not in answer.text(), answer.url
    finally:
        context.close()
    assert not errors, errors
