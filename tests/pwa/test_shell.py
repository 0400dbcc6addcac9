"""The shell paints before any module runs: the login form in the phone's language (its words the catalogues'),
or, with someone signed in on the phone, a screen's skeleton; under the app's own Content-Security-Policy (the
script choosing what to paint runs by its hash). What is typed into the form before the modules arrive stays, and a
login sent before them goes when they come; on a slow phone, a login asked for at any moment of the start goes
once."""

import time

import pytest

from tests.pwa.conftest import IDB_PUT_META, PASSWORD, WAIT_MS, log_in, phone_context, wait_synced

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
        page.wait_for_selector("#route, #plan-today, #day-over")

        # Signed in: the next start paints a screen's skeleton, not the login form.
        held, release = held_app(page)
        page.reload(wait_until="commit")
        page.wait_for_selector(".skeleton", state="visible")
        assert held and not page.locator("#login-form").is_visible()
        release()
        page.wait_for_selector("#route, #plan-today, #day-over")
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
        log_in(page, "rep1", wait=None)
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
        assert "waiting" not in status.inner_text() and status.inner_text().startswith("Synced ")
        assert "0 waiting" in status.get_attribute("aria-label")
        assert status.bounding_box()["height"] <= 48  # one line at 360 px (test_phone_screens_zh.py measures it)
    finally:
        context.close()


def held(page, pattern):
    """Requests matching `pattern` wait until `release()` (those asked for after it go at once)."""
    routes, released = [], []

    def hold(route):
        (route.continue_() if released else routes.append(route))

    def release():
        released.append(True)
        for route in routes:
            route.continue_()

    page.route(pattern, hold)
    return routes, release


def wait_for(page, routes):
    """Wait until a held request has come."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while not routes:
        assert time.monotonic() < deadline, "the request held back never came"
        page.wait_for_timeout(20)


def press_across_the_takeover(page, view, login):
    """A finger on 登录 while the app takes the shell's form over, lifted after: the word it pressed on stays."""
    button = page.locator("#login-form button[type=submit]").bounding_box()
    page.mouse.move(button["x"] + button["width"] / 2, button["y"] + button["height"] / 2)
    page.mouse.down()
    view()
    page.wait_for_selector("#login-form[data-live]", state="attached")
    page.mouse.up()
    login()


def enter_then_tap(page, view, login):
    """Enter before the app has the form, then (nothing seemed to happen) a tap while that login is on its way."""
    page.locator("#password").press("Enter")
    page.wait_for_selector("#login-form[data-pending]", state="attached")
    routes, release = held(page, "**/api/auth/login")
    view()
    wait_for(page, routes)
    page.locator("#login-form button[type=submit]").click()
    page.locator("#password").press("Enter")
    # The taps' own handlers have run (an IndexedDB read is all they await before sending) before the first goes.
    page.evaluate("async () => (await import('/js/db.js')).waitingCount()")
    release()
    login()


def tap_before_the_view(page, view, login):
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_selector("#login-form[data-pending]", state="attached")
    view()
    login()


def tap_once_live(page, view, login):
    view()
    page.wait_for_selector("#login-form[data-live]", state="attached")
    page.locator("#login-form button[type=submit]").click()
    login()


MOMENTS = {f.__name__: f for f in (press_across_the_takeover, enter_then_tap, tap_before_the_view, tap_once_live)}


@pytest.mark.parametrize("moment", sorted(MOMENTS))
def test_a_login_asked_for_at_any_moment_of_a_slow_start_goes_once(browser, live_server, moment):
    """On a slow phone (the CPU throttled) with the login view's module held back: a tap or Enter before the app
    has the form, a press held while it takes the form over, a second tap while the login is on its way: one login
    goes, and the first screen opens."""
    context = phone_context(browser, live_server.url, locale="zh-CN", bypass_csp=False, service_workers="block")
    errors, logins = [], []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("request", lambda r: logins.append(r) if r.url.endswith("/api/auth/login") else None)
        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 4})
        view, release = held(page, "**/js/views/login.js*")
        page.goto("/", wait_until="commit")
        page.locator("#username").fill("rep1")
        page.locator("#password").fill(PASSWORD)
        wait_for(page, view)  # the app has booted and asks for the login view: the shell's form is still the shell's
        assert page.locator("#login-form[data-shell]").count() == 1

        def opened():
            page.wait_for_selector("#route, #plan-today, #day-over")

        MOMENTS[moment](page, release, opened)
        assert [r.method for r in logins] == ["POST"]
        assert errors == []
    finally:
        context.close()


def test_a_login_sent_before_the_app_came_goes_when_the_last_session_had_ended(browser, live_server):
    """A phone whose session ended paints the login form (no one is signed in): what was typed in it before the
    app came, and Enter, are kept when the app says the session ended (below the form) and the login goes."""
    context = phone_context(browser, live_server.url, service_workers="block")
    logins = []
    try:
        page = context.new_page()
        page.on("request", lambda r: logins.append(r) if r.url.endswith("/api/auth/login") else None)
        page.goto("/")
        page.wait_for_selector("#login-form[data-live]", state="attached")
        ended = {"user": {"id": "someone-before", "username": "rep1"}, "access_token": "spent", "expired": True}
        page.evaluate(IDB_PUT_META, ["auth", ended])
        view, release = held(page, "**/js/views/login.js*")
        page.reload(wait_until="commit")
        page.locator("#username").fill("rep1")
        page.locator("#password").fill(PASSWORD)
        page.locator("#password").press("Enter")
        page.wait_for_selector("#login-form[data-pending]", state="attached")
        wait_for(page, view)
        release()
        page.wait_for_selector("#route, #plan-today, #day-over")
        assert len(logins) == 1
    finally:
        context.close()
