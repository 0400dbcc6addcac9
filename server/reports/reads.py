"""What several reports read once per scope: the period's visits, activities and joint visits, the working
days and first check-ins they give, the instant a period is read as of, and who set a figure."""

import math
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..fastpaths import epoch as _epoch
from ..models import (
    Activity,
    User,
    Visit,
)
from .rows import core_rows as _rows
from .rows import raw_text as _raw
from .rows import rep_keys, rep_name
from .timesplit import LocalDays


def visit_rows(scope):
    """The period's visits as (rep, check-in, check-out, met, account, purpose, distance), read once per scope.
    From the evening before: a visit that started then can end inside the period. A cancelled visit
    (recorded by mistake) counts for nothing."""
    since = scope.start_utc - timedelta(days=1)
    return scope.once(
        "visits",
        lambda: _rows(
            select(
                _raw(Visit.rep_id),
                _epoch(Visit.check_in_at),
                _epoch(Visit.check_out_at),
                Visit.met,
                _raw(Visit.account_id),
                Visit.purpose,
                Visit.check_in_distance_m,
            ).where(
                Visit.rep_id.in_(scope.rep_ids),
                Visit.check_in_at >= since,
                Visit.check_in_at < scope.end_utc,
                Visit.cancelled_at.is_(None),
            )
        ),
    )


def activity_rows(scope):
    """The period's activities as (rep, start, end, category), from the evening before, read once per scope."""
    return scope.once(
        "activities",
        lambda: _rows(
            select(
                _raw(Activity.rep_id), _epoch(Activity.started_at), _epoch(Activity.ended_at), Activity.category
            ).where(
                Activity.rep_id.in_(scope.rep_ids),
                Activity.started_at >= scope.start_utc - timedelta(days=1),
                Activity.started_at < scope.end_utc,
            )
        ),
    )


def joint_rows(scope):
    """The period's joint visits (陪访: a manager went along) as (rep, check-in, check-out, met, manager), from
    the evening before, read once per scope. Cancelled ones count for nothing."""
    return scope.once(
        "joint_visits",
        lambda: _rows(
            select(
                _raw(Visit.rep_id),
                _epoch(Visit.check_in_at),
                _epoch(Visit.check_out_at),
                Visit.met,
                _raw(Visit.accompanied_by),
            ).where(
                Visit.rep_id.in_(scope.rep_ids),
                Visit.accompanied_by.is_not(None),
                Visit.check_in_at >= scope.start_utc - timedelta(days=1),
                Visit.check_in_at < scope.end_utc,
                Visit.cancelled_at.is_(None),
            )
        ),
    )


def rep_days(scope):
    """{rep id: {local date: rep-day row}} kept on write (repdays.py), read once per scope; None when they
    cannot answer for the scope (then the reports read the visits and activities)."""
    from . import repdays

    return scope.once("rep_days", lambda: repdays.read(scope))


def worked_days(scope):
    """{rep id: set of local dates with any visit or activity}: cheaper than the full time split."""
    return scope.once("worked_days", lambda: _either(_kept_worked_days(scope), _read_worked_days, scope))


def _either(kept, read, scope):
    return read(scope) if kept is None else kept


def _kept_worked_days(scope):
    kept = rep_days(scope)
    if kept is None:
        return None
    from . import repdays

    days, was_worked = defaultdict(set), repdays.getter("worked")
    for rep_id, rows in kept.items():
        worked = {day for day, row in rows.items() if was_worked(row)}
        if worked:
            days[rep_id] = worked
    return days


def _read_worked_days(scope):
    keys = rep_keys(scope.rep_ids)
    local_day = LocalDays(scope.tz)
    seen = set()
    for raw_rep, start, end, *_ in (*visit_rows(scope), *activity_rows(scope)):
        seen.add((raw_rep, local_day(start)))
        if end is not None:
            seen.add((raw_rep, local_day(end)))
    days = defaultdict(set)
    for raw_rep, day in seen:
        if scope.start <= day <= scope.end:
            days[keys[raw_rep]].add(day)
    return days


def first_check_ins(scope):
    """{rep id: {local date: minutes after local midnight of the first check-in}} in the period,
    worked out once per scope."""
    return scope.once("first_check_ins", lambda: _either(_kept_first_check_ins(scope), _read_first_check_ins, scope))


def _kept_first_check_ins(scope):
    kept = rep_days(scope)
    if kept is None:
        return None
    from . import repdays

    first, check_in = defaultdict(dict), repdays.getter("first_check_in")
    for rep_id, rows in kept.items():
        for at in map(check_in, rows.values()):
            if at is not None:
                local = datetime.fromtimestamp(at, scope.tz)
                first[rep_id][local.date()] = local.hour * 60 + local.minute + local.second / 60
    return first


def _read_first_check_ins(scope):
    keys = rep_keys(scope.rep_ids)
    first = defaultdict(dict)
    period_start = scope.start_utc.timestamp()
    for raw_rep, start, *_ in visit_rows(scope):
        if start < period_start:
            continue  # the evening before: read for working days only
        local = datetime.fromtimestamp(start, scope.tz)
        minutes = local.hour * 60 + local.minute + local.second / 60
        per_day = first[keys[raw_rep]]
        if per_day.get(local.date(), 24 * 60) > minutes:
            per_day[local.date()] = minutes
    return first


def hhmm(minutes):
    if minutes is None:
        return None
    # As a clock reads it, seconds dropped (the visit's own time shows 22:36 for 22:36:47, so does its median);
    # hours and minutes from the one whole number.
    whole = math.floor(minutes)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def period_end(scope):
    return min(scope.end_utc, clock.now())


def plan_due_until(scope):
    """The last local date whose planned stops count for plan completion: the days before today, and today
    once its working day is over (the team's `day_end`); never a later day. A day still being worked
    (or not yet started) has stops that are not due, and counting them would show every rep failing."""
    now = clock.now().astimezone(scope.tz)
    over = scope.settings.day_over(now.hour * 3600 + now.minute * 60 + now.second)
    return min(scope.end, now.date() if over else now.date() - timedelta(days=1))


def set_by(record, by_field="set_by", at_field="set_at"):
    """Who set a figure and when, by name."""
    if record is None:
        return named_setter(None, None)
    return named_setter(getattr(record, by_field, None), getattr(record, at_field, None))


def named_setter(by, at):
    """A user id and an instant as the answers show who set a figure and when."""
    user = db.session.get(User, by) if by is not None else None
    return {"set_by_name": rep_name(user), "set_at": at.isoformat() if at else None}


def first_visits(scope):
    """{rep id: [{date, at}]}: each rep's first check-in of each worked day, local HH:MM, as the
    first-appointment report counts it."""
    return {
        rep_id: [{"date": day.isoformat(), "at": hhmm(minutes)} for day, minutes in sorted(days.items())]
        for rep_id, days in first_check_ins(scope).items()
    }
