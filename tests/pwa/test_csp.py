"""The app under its own Content-Security-Policy and Permissions-Policy, as a phone gets it: every screen
works and nothing the app does is refused (no inline script, no eval, no source the policy does not name,
no feature it denies) and the browser knows every feature the Permissions-Policy names."""

import pytest

from tests.pwa.conftest import PASSWORD, phone_context

# Nothing here depends on the date: the module runs at one fixed instant (see `fixed_clock`).
pytestmark = pytest.mark.usefixtures("fixed_clock")

MARKUP = ("</", "<span", "<li", "<div", "class=", "&lt;", "&amp;", "&quot;")


def test_every_screen_runs_under_the_strict_policy(browser, live_server):
    """…and shows no markup as text: every nested template renders as HTML, none escaped twice."""
    context = phone_context(browser, live_server.url, bypass_csp=False)
    refused, errors, shown = [], [], []
    try:
        page = context.new_page()
        page.on(
            "console",
            lambda m: (
                refused.append(m.text)
                if "Content Security Policy" in m.text
                or "Permissions-Policy" in m.text
                or "permissions policy" in m.text
                else None
            ),
        )
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        def markup_shown():
            text = page.inner_text("body")
            shown.extend(f"{page.url}: {m}" for m in MARKUP if m in text)

        response = page.goto("/")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "geolocation=(self)" in response.headers["permissions-policy"]
        assert response.headers["cross-origin-opener-policy"] == "same-origin"
        page.get_by_label("Username").fill("rep1")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("#route, #plan-today, #day-over")
        page.locator("#today-map .leaflet-marker-icon").first.wait_for()
        markup_shown()
        for link, ready in (
            ("Accounts", "#account-list a.item"),
            ("Day clock", ".clock button"),
            ("Tomorrow", "main h1"),
            ("Reports", "main h1"),
        ):
            page.get_by_role("link", name=link).click()
            page.wait_for_selector(ready)
            markup_shown()
        page.goto("/#/accounts")
        page.locator("#account-list a.item").first.click()
        page.wait_for_selector("main h2")
        markup_shown()
        page.goto("/#/account/new")
        page.wait_for_selector("#pick-map.leaflet-container")
        markup_shown()
        page.goto("/#/nearby")
        page.wait_for_selector("#nearby-list li, main .card")
        markup_shown()
        page.goto("/#/week")
        page.wait_for_selector("main h1")
        markup_shown()
        page.get_by_role("button", name="Me", exact=True).click()
        page.get_by_role("button", name="Log out").click()
        page.get_by_label("Username").fill("manager")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("#report-time-ratios canvas")
        page.wait_for_selector("#report-targets table")
        markup_shown()
        page.get_by_role("link", name="Data").click()
        page.wait_for_selector("#import-form")
        markup_shown()
    finally:
        context.close()
    assert not errors, errors
    assert not shown, f"markup shown as text: {shown}"
    # Map tiles from the internet cannot load here; the policy names their server, so none is refused.
    assert not refused, f"refused by the Content-Security-Policy or the Permissions-Policy: {refused}"
