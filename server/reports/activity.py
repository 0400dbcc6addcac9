"""Activity: visits per working day, effective (face-to-face) visits, visits with a purpose, plan against done."""

import uuid
from collections import Counter, defaultdict

from sqlalchemy import select

from ..extensions import db
from ..models import RoutePlan, RouteStop, Visit
from . import repdays
from .asof import rules_as_of
from .reads import period_end, plan_due_until, rep_days, visit_rows, worked_days
from .rows import core_rows as _rows
from .rows import raw_text as _raw
from .rows import rep_keys
from .rows import rep_row as _rep_row
from .timesplit import LocalDays


def activity(scope):
    """Visits per working day, effective (face-to-face) visits, visits with a purpose, plan vs actual."""
    as_of = period_end(scope)  # each rep's team's radius as it stood then: a change since changes no past period
    radius = {rep.id: rules_as_of(scope, as_of).checkin_radius_m for rep in scope.reps}
    days = worked_days(scope)
    counts = activity_counts(scope, radius)
    rows = []
    for rep in scope.reps:
        c = counts[rep.id]
        worked = len(days.get(rep.id, ()))
        rows.append({**_rep_row(rep), "working_days": worked, **_activity_figures(c, worked)})
    team_counts = sum(counts.values(), Counter())
    team = {
        "working_days": sum(r["working_days"] for r in rows),
        **_activity_figures(team_counts, sum(r["working_days"] for r in rows)),
    }
    return {"rows": rows, "team": team}


def activity_counts(scope, radius):
    """{rep id: Counter} of the period, read once per scope: the activity figures' counts, and
    `planned_visited`, the planned stops visited on any day of the period, due or not (the daily report's
    "visited so far")."""

    def read():
        kept = rep_days(scope)
        return _read_counts(scope, radius) if kept is None else _kept_counts(scope, radius, kept)

    return scope.once("activity_counts", read)


_KEPT = ("visits", "not_met", "face_to_face_visits", "with_purpose", "planned", "planned_done")
_SUMMED = ("visits", "not_met", "face_to_face_visits", "with_purpose", "planned", "planned_visited")
_DUE = ("planned_due", "planned_done")  # counted on the days whose plan is due (reads.plan_due_until)


def _kept_counts(scope, radius, kept):
    """The counts from the rep-days kept on write (repdays.py), and the visits away from their account."""
    counts = defaultdict(Counter)
    figures, due = repdays.getter(*_KEPT), repdays.getter("planned", "planned_done")  # as _DUE names them
    due_until = plan_due_until(scope)
    for rep_id, rows in kept.items():
        if rows:  # whole numbers: summed column by column
            sums = map(sum, zip(*map(figures, rows.values()), strict=True))
            counts[rep_id].update(dict(zip(_SUMMED, sums, strict=True)))
            due_rows = [due(row) for day, row in rows.items() if day <= due_until]
            if due_rows:
                counts[rep_id].update(dict(zip(_DUE, map(sum, zip(*due_rows, strict=True)), strict=True)))
    if radius:
        # Only the visits checked in further than the smallest radius come back; each is held to its rep's.
        for rep_id, distance in db.session.execute(
            select(Visit.rep_id, Visit.check_in_distance_m).where(
                Visit.rep_id.in_(scope.rep_ids),
                Visit.cancelled_at.is_(None),
                Visit.check_in_at >= scope.start_utc,
                Visit.check_in_at < scope.end_utc,
                Visit.check_in_distance_m > min(radius.values()),
            )
        ):
            counts[rep_id]["away"] += distance > radius[rep_id]
    return counts


def _read_counts(scope, radius):
    """The counts from the period's visits and plans themselves."""
    visits = visit_rows(scope)
    counts = defaultdict(Counter)
    done = set()
    keys = rep_keys(scope.rep_ids)
    local_day = LocalDays(scope.tz)
    first = scope.start_utc.timestamp()
    for raw_rep, check_in, check_out, met, account_id, purpose, distance in visits:
        if check_in < first:
            continue  # read for working days only: it started the evening before the period
        rep_id = keys[raw_rep]
        c = counts[rep_id]
        c["visits"] += 1
        c["not_met"] += met is False  # an unsuccessful call: counted apart, never face-to-face
        c["away"] += distance is not None and distance > radius[rep_id]  # checked in away from the account
        c["face_to_face_visits"] += check_out is not None and met is not False
        c["with_purpose"] += bool((purpose or "").strip())
        done.add((rep_id, account_id, local_day(check_in)))
    # A day's plan as it stood at its first check-in (the snapshot), else as it stands.
    in_period = (
        RoutePlan.rep_id.in_(scope.rep_ids),
        RoutePlan.plan_date >= scope.start,
        RoutePlan.plan_date <= scope.end,
    )
    frozen = {}
    for raw_rep, plan_date, snapshot in _rows(
        select(_raw(RoutePlan.rep_id), RoutePlan.plan_date, RoutePlan.snapshot).where(
            *in_period, RoutePlan.snapshot.is_not(None)
        )
    ):
        frozen[(raw_rep, plan_date)] = snapshot
    stops = [
        row
        for row in _rows(
            select(_raw(RoutePlan.rep_id), RoutePlan.plan_date, _raw(RouteStop.account_id))
            .join(RouteStop, RouteStop.route_plan_id == RoutePlan.id)
            .where(*in_period)
        )
        if (row[0], row[1]) not in frozen
    ]
    as_raw = (
        (lambda i: uuid.UUID(i).hex) if db.session.get_bind().dialect.name == "sqlite" else str
    )  # as _raw reads ids
    stops += [
        (raw_rep, plan_date, as_raw(account_id)) for (raw_rep, plan_date), ids in frozen.items() for account_id in ids
    ]
    due_until = plan_due_until(scope)
    for raw_rep, plan_date, account_id in stops:
        rep_id = keys[raw_rep]
        counts[rep_id]["planned"] += 1
        counts[rep_id]["planned_visited"] += (rep_id, account_id, plan_date) in done
        if plan_date <= due_until:
            counts[rep_id]["planned_due"] += 1
            counts[rep_id]["planned_done"] += (rep_id, account_id, plan_date) in done
    return counts


def _activity_figures(c, worked):
    return {
        "visits": c["visits"],
        "face_to_face_visits": c["face_to_face_visits"],
        "not_met": c["not_met"],
        "away_from_account": c["away"],
        "with_purpose": c["with_purpose"],
        "visits_per_day": round(c["visits"] / worked, 2) if worked else None,
        "planned": c["planned"],
        # Plan completion counts a day's stops once the day is over (reads.plan_due_until).
        "planned_due": c["planned_due"],
        "planned_done": c["planned_done"],
        "plan_done_pct": round(c["planned_done"] / c["planned_due"] * 100, 1) if c["planned_due"] else None,
    }
