"""The scorecard's day figures summed by the database: per rep, the period's visits (all, not met, face to
face), working days, days whose first visit was on time, and the face-to-face minutes against the working
day's span, without reading every visit and activity into Python.

The time split (timesplit.py) sweeps each day's intervals, a visit winning over an activity where they
overlap, and cuts intervals at local midnight. On a day whose intervals neither overlap nor cross midnight
that sweep is plain sums: the face-to-face minutes are the met visits' durations and the span runs from the
first start to the last end. The database sums those days, grouped by local day (a fixed offset from UTC,
so this path is taken only for a zone whose offset does not change in or around the period), and flags
the others; those few days are swept in Python from their own intervals, exactly as the time split does.
`exact_day_figures` is the same answer from the report functions, for a zone with a change of offset (and
for tests to hold the sums to)."""

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import Float, Integer, and_, case, cast, extract, func, literal, select, text, union_all

from ..extensions import db
from ..models import Activity, Visit
from .firstvisit import first_appointment, on_time_limit
from .rows import core_rows, raw_text, rep_keys
from .timeratios import time_ratios
from .timesplit import Interval, LocalDays, by_local_day, day_minutes

DAY = 86400
EPOCH_DAY = date(1970, 1, 1)


def fixed_offset(scope):
    """The zone's UTC offset in seconds when it is one offset from the day before the period to the day after
    (every zone the method's teams work in, Asia/Shanghai among them), else None."""
    first = scope.start - timedelta(days=2)
    offsets = {
        datetime.combine(first + timedelta(days=i), time(12), scope.tz).utcoffset()
        for i in range((scope.end - first).days + 4)
    }
    return int(offsets.pop().total_seconds()) if len(offsets) == 1 else None


def epoch(column):
    """Epoch seconds in SQL, always (fastpaths.epoch may leave the conversion to Python: the sums here need
    the number in the database)."""
    return cast(extract("epoch", column), Float)


def _day(value, offset):
    """The local day number (days since 1970-01-01 local) of epoch seconds `value`, in SQL."""
    shifted = (value + offset) / DAY
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(shifted), Integer)
    return cast(shifted, Integer)  # SQLite: a positive number truncates down


def _intervals(scope):
    """The period's visits and activities from the evening before, as (rep, start, end, category, face,
    visit, met_false) in epoch seconds: a visit not met is travel, a met one face to face; cancelled visits
    count for nothing."""
    since = scope.start_utc - timedelta(days=1)
    not_met = Visit.met.is_(False)
    visits = select(
        Visit.rep_id.label("rep"),
        epoch(Visit.check_in_at).label("s"),
        epoch(Visit.check_out_at).label("e"),
        case((not_met, literal("travel")), else_=literal("face_to_face")).label("cat"),
        case((not_met, literal(0)), else_=literal(1)).label("face"),
        literal(1).label("visit"),
        case((not_met, literal(1)), else_=literal(0)).label("met_false"),
    ).where(
        Visit.rep_id.in_(scope.rep_ids),
        Visit.check_in_at >= since,
        Visit.check_in_at < scope.end_utc,
        Visit.cancelled_at.is_(None),
    )
    activities = select(
        Activity.rep_id.label("rep"),
        epoch(Activity.started_at).label("s"),
        epoch(Activity.ended_at).label("e"),
        Activity.category.label("cat"),
        literal(0).label("face"),
        literal(0).label("visit"),
        literal(0).label("met_false"),
    ).where(
        Activity.rep_id.in_(scope.rep_ids),
        Activity.started_at >= since,
        Activity.started_at < scope.end_utc,
    )
    return union_all(visits, activities).subquery("iv")


def _limits(scope):
    """{rep id: seconds after local midnight by which a first visit is on time}: the rep's first-appointment
    time plus the ten minutes' tolerance the first-appointment report allows."""
    return {rep.id: on_time_limit(scope, rep) * 60 for rep in scope.reps}


def summed_day_figures(scope):
    """{rep id: figures} (see the module's docstring), or None when the zone's offset changes near the period.

    One pass over the period's visits and activities, grouped by rep and local day of their start: each
    day's visits, first check-in, span and face-to-face seconds, and whether it needs the sweep (an overlap:
    a start before the end of an earlier interval of the rep; or an interval past its local midnight)."""
    offset = fixed_offset(scope)
    if offset is None:
        return None
    keys, limits = rep_keys(scope.rep_ids), _limits(scope)
    first_day = (scope.start - EPOCH_DAY).days
    last_day = (scope.end - EPOCH_DAY).days
    period_start = scope.start_utc.timestamp()
    out = {
        rep_id: {
            "visits": 0,
            "not_met": 0,
            "face_to_face_visits": 0,
            "working_days": 0,
            "on_time_days": 0,
            "face_min": 0.0,
            "span_min": 0.0,
        }
        for rep_id in scope.rep_ids
    }
    if db.session.get_bind().dialect.name == "postgresql":
        # The window's sort of a team's year (300,000 rows) fits in memory instead of spilling to disk.
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))
    iv = _intervals(scope)
    closed = and_(iv.c.e.is_not(None), iv.c.e > iv.c.s)
    rows = (
        select(
            iv.c.rep,
            iv.c.s,
            iv.c.e,
            iv.c.face,
            iv.c.visit,
            iv.c.met_false,
            closed.label("closed"),
            _day(iv.c.s, offset).label("d"),
            _day(iv.c.e, offset).label("end_day"),
            # The latest end among the rep's earlier closed intervals: later than this start is an overlap.
            func.max(case((closed, iv.c.e)))
            .over(partition_by=iv.c.rep, order_by=(iv.c.s, iv.c.e), rows=(None, -1))
            .label("before"),
        )
    ).subquery("rows")
    valid = rows.c.closed
    in_period = rows.c.s >= period_start
    counted = and_(rows.c.visit == 1, in_period)
    worked, swept, other_ends, summed = set(), set(), set(), {}
    for rep, day, first_visit, visits, not_met, met_done, start, end, face, odd, low_end, high_end in core_rows(
        select(
            raw_text(rows.c.rep),
            rows.c.d,
            func.min(case((counted, rows.c.s))),
            func.sum(case((counted, 1), else_=0)),
            func.sum(case((and_(counted, rows.c.met_false == 1), 1), else_=0)),
            func.sum(case((and_(counted, rows.c.e.is_not(None), rows.c.met_false == 0), 1), else_=0)),
            func.min(case((valid, rows.c.s))),
            func.max(case((valid, rows.c.e))),
            func.sum(case((valid, rows.c.face * (rows.c.e - rows.c.s)), else_=0)),
            func.max(
                case(
                    (and_(valid, rows.c.before > rows.c.s), 1),
                    (and_(valid, rows.c.e + offset > (rows.c.d + 1) * DAY), 1),  # past its local midnight
                    else_=0,
                )
            ),
            func.min(rows.c.end_day),
            func.max(rows.c.end_day),
        )
        .where(rows.c.d <= last_day)
        .group_by(rows.c.rep, rows.c.d)
    ):
        rep_id, day = keys[rep], int(day)
        figures = out[rep_id]
        if first_day <= day <= last_day:
            worked.add((rep_id, day))
            figures["visits"] += int(visits or 0)
            figures["not_met"] += int(not_met or 0)
            figures["face_to_face_visits"] += int(met_done or 0)
            if first_visit is not None and first_visit + offset - day * DAY <= limits[rep_id]:
                figures["on_time_days"] += 1
        if low_end is not None and (int(low_end) != day or int(high_end) != day):
            other_ends.add(rep_id)  # a record ended on another day: that day is worked too
        if odd:
            swept.update((rep, d) for d in range(day, int(high_end) + 1))
        elif first_day <= day <= last_day and start is not None:
            summed[(rep, day)] = (float(face or 0) / 60, float(end - start) / 60)
    for (rep, day), (face, span) in summed.items():
        if (rep, day) not in swept:  # a day a record from the day before runs into is swept whole
            out[keys[rep]]["face_min"] += face
            out[keys[rep]]["span_min"] += span
    if other_ends:
        worked |= _end_days(iv, offset, other_ends, first_day, last_day, keys)
    for rep_id, _ in worked:
        out[rep_id]["working_days"] += 1
    swept = {(rep, d) for rep, d in swept if first_day <= d <= last_day}
    if swept:
        _sweep(scope, swept, keys, out)
    return out


def _end_days(iv, offset, rep_ids, first_day, last_day, keys):
    """{(rep id, day)}: the local days the reps' records ended on, within the period."""
    ends = select(raw_text(iv.c.rep).label("rep"), _day(iv.c.e, offset).label("d")).where(
        iv.c.rep.in_(rep_ids), iv.c.e.is_not(None)
    )
    ends = ends.subquery("ends")
    return {
        (keys[rep], int(day))
        for rep, day in core_rows(
            select(ends.c.rep, ends.c.d).where(ends.c.d >= first_day, ends.c.d <= last_day).distinct()
        )
    }


def _sweep(scope, swept, keys, out):
    """The flagged days, swept as the time split sweeps them, from their reps' intervals around those days."""
    by_rep = defaultdict(set)
    for rep, day in swept:
        by_rep[keys[rep]].add(EPOCH_DAY + timedelta(days=day))
    iv = _intervals(scope)
    local_day = LocalDays(scope.tz)
    for rep_id, days in by_rep.items():
        low = datetime.combine(min(days) - timedelta(days=1), time(0), scope.tz).timestamp()
        high = datetime.combine(max(days) + timedelta(days=1), time(0), scope.tz).timestamp()
        intervals = [
            Interval(s, e, cat, bool(face))
            for _, s, e, cat, face, *_ in core_rows(
                select(iv).where(iv.c.rep == rep_id, iv.c.e.is_not(None), iv.c.e > iv.c.s, iv.c.s < high, iv.c.e > low)
            )
        ]
        for day, pieces in by_local_day(intervals, scope.tz, local_day).items():
            if day in days:
                minutes = day_minutes(pieces)
                out[rep_id]["face_min"] += minutes["face_to_face"]
                out[rep_id]["span_min"] += minutes["span"]


def exact_day_figures(scope):
    """The same figures from the time-split and first-appointment reports (read in Python, any zone)."""
    from .reads import visit_rows

    split = {r["rep_id"]: r for r in time_ratios(scope)["rows"]}
    first = {r["rep_id"]: r for r in first_appointment(scope)["rows"]}
    keys, period_start = rep_keys(scope.rep_ids), scope.start_utc.timestamp()
    out = {}
    for rep_id in scope.rep_ids:
        row, habit = split[str(rep_id)], first[str(rep_id)]
        out[rep_id] = {
            "visits": 0,
            "not_met": 0,
            "face_to_face_visits": 0,
            "working_days": habit["working_days"],
            "on_time_days": habit["on_time_days"],
            "face_min": row["face_to_face_min"],
            "span_min": row["span_min"],
        }
    for raw_rep, check_in, check_out, met, *_ in visit_rows(scope):
        if check_in < period_start:
            continue  # read for working days only: it started the evening before the period
        figures = out[keys[raw_rep]]
        figures["visits"] += 1
        figures["not_met"] += met is False
        figures["face_to_face_visits"] += check_out is not None and met is not False
    return out


def kept_day_figures(scope):
    """The same figures from the rep-days kept on write (repdays.py), or None when they cannot answer for the
    scope: a thousand rows for a team's month instead of every visit and activity."""
    from . import repdays
    from .reads import first_check_ins, rep_days, worked_days

    kept = rep_days(scope)
    if kept is None:
        return None
    # The working and on-time days as the first-appointment report counts them, from the same rows (not the
    # whole report: its strip of every day's first visit is not needed here).
    worked, first = worked_days(scope), first_check_ins(scope)
    figures_of = repdays.getter("visits", "not_met", "face_to_face_visits", "split", "face_to_face_min", "span_min")
    out = {}
    for rep in scope.reps:
        rep_id, limit = rep.id, on_time_limit(scope, rep)
        figures = out[rep_id] = {
            "visits": 0,
            "not_met": 0,
            "face_to_face_visits": 0,
            "working_days": len(worked.get(rep_id, ())),
            "on_time_days": sum(1 for m in first.get(rep_id, {}).values() if m <= limit),
            "face_min": 0.0,
            "span_min": 0.0,
        }
        for _, row in sorted(kept.get(rep_id, {}).items()):  # the minutes in date order, as the time split
            visits, not_met, met_done, split, face, span = figures_of(row)
            figures["visits"] += visits
            figures["not_met"] += not_met
            figures["face_to_face_visits"] += met_done
            if split:
                figures["face_min"] += face
                figures["span_min"] += span
    return out
