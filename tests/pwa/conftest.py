"""Browser fixtures: Debian's Chromium driven by Playwright against a live server on a free port.

The server runs in a thread of the test process with a fresh SQLite database holding a small
demo data set and today's route for rep1. Outside CI a missing Chromium skips these tests with
a message; in CI (CI=true) it fails them.
"""

import atexit
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from server import clock as server_clock
from server import create_app
from server.extensions import db
from tests.conftest import LiveServer, make_config, reset_schema

PASSWORD = "demo-password-1"
TZ = "Asia/Shanghai"
ARTEFACTS = Path(__file__).resolve().parents[2] / "tests" / "artefacts"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
SCREENS = {"phone": PHONE, "desktop": DESKTOP}  # the manager's screens are tried on both
# How long a browser step may wait. Waits end as soon as their condition holds, so these bounds cost nothing
# when the app is right; they are wide because the machine running the suite may be shared and slow.
WAIT_MS = 60_000
expect.set_options(timeout=15_000)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Under pytest-xdist (`--dist loadgroup`, as `make test` runs) a browser module's tests stay on one
    worker, so the live server it seeds once is seeded once.

    The modules are also put first, the largest first: the workers take groups in this order, so the long
    ones are shared out while there is other work left, and the run ends on short server tests instead of
    one worker finishing a browser module while the other waits (pytest's own order put them last)."""
    here = Path(__file__).resolve().parent
    modules = {}
    for item in items:
        if item.path.parent == here:
            item.add_marker(pytest.mark.xdist_group(f"browser-{item.path.stem}"))
            modules.setdefault(item.path, []).append(item)
    if not modules:
        return

    def weight(module):  # tests that drive the browser; the rest of a module (no page) takes next to nothing
        return sum(1 for item in module if {"browser", "page", "context"} & set(item.fixturenames))

    largest_first = sorted(modules.values(), key=weight, reverse=True)
    rest = [item for item in items if item.path.parent != here]
    items[:] = [item for module in largest_first for item in module] + rest


def chromium_path():
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if not path:
        message = "Chromium is not installed: apt-get install -y chromium (or set CHROMIUM=/path/to/chromium)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


def today_local():
    return server_clock.today(ZoneInfo(TZ))


def phone_context(browser, base_url, locale="en-US", at=None, **options):
    """A phone-sized browser context whose clock reads the server's (or `at`) and runs on from there.

    The test tooling's own page scripts (wait_for_function) are evaluated as strings, which the app's
    Content-Security-Policy refuses; such contexts bypass it, and test_csp.py runs the app under it.
    `viewport=DESKTOP` makes it a desktop browser instead, `timezone_id` one away from the team's zone (TZ)."""
    options.setdefault("bypass_csp", True)
    options.setdefault("viewport", PHONE)
    options.setdefault("timezone_id", TZ)
    context = browser.new_context(locale=locale, base_url=base_url, **options)
    context.set_default_timeout(WAIT_MS)
    if at is not None or server_clock.shifted():
        context.clock.install(time=at or server_clock.now())
    return context


def start_live_server(folder, today, weeks=3, reps=2, accounts_per_rep=40, **config):
    """A server on a fresh SQLite file with `reps` demo reps (rep1, rep2 by default) of `accounts_per_rep`
    accounts each, `weeks` of history before `today` and rep1's route for `today`; `config`: settings of the
    app beside the tests'. The file is a copy of one this process seeded with the same arguments on the same
    day (seeding takes seconds), the demo's photos a copy of the ones seeded with it."""
    path = folder / "live.sqlite3"
    seeded = _seeded(today, weeks, reps, accounts_per_rep)
    shutil.copyfile(seeded, path)
    os.environ.setdefault("FIELDDAY_INSTANCE", str(folder / "instance"))
    app = create_app(
        make_config("sqlite:///" + str(path), TESTING=False, FIELDDAY_INSTANCE=str(folder / "instance"), **config)
    )
    photos, here = _seed_photos.get(seeded), Path(app.instance_path) / "photos"
    if photos is not None and photos.is_dir() and photos != here:  # the demo's photos, where this server looks
        shutil.copytree(photos, here, dirs_exist_ok=True)
    return LiveServer(app)


_seeds = {}
_seed_photos = {}  # a seeded file -> the folder its demo photos were stored in


def _seeded(today, weeks, reps, accounts_per_rep):
    key = (today, weeks, reps, accounts_per_rep, server_clock.now().astimezone(ZoneInfo(TZ)).date())
    if key not in _seeds:
        folder = Path(tempfile.mkdtemp(prefix="fieldday-demo-"))
        atexit.register(shutil.rmtree, folder, True)
        url = "sqlite:///" + str(folder / "seeded.sqlite3")
        reset_schema(url)
        app = create_app(make_config(url, FIELDDAY_INSTANCE=str(folder / "instance")))
        with app.app_context():
            from server.demo import seed
            from server.models import User
            from server.route_plans.planner import plan_day

            seed(PASSWORD, reps=reps, accounts_per_rep=accounts_per_rep, weeks=weeks, today=today)
            _seed_photos[folder / "seeded.sqlite3"] = Path(app.instance_path) / "photos"  # the default store
            rep1 = db.session.query(User).filter_by(username="rep1").one()
            plan_day(rep1.id, today, time_limit_s=1.0)
            db.session.remove()
            db.engine.dispose()
        _seeds[key] = folder / "seeded.sqlite3"
    return _seeds[key]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """A server with two demo reps (rep1, rep2) of 40 accounts each and rep1's route for today."""
    server = start_live_server(tmp_path_factory.mktemp("live"), today_local())
    yield server
    server.stop()
    with server.app.app_context():
        db.engine.dispose()


@pytest.fixture
def context(browser, live_server):
    context = phone_context(browser, live_server.url, service_workers="allow")
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    assert not errors, f"uncaught errors in the page: {errors}"


def shot(page, name):
    """Keep a phone-size screenshot of a screen as a test artefact."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"))


@pytest.fixture
def zh(browser, live_server):
    """A zh-CN phone and the errors its page raises (none allowed)."""
    context = phone_context(browser, live_server.url, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, errors


REP_FIRST_SCREEN = "#route, #plan-today, #day-over"  # Today, whatever the day holds


def log_in(page, username="rep1", password=PASSWORD, wait=REP_FIRST_SCREEN):
    """Log in through the form, in any language (the fields by their ids, not their words), and wait for `wait`
    (a selector: a rep's Today by default; None: not at all, the caller waits for what it needs)."""
    page.goto("/")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#login-form button[type=submit]").click()
    if wait:
        page.wait_for_selector(wait)


SAVED_OR_LOOKALIKE = """() => /#\\/account\\/[0-9a-f-]{36}$/.test(location.hash)
                             || document.querySelector('#lookalikes .card') !== null"""


def save_new_account(page, button=None):
    """Save a new account's form and return its id. A look-alike nearby makes the form ask once more (the
    rep confirms with a second tap); which of the two happens is waited for, not guessed from a snapshot."""
    button = button or page.get_by_role("button", name=re.compile("^(Save|保存)$"))
    button.click()
    page.wait_for_function(SAVED_OR_LOOKALIKE)
    if not re.search(r"#/account/[0-9a-f-]{36}$", page.url):
        button.click()
    page.wait_for_url(re.compile(r"#/account/[0-9a-f-]{36}$"))
    return page.url.rsplit("/", 1)[-1]


def wait_until(page, predicate, arg=None, timeout=WAIT_MS):
    """Wait until the page function `predicate(arg)` answers true, polled from here every 100 ms. Unlike
    `wait_for_function`, which takes a promise for a true answer at once, this awaits an async predicate."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(predicate, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} ms: {predicate}")
        page.wait_for_timeout(100)


SYNCED = """async (n) => { const s = document.getElementById('sync-status').dataset;
                          if (s.state !== 'idle' || s.waiting !== String(n) || !s.lastSync) return false;
                          const { waitingCount } = await import('/js/db.js');
                          return (await waitingCount()) === n; }"""


def wait_synced(page, waiting=0, timeout=WAIT_MS):
    """Wait until the indicator says a sync has finished with `waiting` records left (in any language: the
    indicator carries its state, count and last sync as data attributes beside its words), and the phone's own
    outbox agrees: a record saved a moment ago, before the indicator has counted it, is not yet synced.
    (Polled from here: `wait_for_function` takes a promise for a true answer.)"""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(SYNCED, waiting):
        if time.monotonic() > deadline:
            state = page.evaluate("() => ({ ...document.getElementById('sync-status').dataset })")
            raise AssertionError(f"no finished sync with {waiting} waiting within {timeout} ms: {state}")
        page.wait_for_timeout(100)


IDB_PUT_META = """async ([key, value]) => {
  const db = await new Promise((ok, fail) => {
    const r = indexedDB.open('fieldday'); r.onsuccess = () => ok(r.result); r.onerror = fail; });
  await new Promise((ok, fail) => {
    const tx = db.transaction('meta', 'readwrite'); tx.objectStore('meta').put(value, key);
                                    tx.oncomplete = ok; tx.onerror = fail; });
  db.close();
}"""

IDB_GET_META = """async (key) => {
  const db = await new Promise((ok, fail) => {
    const r = indexedDB.open('fieldday'); r.onsuccess = () => ok(r.result); r.onerror = fail; });
  const value = await new Promise((ok, fail) => { const r = db.transaction('meta').objectStore('meta').get(key);
                                                  r.onsuccess = () => ok(r.result); r.onerror = fail; });
  db.close();
  return value;
}"""

IDB_GET_ALL = """async (store) => {
  const db = await new Promise((ok, fail) => {
    const r = indexedDB.open('fieldday'); r.onsuccess = () => ok(r.result); r.onerror = fail; });
  const rows = await new Promise((ok, fail) => { const r = db.transaction(store).objectStore(store).getAll();
                                                 r.onsuccess = () => ok(r.result); r.onerror = fail; });
  db.close();
  return rows;
}"""


def idb_all(page, store):
    return page.evaluate(IDB_GET_ALL, store)


def wait_controlled(page):
    """Wait until the service worker controls the page (it precached the shell)."""
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=WAIT_MS)


def waiting_text(page, n):
    page.wait_for_function("(n) => document.getElementById('sync-status').dataset.waiting === String(n)", arg=n)


def record_visit(page, account_name=None, purpose="Check the toner contract"):
    """Open an account from the list, check in with a purpose, add notes, check out; return the visit id."""
    page.wait_for_selector("#account-list a.item")
    link = (
        page.locator("#account-list a.item", has_text=account_name)
        if account_name
        else page.locator("#account-list a.item").first
    )
    link.first.click()
    page.get_by_role("link", name="New visit").click()
    check_in = page.get_by_role("button", name="Check in")
    assert check_in.is_disabled()  # purpose first
    page.get_by_label("Purpose of this visit (required)").fill(purpose)
    check_in.click()
    page.wait_for_selector("#visit-form")
    visit_id = page.url.rsplit("/", 1)[-1]
    page.get_by_label("Notes").fill("Buyer wants a colour model")
    page.get_by_label("Outcome").fill("Quote requested")
    page.get_by_role("button", name="Check out").click()
    page.wait_for_selector("text=Checked out at")
    return visit_id


class StaticServer:
    """The field app's files alone (no API, no database), for tests of its modules in the browser."""

    def __init__(self, directory):
        import functools
        from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/blank":  # a page of the app's origin that runs none of its scripts
                    body = b"<!doctype html><title>blank</title>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                super().do_GET()

            def log_message(self, *args):
                pass

        Handler.extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript"}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(directory)))
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture(scope="module")
def module_page(browser):
    """A page on a static server of pwa/ at a blank document, for `await import('/js/...')` in page.evaluate."""
    server = StaticServer(Path(__file__).resolve().parents[2] / "pwa")
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    page.goto("/blank")
    yield page
    context.close()
    server.stop()
