"""The calendar set: tests whose answers depend on the date say so with `@pytest.mark.calendar`.

`make test-dates` runs that set again with the server's clock (and the browser's) at the instants that
break calendars. So that the set cannot silently shrink, every test of every run is watched: a test that
reads the business clock (`server.clock.now`, and so `today`) in its body (the test function and the
server code it calls, threads included) while the clock is the run's own, not one the test or its fixtures
set through the `clock` fixture, and that lacks the marker fails, naming itself and the line that read the
clock. Fixtures build their data before the clock is watched: data that depends on the date is
read back in the body, where it counts. Record stamps (`server.clock.stamp`: a row's created or updated time, a
response header) decide nothing and are not reads.

It also owns the run's clock: `--clock ISO-INSTANT` (or `FIELDDAY_CLOCK`) starts the server's clock at
that instant for the whole run, and servers the run starts in other processes follow it.

`SHOW_CALENDAR_READS=1` lists, instead of failing, every unmarked test that reads the clock (to mark them
after a change), one `CALENDAR-READ <nodeid>` line each, printed at the end of the run.
"""

import os
import threading
import traceback

import pytest

from server import clock as server_clock

MARKER = "calendar"
_found = []


def pytest_addoption(parser):
    parser.addoption(
        "--clock",
        default=os.environ.get("FIELDDAY_CLOCK") or None,
        metavar="ISO-INSTANT",
        help="run with the server's clock (and the browser's) started at this instant, e.g. 2027-01-01T00:00:00+08:00",
    )


def pytest_configure(config):
    value = config.getoption("--clock")
    if value:
        server_clock.set_now(value)
        os.environ["FIELDDAY_CLOCK"] = value  # servers the suite starts in other processes follow it
    config.addinivalue_line(
        "markers",
        f"{MARKER}: the test's answers depend on the calendar date; `make test-dates` runs it again at the "
        "awkward instants (a test that reads the clock without it fails)",
    )


def _reader():
    """Where the clock was read: the innermost frame outside the clock module and this guard."""
    for frame in reversed(traceback.extract_stack()[:-3]):
        if not frame.filename.endswith(("server/clock.py", "calendar_guard.py")):
            return f"{frame.filename}:{frame.lineno} ({frame.name})"
    return "unknown"


_run_clock = None


def pytest_sessionstart(session):
    global _run_clock
    _run_clock = server_clock.state()  # the run's clock: the machine's, or the one --clock set


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    reads = []
    lock = threading.Lock()
    # A live server's request threads count for the tests that use a live server; for any other test, a request
    # they serve comes from a page another test left behind (it syncs on a timer) and says nothing of this one.
    uses_a_server = any(name.endswith("server") for name in item.fixturenames)

    def seen():
        if reads or server_clock.state() != _run_clock:  # already seen, or the test set its own clock
            return
        if not uses_a_server and threading.current_thread().name.endswith("(process_request_thread)"):
            return
        with lock:
            if not reads:
                reads.append(_reader())

    server_clock.observe(seen)
    try:
        result = yield
    finally:
        server_clock.observe(None)
    if reads and item.get_closest_marker(MARKER) is None and item.get_closest_marker("benchmark") is None:
        if os.environ.get("SHOW_CALENDAR_READS"):
            _found.append(f"{item.nodeid} {reads[0]}")
        else:
            pytest.fail(
                f"{item.nodeid} reads the business clock ({reads[0]}) but is not marked "
                f"@pytest.mark.{MARKER}: its answer may depend on the date, so `make test-dates` must run it. "
                "Mark it, or set the clock it needs with the `clock` fixture.",
                pytrace=False,
            )
    return result


def pytest_report_header(config):
    return f"clock: {server_clock.now().isoformat()}" + (" (shifted)" if server_clock.shifted() else "")


def pytest_terminal_summary(terminalreporter):
    for nodeid in _found:
        terminalreporter.write_line(f"CALENDAR-READ {nodeid}")
