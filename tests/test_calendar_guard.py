"""The calendar guard (tests/calendar_guard.py) fails a test that reads the clock without saying so."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

GUARDED = """
import pytest
from datetime import timezone
from server import clock


def test_reads_the_clock_unmarked():
    assert clock.now() is not None


@pytest.mark.calendar
def test_reads_the_clock_marked():
    assert clock.today(timezone.utc) is not None


def test_only_stamps_a_record():
    assert clock.stamp() is not None


def test_sets_the_clock_it_needs():
    clock.freeze("2026-03-01T09:00:00+08:00")
    assert clock.now().isoformat() == "2026-03-01T01:00:00+00:00"
"""


def run_guarded(pytester, *args):
    pytester.makepyfile(test_guarded=GUARDED)
    pytester.makeini("[pytest]\naddopts = -p tests.calendar_guard -p no:cacheprovider -p no:xdist\n")
    return pytester.runpytest_subprocess(*args)


def test_a_test_that_reads_the_clock_unmarked_fails_the_shifted_run_and_is_named(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.delenv("FIELDDAY_CLOCK", raising=False)
    result = run_guarded(pytester, "--clock", "2028-02-29T09:00:00+08:00")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            (
                "*::test_reads_the_clock_unmarked reads the business clock"
                " (*test_guarded.py:* (test_reads_the_clock_unmarked))*"
            )
        ]
    )
    assert "(shifted)" in result.stdout.str()


def test_the_guard_holds_in_the_main_run_too_and_the_marked_set_is_selectable(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.delenv("FIELDDAY_CLOCK", raising=False)
    result = run_guarded(pytester)
    result.assert_outcomes(passed=3, failed=1)
    marked = run_guarded(pytester, "-m", "calendar", "--clock", "2027-01-01T00:00:00+08:00")
    marked.assert_outcomes(passed=1, deselected=3)


SERVED = """
import threading

import pytest
from server import clock


def serve_a_request():
    # as a live server's request thread does (socketserver names it so)
    thread = threading.Thread(target=clock.now, name="Thread-9 (process_request_thread)")
    thread.start()
    thread.join()


@pytest.fixture
def live_server():
    return None


def test_a_page_left_behind_reads_the_clock_while_this_test_runs():
    serve_a_request()


def test_its_own_live_server_reads_the_clock(live_server):
    serve_a_request()


def test_a_thread_of_its_own_reads_the_clock():
    thread = threading.Thread(target=clock.now)
    thread.start()
    thread.join()
"""


def test_a_live_servers_reads_count_only_for_tests_that_use_a_live_server(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.delenv("FIELDDAY_CLOCK", raising=False)
    pytester.makepyfile(test_served=SERVED)
    pytester.makeini("[pytest]\naddopts = -p tests.calendar_guard -p no:cacheprovider -p no:xdist\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        ["*::test_its_own_live_server_reads_the_clock reads*", "*::test_a_thread_of_its_own_reads_the_clock reads*"]
    )
