"""The one clock of the server: every business "now" and "today" reads it.

Services, reports, the planner, the sync layer and the demo seed ask this module for the time, so a
test, a demo or a rehearsal can move the whole server to another instant. `FIELDDAY_CLOCK` (an ISO
8601 instant with its offset, e.g. `2027-01-01T00:00:00+08:00`) starts the process's clock at that
instant, and it runs on from there. Tests set it with `--clock` or per test with `set_now`/`freeze`.

Security tokens are not business time: JWT expiry and revocation stay on the machine's real clock
(`real_now`), so a shifted clock never makes a revoked token valid again.
"""

import os
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

_offset = timedelta(0)
_frozen = None
_observer = None


def real_now():
    """The machine's own time (aware UTC), for security lifetimes only."""
    return datetime.now(UTC)


def now():
    """The business time as an aware UTC datetime, for decisions: what is due, overdue, late, today."""
    if _observer is not None:
        _observer()
    return stamp()


def stamp():
    """The business time for record keeping only (a row's created/updated time, a response header):
    the same instant as `now`, but nothing is decided from it, so tests that only stamp records do
    not depend on the calendar."""
    if _frozen is not None:
        return _frozen
    return real_now() + _offset


def observe(callback):
    """Call `callback()` at every `now` (and so every `today`); None stops. The test suite uses it to
    find the tests whose answers depend on the calendar."""
    global _observer
    _observer = callback


def today(tz) -> date:
    """Today's date in the time zone `tz` (a tzinfo)."""
    return now().astimezone(tz).date()


def latest_today() -> date:
    """The latest date anywhere on Earth now (UTC+14): a date after it is in the future everywhere."""
    return (now() + timedelta(hours=14)).date()


def parse_instant(value):
    """An aware datetime from an ISO 8601 string; a value without an offset is refused."""
    at = datetime.fromisoformat(value.strip()) if isinstance(value, str) else value
    if at.tzinfo is None:
        raise ValueError(f"the clock needs an instant with its UTC offset, not {value!r}")
    return at.astimezone(UTC)


def set_now(at):
    """Move the clock to `at`; it runs on from there."""
    global _offset, _frozen
    _frozen = None
    _offset = parse_instant(at) - real_now()


def freeze(at):
    """Stop the clock at `at` until `reset` or another `set_now`."""
    global _frozen
    _frozen = parse_instant(at)


def reset():
    """Back to the machine's time (or to FIELDDAY_CLOCK's instant, when set)."""
    global _offset, _frozen
    _frozen, _offset = None, timedelta(0)
    _apply_environment()


def state():
    """The clock's setting, to put back with `restore`."""
    return _offset, _frozen


def restore(saved):
    global _offset, _frozen
    _offset, _frozen = saved


@contextmanager
def frozen_at(at):
    """Run a block with the clock stopped at `at`, then restore the previous clock."""
    saved = state()
    freeze(at)
    try:
        yield
    finally:
        restore(saved)


def shifted():
    """True when the clock is not the machine's."""
    return _frozen is not None or abs(_offset) > timedelta(seconds=1)


def _apply_environment():
    value = os.environ.get("FIELDDAY_CLOCK", "").strip()
    if value:
        set_now(value)


_apply_environment()
