"""Browser fixtures: Debian's Chromium driven by Playwright against a live server on a free port.

The server runs in a thread of the test process with a fresh SQLite database holding a small
demo data set and today's route for rep1. Outside CI a missing Chromium skips these tests with
a message; in CI (CI=true) it fails them.
"""
import os
import shutil
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from werkzeug.serving import make_server

from server import clock as server_clock
from server import create_app
from server.extensions import db
from tests.conftest import make_config, reset_schema

PASSWORD = "demo-password-1"
TZ = "Asia/Shanghai"
ARTEFACTS = Path(__file__).resolve().parents[2] / "tests" / "artefacts"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
SCREENS = {"phone": PHONE, "desktop": DESKTOP}  # the manager's screens are tried on both


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


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)


def today_local():
    return server_clock.today(ZoneInfo(TZ))


def phone_context(browser, base_url, locale="en-US", at=None, **options):
    """A phone-sized browser context whose clock reads the server's (or `at`) and runs on from there.

    The test tooling's own page scripts (wait_for_function) are evaluated as strings, which the app's
    Content-Security-Policy refuses; such contexts bypass it, and test_csp.py runs the app under it.
    `viewport=DESKTOP` makes it a desktop browser instead."""
    options.setdefault("bypass_csp", True)
    options.setdefault("viewport", PHONE)
    context = browser.new_context(locale=locale, timezone_id=TZ, base_url=base_url, **options)
    if at is not None or server_clock.shifted():
        context.clock.install(time=at or server_clock.now())
    return context


def start_live_server(folder, today, weeks=3):
    """A server on a fresh SQLite file with two demo reps (rep1, rep2) of 40 accounts each, `weeks` of
    history before `today` and rep1's route for `today`."""
    url = "sqlite:///" + str(folder / "live.sqlite3")
    reset_schema(url)
    os.environ.setdefault("FIELDDAY_INSTANCE", str(folder / "instance"))
    app = create_app(make_config(url, TESTING=False, FIELDDAY_INSTANCE=str(folder / "instance")))
    with app.app_context():
        from server.demo import seed
        from server.models import User
        from server.route_plans.planner import plan_day

        seed(PASSWORD, reps=2, accounts_per_rep=40, weeks=weeks, today=today)
        rep1 = db.session.query(User).filter_by(username="rep1").one()
        plan_day(rep1.id, today, time_limit_s=1.0)
        db.session.remove()
    return LiveServer(app)


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


def log_in(page, username="rep1", password=PASSWORD):
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("#route, #plan-today")


def wait_synced(page, waiting=0):
    """Wait until the indicator says the sync finished with `waiting` records left."""
    page.wait_for_function(
        """(n) => { const s = document.getElementById('sync-status');
                    return s.dataset.state === 'idle' && s.textContent.includes(n + ' waiting')
                           && !s.textContent.includes('not synced'); }""", arg=waiting, timeout=20_000)


IDB_PUT_META = """async ([key, value]) => {
  const db = await new Promise((ok, fail) => { const r = indexedDB.open('fieldday'); r.onsuccess = () => ok(r.result); r.onerror = fail; });
  await new Promise((ok, fail) => { const tx = db.transaction('meta', 'readwrite'); tx.objectStore('meta').put(value, key);
                                    tx.oncomplete = ok; tx.onerror = fail; });
  db.close();
}"""

IDB_GET_META = """async (key) => {
  const db = await new Promise((ok, fail) => { const r = indexedDB.open('fieldday'); r.onsuccess = () => ok(r.result); r.onerror = fail; });
  const value = await new Promise((ok, fail) => { const r = db.transaction('meta').objectStore('meta').get(key);
                                                  r.onsuccess = () => ok(r.result); r.onerror = fail; });
  db.close();
  return value;
}"""

IDB_GET_ALL = """async (store) => {
  const db = await new Promise((ok, fail) => { const r = indexedDB.open('fieldday'); r.onsuccess = () => ok(r.result); r.onerror = fail; });
  const rows = await new Promise((ok, fail) => { const r = db.transaction(store).objectStore(store).getAll();
                                                 r.onsuccess = () => ok(r.result); r.onerror = fail; });
  db.close();
  return rows;
}"""


def idb_all(page, store):
    return page.evaluate(IDB_GET_ALL, store)


def wait_controlled(page):
    """Wait until the service worker controls the page (it precached the shell)."""
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=20_000)


def waiting_text(page, n):
    page.wait_for_function("(n) => document.getElementById('sync-status').textContent.includes(n + ' waiting')",
                           arg=n, timeout=20_000)


def record_visit(page, account_name=None, purpose="Check the toner contract"):
    """Open an account from the list, check in with a purpose, add notes, check out; return the visit id."""
    page.wait_for_selector("#account-list a.item")
    link = page.locator("#account-list a.item", has_text=account_name) if account_name else page.locator("#account-list a.item").first
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
