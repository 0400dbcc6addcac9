"""The 8:45 habit: the share of working days whose first visit started by the rep's first-appointment time."""

import statistics

from .asof import own_times_then
from .reads import first_check_ins, first_visits, hhmm, period_end, worked_days
from .rows import rep_row as _rep_row

TOLERANCE_MIN = 10  # a first visit this many minutes after the rep's time is still on time


OWN_TIMES = "own first appointments"  # the scope's read of the reps' own times at its end (`own_times_then`)


def appointment_time(scope, rep):
    """The rep's first-appointment time at the period's end: their own as it stood then (a change made since
    changes no past period's on-time days), else their team's."""
    then = scope.once(OWN_TIMES, lambda: own_times_then(scope.rep_ids, period_end(scope)))
    own = then.get(rep.id, rep.first_appointment_time)
    return own if own is not None else scope.settings.first_appointment_time


def on_time_limit(scope, rep, tolerance_min=TOLERANCE_MIN):
    """The minutes after local midnight by which the rep's first visit of a day is on time."""
    target = appointment_time(scope, rep)
    return target.hour * 60 + target.minute + tolerance_min


def first_appointment(scope, tolerance_min=TOLERANCE_MIN):
    """Per rep: the share of working days whose first visit started by their first-appointment time."""
    days = worked_days(scope)
    first = first_check_ins(scope)
    rows = []
    for rep in scope.reps:
        worked = days.get(rep.id, set())
        target = appointment_time(scope, rep)
        limit = on_time_limit(scope, rep, tolerance_min)
        starts = list(first.get(rep.id, {}).values())
        on_time = sum(1 for m in starts if m <= limit)
        rows.append(
            {
                **_rep_row(rep),
                "first_appointment_time": target.strftime("%H:%M"),
                "tolerance_min": tolerance_min,
                "working_days": len(worked),
                "days_with_visit": len(starts),
                "on_time_days": on_time,
                "on_time_pct": round(on_time / len(worked) * 100, 1) if worked else None,
                "median_first_visit": hhmm(statistics.median(starts)) if starts else None,
            }
        )
    worked = sum(r["working_days"] for r in rows)
    on_time = sum(r["on_time_days"] for r in rows)
    all_starts = [m for rep in first.values() for m in rep.values()]
    targets = {r["first_appointment_time"] for r in rows}
    team = {
        # The reps' time when they share one (the chart's target line): none to show when they differ.
        "first_appointment_time": targets.pop() if len(targets) == 1 else None,
        "working_days": worked,
        "on_time_days": on_time,
        "on_time_pct": round(on_time / worked * 100, 1) if worked else None,
        "median_first_visit": hhmm(statistics.median(all_starts)) if all_starts else None,
    }
    # Each working day's first check-in, for the strip of first-visit times against 8:45.
    times = first_visits(scope)
    return {"rows": rows, "team": team, "first_visits": {str(rep.id): times.get(rep.id, []) for rep in scope.reps}}
