"""The shell paints before any module runs: the login form in the phone's language (its words the catalogues'),
or, with someone signed in on the phone, a screen's skeleton; under the app's own Content-Security-Policy (the
script choosing what to paint runs by its hash). What is typed into the form before the modules arrive stays, and a
login sent before them goes when they come."""

import pytest

from tests.pwa.conftest import PASSWORD, phone_context, wait_synced

# Nothing here depends on the date: the module runs at one fixed instant (see `fixed_clock`).
pytestmark = pytest.mark.usefixtures("fixed_clock")


def held_app(page):
    """Hold the first module's request until `release()`: the shell alone is on screen meanwhile."""
    held = []

    def hold(route):
        held.append(route)

    page.route("**/js/app.js*", hold)

    def release():
        for route in held:
            route.continue_()
        page.unroute("**/js/app.js*", hold)

    return held, release


def test_the_shell_paints_the_login_form_before_any_module_and_keeps_what_was_typed(browser, live_server):
    # No service worker: every start asks the server for the first module (and the test holds it).
    context = phone_context(browser, live_server.url, bypass_csp=False, service_workers="block")
    errors = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        held, release = held_app(page)
        page.goto("/", wait_until="commit")
        page.wait_for_selector("#username", state="visible")
        assert held and page.evaluate("document.documentElement.lang") == "en"
        assert page.locator("main h1").inner_text() == "Log in"
        assert not page.locator(".skeleton").is_visible()
        page.get_by_label("Username").fill("rep1")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Password").press("Enter")  # before the app has the form: kept back, marked
        page.wait_for_selector("#login-form[data-pending]", state="attached")
        assert "password" not in page.url and "username" not in page.url  # never sent to the page's address
        assert page.locator("#login-form").count() == 1
        release()
        # The app takes the form with what was typed in it and sends the login it was asked for.
        page.wait_for_selector("#route, #plan-today")

        # Signed in: the next start paints a screen's skeleton, not the login form.
        held, release = held_app(page)
        page.reload(wait_until="commit")
        page.wait_for_selector(".skeleton", state="visible")
        assert held and not page.locator("#login-form").is_visible()
        release()
        page.wait_for_selector("#route, #plan-today")
        assert errors == []
    finally:
        context.close()


def test_the_shell_speaks_chinese_on_a_chinese_phone(browser, live_server):
    context = phone_context(browser, live_server.url, locale="zh-CN", bypass_csp=False)
    try:
        page = context.new_page()
        held, release = held_app(page)
        page.goto("/", wait_until="commit")
        page.wait_for_selector("#username", state="visible")
        assert held and page.evaluate("document.documentElement.lang") == "zh-CN"
        assert page.locator('label[for="username"]').inner_text() == "用户名"
        release()
        # The app speaks the language the shell chose, in the same words.
        page.wait_for_selector("#login-form[data-live]")
        assert page.locator('label[for="username"]').inner_text() == "用户名"
        assert page.locator("#lang-switch").inner_text() == "EN"
    finally:
        context.close()


def test_today_says_the_route_is_on_its_way_until_the_first_sync_has_brought_it(browser, live_server):
    context = phone_context(browser, live_server.url)
    try:
        page = context.new_page()
        held, released = [], []

        def hold(route):  # until released: a page asked for after that goes at once
            if released:
                route.continue_()
            else:
                held.append(route)

        page.route("**/api/sync/pull*", hold)  # the first sync's pages wait
        page.goto("/")
        page.get_by_label("Username").fill("rep1")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        waiting = page.locator("#today-none[data-first-sync='true']")
        waiting.wait_for()
        assert waiting.inner_text() == "Bringing today's route from the server…"  # not "no route planned"
        released.append(True)
        for route in held:
            route.continue_()
        page.wait_for_selector("#route, #today-none[data-first-sync='false']")
        assert page.locator("#today-none[data-first-sync='true']").count() == 0
        # The sync indicator at a glance: nothing waiting goes unsaid on the button (read aloud, it is said).
        wait_synced(page)
        status = page.locator("#sync-status")
        assert "waiting" not in status.inner_text() and "synced" in status.inner_text()
        assert "0 waiting" in status.get_attribute("aria-label")
        assert status.bounding_box()["height"] <= 48  # two lines at most at 360 px
    finally:
        context.close()
