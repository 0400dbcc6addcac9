"""The time split: where the working day went (face-to-face, travel, admin, meetings, unrecorded) per rep and
week, against the team's goal and the method's baseline, and the managers' own time on joint visits."""

import uuid
from collections import Counter, defaultdict
from operator import itemgetter

from sqlalchemy import select

from ..extensions import db
from ..models import (
    User,
)
from . import repdays
from .asof import face_time_goal
from .reads import activity_rows, joint_rows, named_setter, period_end, rep_days, visit_rows
from .rows import canonical, natural_key, rep_keys, rep_name
from .rows import rep_row as _rep_row
from .timesplit import BASELINE_PCT, CATEGORIES, Interval, LocalDays, add, by_local_day, day_minutes, shares, week_start


def _recorded(scope):
    """Per rep: {local date: [Interval]} plus counts of records still open (no check-out or end)."""
    keys = rep_keys(scope.rep_ids)
    first = scope.start_utc.timestamp()
    per_rep = defaultdict(list)
    open_visits, open_activities = Counter(), Counter()
    for raw_rep, start, end, met, *_ in visit_rows(scope):
        rep_id = keys[raw_rep]
        if end is None:
            open_visits[rep_id] += start >= first
        elif end > start and met is False:
            per_rep[rep_id].append(Interval(start, end, "travel"))  # the customer was absent: no face time
        elif end > start:
            per_rep[rep_id].append(Interval(start, end, "face_to_face", True))
    for raw_rep, start, end, category in activity_rows(scope):
        rep_id = keys[raw_rep]
        if end is None:
            open_activities[rep_id] += start >= first
        elif end > start:
            per_rep[rep_id].append(Interval(start, end, category))
    local_day = LocalDays(scope.tz)
    days = {
        rep_id: {d: v for d, v in by_local_day(items, scope.tz, local_day).items() if scope.start <= d <= scope.end}
        for rep_id, items in per_rep.items()
    }
    return days, open_visits, open_activities


SPLIT_KEYS = (*CATEGORIES, "unrecorded", "span")  # the minutes a day's split adds up
SPLIT_MINUTES = tuple(f"{k}_min" for k in SPLIT_KEYS)  # ... as the rep-days keep them


def _day_minutes(scope):
    """Per rep: {local date: the day's minutes by SPLIT_KEYS (a tuple)} in date order, plus counts of records
    still open: from the rep-days kept on write when they answer for the scope, else from the records."""
    kept = rep_days(scope)
    if kept is None:
        days, open_visits, open_activities = _recorded(scope)
        by_key = itemgetter(*SPLIT_KEYS)
        # In date order, as the kept rows are summed: the same sums to the last digit.
        minutes = {rep: {d: by_key(day_minutes(v)) for d, v in sorted(mine.items())} for rep, mine in days.items()}
        return minutes, (open_visits, open_activities)
    days, open_visits, open_activities = {}, Counter(), Counter()
    opened, split = repdays.getter("open_visits", "open_activities", "split"), repdays.getter(*SPLIT_MINUTES)
    for rep_id, rows in kept.items():
        mine = {}
        for day, row in sorted(rows.items()):
            visits, activities, whole = opened(row)
            open_visits[rep_id] += visits
            open_activities[rep_id] += activities
            if whole:
                mine[day] = split(row)
        if mine:
            days[rep_id] = mine
    return days, (open_visits, open_activities)


def _sums(days, reps):
    """Per rep its days' minutes summed, and per week the team's, as tuples by SPLIT_KEYS: each sum added up in
    one order (reps in their order, each rep's days in date order), so equal inputs give equal figures."""
    per_rep, weekly, monday_of = {}, {}, {}
    for rep in reps:
        total = [0.0] * len(SPLIT_KEYS)
        for day, minutes in days.get(rep.id, {}).items():
            monday = monday_of.get(day)
            if monday is None:
                monday = monday_of[day] = week_start(day)
            week = weekly.get(monday)
            if week is None:
                week = weekly[monday] = [0.0] * len(SPLIT_KEYS)
            for i, value in enumerate(minutes):
                total[i] += value
                week[i] += value
        per_rep[rep.id] = total
    return per_rep, weekly


def _in_period_days(intervals, scope, local_day):
    return {d: v for d, v in by_local_day(intervals, scope.tz, local_day).items() if scope.start <= d <= scope.end}


def joint_time(scope):
    """Joint visits in the period: per rep, the coaching figure (joint visits and their face-to-face minutes
    with the manager), and per accompanying manager, that manager's own time split from them (a met visit is
    face-to-face, a customer not met travel, as for the rep; between a day's first and last joint visit
    the rest is unrecorded: the manager keeps no day clock)."""
    keys = rep_keys(scope.rep_ids)
    first = scope.start_utc.timestamp()
    local_day = LocalDays(scope.tz)
    visits, coached, by_manager, managers_seen = Counter(), defaultdict(list), defaultdict(list), {}
    manager_visits = Counter()
    for raw_rep, start, end, met, raw_manager in joint_rows(scope):
        rep_id = keys[raw_rep]
        manager = managers_seen.setdefault(raw_manager, uuid.UUID(canonical(raw_manager)))
        if start >= first:
            visits[rep_id] += 1
            manager_visits[manager] += 1
        if end is None or end <= start:
            continue
        if met is not False:
            coached[rep_id].append(Interval(start, end, "face_to_face", True))
            by_manager[manager].append(Interval(start, end, "face_to_face", True))
        else:
            by_manager[manager].append(Interval(start, end, "travel"))
    per_rep = {}
    for rep_id in scope.rep_ids:
        days = _in_period_days(coached.get(rep_id, []), scope, local_day)
        # A float also without a joint visit: the CSV writes 0.0, as the JSON and the other minutes.
        minutes = sum((day_minutes(intervals)["face_to_face"] for intervals in days.values()), 0.0)
        per_rep[rep_id] = {"joint_visits": visits[rep_id], "joint_min": round(minutes, 1)}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(list(managers_seen.values()))))}
    managers = []
    for manager_id in sorted(set(managers_seen.values()), key=lambda m: natural_key(rep_name(people.get(m)) or "")):
        total = {}
        days = _in_period_days(by_manager.get(manager_id, []), scope, local_day)
        for intervals in days.values():
            add(total, day_minutes(intervals))
        managers.append(
            {
                "user_id": str(manager_id),
                "name": rep_name(people.get(manager_id)),
                "joint_visits": manager_visits[manager_id],
                "working_days": len(days),
                **_ratio_fields(total),
            }
        )
    return per_rep, managers


def _ratio_fields(minutes):
    out = {f"{k}_min": round(minutes.get(k, 0.0), 1) for k in (*CATEGORIES, "unrecorded", "span")}
    out.update({f"{k}_pct": v for k, v in shares(minutes).items()})
    return out


def time_ratios(scope):
    """Share of the working day face-to-face, travelling, on admin, in meetings and unrecorded."""
    days, (open_visits, open_activities) = _day_minutes(scope)
    coaching, managers = joint_time(scope)
    target, by, at = face_time_goal(scope, period_end(scope))  # the goal of the period's end
    per_rep, weekly = _sums(days, scope.reps)
    rows, team_total = [], [0.0] * len(SPLIT_KEYS)
    for rep in scope.reps:
        total = per_rep[rep.id]
        for i, value in enumerate(total):
            team_total[i] += value
        row = {
            **_rep_row(rep),
            "working_days": len(days.get(rep.id, {})),
            **_ratio_fields(dict(zip(SPLIT_KEYS, total, strict=True))),
            "open_visits": open_visits[rep.id],
            "open_activities": open_activities[rep.id],
            **coaching[rep.id],
        }
        row["meets_target"] = row["face_to_face_pct"] is not None and row["face_to_face_pct"] >= target
        rows.append(row)
    team = {
        "working_days": sum(r["working_days"] for r in rows),
        **_ratio_fields(dict(zip(SPLIT_KEYS, team_total, strict=True))),
        "open_visits": sum(open_visits.values()),
        "open_activities": sum(open_activities.values()),
        "joint_visits": sum(r["joint_visits"] for r in rows),
        "joint_min": round(sum(r["joint_min"] for r in rows), 1),
    }
    trend = [
        {"week_start": w.isoformat(), **_ratio_fields(dict(zip(SPLIT_KEYS, m, strict=True)))}
        for w, m in sorted(weekly.items())
    ]
    goal = named_setter(by, at)
    return {
        "rows": rows,
        "team": team,
        "baseline_pct": BASELINE_PCT,
        "face_time_target_pct": target,
        "weeks": trend,
        "face_time_target_set_by_name": goal["set_by_name"],
        "face_time_target_set_at": goal["set_at"],
        # The managers' own time in the field with these reps (joint visits), each split as a rep's is.
        "managers": managers,
    }
