"""Each rep's recorded days in figures (the `rep_days` table), kept on write, so that a report of a team's
month reads a thousand rows instead of every visit and activity.

A day's row holds what the time split, the first-appointment and the activity reports work out for that
local day from the rows themselves (timesplit.py, reads.py, activity.py), computed here by the same code:
the day's visits (all, not met, face to face, with a purpose, still open), its first check-in, whether it
was worked, its minutes by category, and its plan against the accounts visited.

Kept on write: whenever a visit, activity, route plan or stop is written (REST, sync push, import, re-plan,
delete: every write goes through the ORM), the session's `after_flush` recomputes the rep-days the old and
new values touch from the flushed rows, in the same transaction; an account deleted (its visits and stops go
with it in the database) has its visits' and stops' rep-days noted before the flush. The migration that made
the table filled it from the rows there were (`rebuild`).

A row is dated in its rep's team's zone when it was written (`tz`). A report reads the rows only when every
row of its period is in the report's zone and none is `odd` (a record started two days or more before runs
into the day: the reports read such a day with the records from the evening before their period only);
otherwise it reads the rows themselves, as before. A write touches at most `MAX_SPAN_DAYS` days from a
record's start (a report covers at most 400 days)."""

import uuid
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from operator import itemgetter
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, event, func, insert, select, union_all
from sqlalchemy.orm import attributes

from ..changelog import name_lock
from ..extensions import db
from ..fastpaths import epoch
from ..models import Account, Activity, RepDay, RoutePlan, RouteStop, Team, User, Visit
from ..models.users import team_zone
from .rows import raw_text, rep_keys
from .timesplit import CATEGORIES, Interval, LocalDays, by_local_day, day_minutes

MAX_SPAN_DAYS = 400
_POSITIONS = {column.name: i for i, column in enumerate(RepDay.__table__.c)}  # as `read` selects them
FIGURES = (
    "worked",
    "odd",
    "visits",
    "not_met",
    "face_to_face_visits",
    "with_purpose",
    "open_visits",
    "open_activities",
    "first_check_in",
    "split",
    *(f"{k}_min" for k in (*CATEGORIES, "unrecorded", "span")),
    "planned",
    "planned_done",
)


def _midnight(day, tz):
    return datetime.combine(day, time(0), tz)


def _zones(conn, rep_ids):
    """{rep id: the zone its team works in} (as `team_zone` says)."""
    rows = conn.execute(
        select(User.id, Team.timezone)
        .select_from(User)
        .outerjoin(Team, Team.id == User.team_id)
        .where(User.id.in_(list(rep_ids)))
    ).all()
    return {rep_id: ZoneInfo(zone) if zone else team_zone(None) for rep_id, zone in rows}


def _read(conn, rep_id, tz, low, high):
    """The rep's records that bear on the local days low..high: (visits, activities, plans), as the reports
    read them (epoch seconds from the database, cancelled visits left out)."""
    since, until = _midnight(low - timedelta(days=2), tz), _midnight(high + timedelta(days=1), tz)
    first = _midnight(low, tz)
    # The records started from two days before `low`, and the older ones still running at its start: two
    # index ranges (by start, by end), not the rep's whole history before `high`, which an OR of the two
    # conditions reads on SQLite.
    visit = select(
        epoch(Visit.check_in_at),
        epoch(Visit.check_out_at),
        Visit.met,
        Visit.purpose,
        # As the plan-against-done match of the activity report compares ids (activity.py): text made by the
        # database, not a UUID object per row.
        raw_text(Visit.account_id),
    ).where(Visit.rep_id == rep_id, Visit.cancelled_at.is_(None))
    visits = conn.execute(
        union_all(
            visit.where(Visit.check_in_at >= since, Visit.check_in_at < until),
            visit.where(Visit.check_out_at >= first, Visit.check_in_at < since),
        )
    ).all()
    activity = select(epoch(Activity.started_at), epoch(Activity.ended_at), Activity.category).where(
        Activity.rep_id == rep_id
    )
    activities = conn.execute(
        union_all(
            activity.where(Activity.started_at >= since, Activity.started_at < until),
            activity.where(Activity.ended_at >= first, Activity.started_at < since),
        )
    ).all()
    plans = conn.execute(
        select(RoutePlan.id, RoutePlan.plan_date, RoutePlan.snapshot).where(
            RoutePlan.rep_id == rep_id, RoutePlan.plan_date >= low, RoutePlan.plan_date <= high
        )
    ).all()
    stops = defaultdict(list)
    live = [plan_id for plan_id, _, snapshot in plans if snapshot is None]
    for chunk in range(0, len(live), 500):
        for plan_id, account_id in conn.execute(
            select(RouteStop.route_plan_id, raw_text(RouteStop.account_id)).where(
                RouteStop.route_plan_id.in_(live[chunk : chunk + 500])
            )
        ):
            stops[plan_id].append(account_id)
    planned = {}
    for plan_id, plan_date, snapshot in plans:
        if snapshot is not None:
            # As the activity report reads a snapshot's ids (text on PostgreSQL, hex on SQLite).
            planned[plan_date] = [uuid.UUID(i).hex if conn.dialect.name == "sqlite" else str(i) for i in snapshot]
        else:
            planned[plan_date] = stops[plan_id]
    return visits, activities, planned


def compute(conn, rep_id, tz, days):
    """[row] for the local `days` (a set of dates in `tz`) of one rep: the days with anything to count."""
    if not days:
        return []
    low, high = min(days), max(days)
    visits, activities, planned = _read(conn, rep_id, tz, low, high)
    return _figures(rep_id, tz, days, visits, activities, planned)


def _figures(rep_id, tz, days, visits, activities, planned):
    local_day = LocalDays(tz)
    rows = {}

    def row(day):
        found = rows.get(day)
        if found is None:
            found = rows[day] = {
                "rep_id": rep_id,
                "day": day,
                "tz": tz.key,
                **dict.fromkeys(FIGURES, 0),
                "worked": False,
                "odd": False,
                "split": False,
                "first_check_in": None,
            }
            for k in FIGURES:
                if k.endswith("_min"):
                    found[k] = 0.0
        return found

    intervals, done = [], defaultdict(set)
    records = [(s, e, "visit", met, purpose, account) for s, e, met, purpose, account in visits]
    records += [(s, e, category, None, None, None) for s, e, category in activities]
    for start, end, kind, met, purpose, account in records:
        start_day = local_day(start)
        end_day = local_day(end) if end is not None else None
        # Worked: the days a record started and ended on (reads.worked_days).
        if start_day in days:
            row(start_day)["worked"] = True
        if end_day is not None and end_day in days:
            row(end_day)["worked"] = True
        if end_day is not None and (end_day - start_day).days >= 2:
            # Days it runs into from two days after its start: a report of a period starting on or after
            # such a day would not have read this record.
            last = min(end_day, start_day + timedelta(days=MAX_SPAN_DAYS))
            d = start_day + timedelta(days=2)
            while d <= last:
                if d in days:
                    row(d)["odd"] = True
                d += timedelta(days=1)
        if kind == "visit":
            if start_day in days:
                r = row(start_day)
                r["visits"] += 1
                r["not_met"] += met is False
                r["face_to_face_visits"] += end is not None and met is not False
                r["with_purpose"] += bool((purpose or "").strip())
                r["open_visits"] += end is None
                if r["first_check_in"] is None or start < r["first_check_in"]:
                    r["first_check_in"] = start
                done[start_day].add(account)
            if end is not None and end > start:
                if met is False:
                    intervals.append(Interval(start, end, "travel"))
                else:
                    intervals.append(Interval(start, end, "face_to_face", True))
        else:
            if end is None:
                if start_day in days:
                    row(start_day)["open_activities"] += 1
            elif end > start:
                intervals.append(Interval(start, end, kind))
    limit = _midnight(max(days) + timedelta(days=1), tz).timestamp()
    capped = [i._replace(end=min(i.end, limit)) for i in intervals if i.start < limit]
    for day, pieces in by_local_day(capped, tz, local_day).items():
        if day in days:
            r = row(day)
            r["split"] = True
            for key, value in day_minutes(pieces).items():
                r[f"{key}_min"] = value
    for day, accounts in planned.items():
        if day in days:
            r = row(day)
            r["planned"] = len(accounts)
            r["planned_done"] = sum(1 for a in accounts if a in done.get(day, ()))
    return list(rows.values())


def refresh(conn, touched):
    """Recompute the rep-days `touched` names: {rep id: [(start epoch, end epoch or None) or a date]}, the
    instants of records written (their old and new values) and the dates of plans written."""
    zones = _zones(conn, touched)
    for rep_id in sorted(touched, key=str):
        # Two writers of one rep's records (the rep's two phones) recompute the rep's days in turn, each
        # from what the other committed (PostgreSQL; SQLite's writers never overlap).
        name_lock(conn, "rep_days", rep_id)
    for rep_id, marks in touched.items():
        tz = zones.get(rep_id)
        if tz is None:
            continue  # the rep is gone: their rows went with them
        local_day = LocalDays(tz)
        days = set()
        for mark in marks:
            if isinstance(mark, date):
                days.add(mark)
                continue
            start, end = mark
            first = local_day(start)
            last = local_day(end) if end is not None and end > start else first
            last = min(last, first + timedelta(days=MAX_SPAN_DAYS))
            d = first
            while d <= last:
                days.add(d)
                d += timedelta(days=1)
        _store(conn, rep_id, days, compute(conn, rep_id, tz, days))


def _store(conn, rep_id, days, rows):
    table = RepDay.__table__
    ordered = sorted(days)
    for chunk in range(0, len(ordered), 500):
        conn.execute(delete(table).where(table.c.rep_id == rep_id, table.c.day.in_(ordered[chunk : chunk + 500])))
    for chunk in range(0, len(rows), 1000):
        conn.execute(insert(table), rows[chunk : chunk + 1000])


def rebuild(conn, rep_ids=None):
    """Every rep-day of the reps (all users when None) from their records: the migration's backfill."""
    if rep_ids is None:
        rep_ids = [r for (r,) in conn.execute(select(User.id))]
    zones = _zones(conn, rep_ids)
    table = RepDay.__table__
    for rep_id in rep_ids:
        tz = zones[rep_id]
        conn.execute(delete(table).where(table.c.rep_id == rep_id))
        instants = [
            value
            for row in (
                conn.execute(
                    select(func.min(Visit.check_in_at), func.max(Visit.check_in_at)).where(Visit.rep_id == rep_id)
                ).first(),
                conn.execute(
                    select(func.min(Activity.started_at), func.max(Activity.started_at)).where(
                        Activity.rep_id == rep_id
                    )
                ).first(),
            )
            for value in row
            if value is not None
        ]
        plan_days = conn.execute(
            select(func.min(RoutePlan.plan_date), func.max(RoutePlan.plan_date)).where(RoutePlan.rep_id == rep_id)
        ).first()
        bounds = [i.astimezone(tz).date() for i in instants] + [d for d in plan_days if d is not None]
        if not bounds:
            continue
        # Through the day the latest record may run into.
        low, high = min(bounds), max(bounds) + timedelta(days=MAX_SPAN_DAYS)
        visits, activities, planned = _read(conn, rep_id, tz, low, high)
        ends = [e for _, e, *_ in (*visits, *activities) if e is not None]
        if ends:
            high = min(high, max(max(bounds), LocalDays(tz)(max(ends))))
        else:
            high = max(bounds)
        days = {low + timedelta(days=i) for i in range((high - low).days + 1)}
        rows = _figures(rep_id, tz, days, visits, activities, planned)
        for chunk in range(0, len(rows), 1000):
            conn.execute(insert(table), rows[chunk : chunk + 1000])


def rezone(session, rep_ids):
    """The rep-days of reps whose zone changed (their team's time zone, or a move to a team in another zone),
    dated again in the new zone in the caller's transaction: the reports read them again instead of every
    visit and activity. A team of 20 reps with a year of records takes a few seconds, once."""
    rep_ids = list(rep_ids)
    if rep_ids:
        session.flush()
        rebuild(session.connection(), rep_ids)


# --- kept on write --------------------------------------------------------------------------------------

_VISIT_FIELDS = ("rep_id", "check_in_at", "check_out_at", "met", "cancelled_at", "purpose", "account_id")
_ACTIVITY_FIELDS = ("rep_id", "started_at", "ended_at", "category")


def _old(obj, key):
    """The value `key` had before this flush (the current one when unchanged)."""
    history = attributes.get_history(obj, key)
    if history.deleted:
        return history.deleted[0]
    return getattr(obj, key)


def _span(start, end):
    if start is None:
        return None
    return (start.timestamp(), end.timestamp() if end is not None else None)


def _touch(touched, rep_id, mark):
    if rep_id is not None and mark is not None:
        touched[rep_id].add(mark)


def _collect(session):
    touched = defaultdict(set)
    for obj, state in (
        *((o, "new") for o in session.new),
        *((o, "dirty") for o in session.dirty),
        *((o, "deleted") for o in session.deleted),
    ):
        if isinstance(obj, Visit | Activity):
            is_visit = isinstance(obj, Visit)
            fields = _VISIT_FIELDS if is_visit else _ACTIVITY_FIELDS
            start_key, end_key = ("check_in_at", "check_out_at") if is_visit else ("started_at", "ended_at")
            if state == "dirty" and not any(attributes.get_history(obj, k).has_changes() for k in fields):
                continue
            _touch(touched, obj.rep_id, _span(getattr(obj, start_key), getattr(obj, end_key)))
            if state == "dirty":
                _touch(touched, _old(obj, "rep_id"), _span(_old(obj, start_key), _old(obj, end_key)))
        elif isinstance(obj, RoutePlan):
            if state == "dirty" and not any(
                attributes.get_history(obj, k).has_changes() for k in ("rep_id", "plan_date", "snapshot")
            ):
                continue
            _touch(touched, obj.rep_id, obj.plan_date)
            if state == "dirty":
                _touch(touched, _old(obj, "rep_id"), _old(obj, "plan_date"))
        elif isinstance(obj, RouteStop):
            plan_ids = {obj.route_plan_id}
            if state == "dirty":
                plan_ids.add(_old(obj, "route_plan_id"))
            for plan_id in plan_ids:
                plan = session.identity_map.get(session.identity_key(RoutePlan, plan_id)) if plan_id else None
                if plan is not None:
                    _touch(touched, plan.rep_id, plan.plan_date)
                elif plan_id is not None:
                    found = (
                        session.connection()
                        .execute(select(RoutePlan.rep_id, RoutePlan.plan_date).where(RoutePlan.id == plan_id))
                        .first()
                    )
                    if found is not None:
                        _touch(touched, found.rep_id, found.plan_date)
    return touched


@event.listens_for(db.session, "before_flush")
def _before(session, _context, _instances):
    """An account deleted takes its visits and planned stops with it in the database (ON DELETE CASCADE),
    past the ORM: their rep-days are noted while the rows are still there."""
    gone = [obj.id for obj in session.deleted if isinstance(obj, Account)]
    if not gone:
        return
    touched = session.info.setdefault("rep_days_touched", defaultdict(set))
    conn = session.connection()
    for rep_id, start, end in conn.execute(
        select(Visit.rep_id, Visit.check_in_at, Visit.check_out_at).where(
            Visit.account_id.in_(gone), Visit.check_in_at.is_not(None)
        )
    ):
        _touch(touched, rep_id, _span(start, end))
    for rep_id, plan_date in conn.execute(
        select(RoutePlan.rep_id, RoutePlan.plan_date)
        .join(RouteStop, RouteStop.route_plan_id == RoutePlan.id)
        .where(RouteStop.account_id.in_(gone))
    ):
        _touch(touched, rep_id, plan_date)


@event.listens_for(db.session, "after_flush")
def _keep(session, _context):
    touched = _collect(session)
    for rep_id, marks in session.info.pop("rep_days_touched", {}).items():
        touched[rep_id] |= marks
    if touched:
        refresh(session.connection(), touched)


def getter(*names):
    """row -> the named figures (a tuple for several) of the rows `read` gives: by position, as `read` reads
    them (a row's attribute by name costs a look-up of the name, thousands of times a report)."""
    return itemgetter(*(_POSITIONS[name] for name in names))


def read(scope):
    """{rep id: {local date: row}} for the scope's period, or None when the rows cannot answer for it (a row
    in another zone, or an odd day: see the module's docstring)."""
    if not scope.rep_ids:
        return {}
    table = RepDay.__table__
    out = {rep_id: {} for rep_id in scope.rep_ids}
    zone = scope.tz.key
    # A year of a team is thousands of rows: the rep's id and the day come as the database's text, each
    # turned into its UUID and date once (not a UUID and a date parsed per row).
    keys, days = rep_keys(scope.rep_ids), {}
    columns = [raw_text(c).label(c.name) if c.name in ("rep_id", "day") else c for c in table.c]
    rows = db.session.connection().execute(
        select(*columns).where(
            table.c.rep_id.in_(scope.rep_ids), and_(table.c.day >= scope.start, table.c.day <= scope.end)
        )
    )
    rep_at, day_at, tz_at, odd_at = (_POSITIONS[n] for n in ("rep_id", "day", "tz", "odd"))
    for row in rows.all():
        if row[tz_at] != zone or row[odd_at]:
            return None
        text = row[day_at]
        day = days.get(text)
        if day is None:
            day = days[text] = date.fromisoformat(text)
        out[keys[row[rep_at]]][day] = row
    return out
