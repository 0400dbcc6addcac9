"""The field app served over plain HTTP on a LAN name (no HTTPS proxy yet): a browser offers no
`crypto.randomUUID` and no service worker there. Visits still sync (ids from `crypto.getRandomValues`),
and the app says on screen that use without signal needs HTTPS."""

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.pwa.conftest import (
    PASSWORD,
    chromium_path,
    log_in,
    phone_context,
    record_visit,
    start_live_server,
    today_local,
    wait_synced,
)

# Nothing here depends on the date: the module runs at one fixed instant (see `fixed_clock`).
pytestmark = pytest.mark.usefixtures("fixed_clock")

LAN_NAME = "fieldday.lan"  # not localhost, not a loopback address: not a "potentially trustworthy" origin
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def lan_server(tmp_path_factory):
    server = start_live_server(tmp_path_factory.mktemp("lan"), today_local(), weeks=0)
    server.app.config["JWT_COOKIE_SECURE"] = False  # a plain-HTTP host (FIELDDAY_ALLOW_PLAIN_HTTP=1)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def lan_browser(browser):
    """A second Chromium of the suite's own Playwright (one per process), resolving the LAN name here."""
    lan = browser.browser_type.launch(
        executable_path=chromium_path(),
        headless=True,
        args=["--no-sandbox", f"--host-resolver-rules=MAP {LAN_NAME} 127.0.0.1"],
    )
    yield lan
    lan.close()


def _visits(server, username):
    login = urllib.request.Request(
        server.url + "/api/auth/login",
        data=json.dumps({"username": username, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(login) as response:
        tok = json.loads(response.read())["access_token"]
    request = urllib.request.Request(
        server.url + "/api/visits?per_page=500", headers={"Authorization": f"Bearer {tok}"}
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())["items"]


def test_over_plain_http_a_visit_syncs_and_the_app_says_offline_use_needs_https(lan_browser, lan_server):
    port = lan_server.url.rsplit(":", 1)[1]
    context = phone_context(lan_browser, f"http://{LAN_NAME}:{port}", service_workers="allow")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        log_in(page, "rep2")
        assert page.evaluate("window.isSecureContext") is False
        assert page.evaluate("typeof crypto.randomUUID") == "undefined"  # what the rollout met
        banner = page.locator("#insecure-banner")
        assert banner.is_visible() and "HTTPS" in banner.inner_text()
        assert "without signal" in banner.inner_text()
        wait_synced(page)
        before = {v["id"] for v in _visits(lan_server, "rep2")}

        page.get_by_role("link", name="Accounts").click()
        visit_id = record_visit(page)
        assert UUID4.match(visit_id), visit_id
        wait_synced(page)
        assert visit_id in {v["id"] for v in _visits(lan_server, "rep2")} - before

        page.locator("#lang-switch").click()  # the banner speaks the chosen language (once its words have loaded)
        expect(banner).to_contain_text("离线")
        assert "HTTPS" in banner.inner_text()
        assert page.evaluate("navigator.serviceWorker?.controller ?? null") is None
        assert not errors, errors
    finally:
        context.close()


def test_on_localhost_there_is_no_banner(lan_browser, lan_server):
    context = phone_context(lan_browser, lan_server.url)
    page = context.new_page()
    try:
        log_in(page, "rep1")
        assert page.evaluate("window.isSecureContext") is True
        assert page.locator("#insecure-banner").is_hidden()
    finally:
        context.close()
