"""Routing instances as plain JSON: what `python -m routing solve` reads and prints.

One day (a rep, or a single-vehicle TSPTW):
    {"matrix": [[...]], "end_node": k, "horizon": [earliest, latest], "first_arrival": t | null,
     "stops": [{"id", "node", "service", "window": [a, b] | null, "mandatory", "priority"}],
     "time_limit_s": s, "lunch": {"earliest", "latest", "duration"} (optional)}
Node 0 of the matrix is the start. Times and travel are integers in one unit (seconds or
minutes); waiting for a window to open is allowed and costs no travel. Dropping an optional
stop costs `priority` x 3,600 units.

The answer is the plan, or an error: {"error": "unplannable", "stop", "reason"} when a proof shows
the mandatory stops cannot all be kept, {"error": "no_plan_found", "time_limit_s", "message"} when
none was found within the time limit (a longer one may find it).

A fleet (capacitated vehicles with time windows, e.g. Solomon) adds "vehicles" and "capacity"
and a "demand" per stop; see fleet.py.
"""

import time

from .model import Day, Lunch, NoPlanFound, Stop, Unplannable


def day_from_instance(data):
    """(Day, matrix over start + stops + end) for a one-vehicle instance."""
    matrix = data["matrix"]
    nodes = [0] + [int(s["node"]) for s in data["stops"]] + [int(data.get("end_node", 0))]
    sub = [[int(matrix[a][b]) for b in nodes] for a in nodes]
    earliest, latest = data["horizon"]
    first = data.get("first_arrival")
    lunch = data.get("lunch")
    stops = tuple(
        Stop(
            id=str(s["id"]),
            lat=None,
            lng=None,
            service_s=int(s.get("service", 0)),
            window=tuple(s["window"]) if s.get("window") else None,
            mandatory=bool(s.get("mandatory", True)),
            priority=int(s.get("priority", 1)),
        )
        for s in data["stops"]
    )
    day = Day(
        start=None,
        end=None,
        stops=stops,
        day_start=int(earliest),
        day_end=int(latest),
        first_appointment=int(first) if first is not None else int(earliest),
        lunch=Lunch(int(lunch["earliest"]), int(lunch["latest"]), int(lunch["duration"])) if lunch else None,
    )
    return day, sub


def solve_instance(data, deadline=None):
    """The plan for an instance, as the JSON the CLI prints; everything done by `deadline` (on
    `time.perf_counter()`'s clock; default: the instance's time limit from now)."""
    if "vehicles" in data:
        limit = float(data.get("time_limit_s", 30))
        deadline = deadline if deadline is not None else time.perf_counter() + limit
        from .fleet import solve_fleet

        try:
            return solve_fleet(data, deadline=deadline)
        except NoPlanFound as exc:
            return no_plan_found(exc)
    limit = float(data.get("time_limit_s", 2.0))
    if deadline is None:
        deadline = time.perf_counter() + limit
    from .solver import solve_matrix  # numpy and the solver load within the time limit

    day, matrix = day_from_instance(data)
    try:
        plan = solve_matrix(day, matrix, time_limit_s=limit, deadline=deadline)
    except Unplannable as exc:
        return {"error": "unplannable", "stop": exc.stop_id, "reason": exc.reason}
    except NoPlanFound as exc:
        return no_plan_found(exc)
    return {
        "route": [p.stop_id for p in plan.stops],
        "arrivals": [p.arrival for p in plan.stops],
        "departures": [p.departure for p in plan.stops],
        "leave": plan.leave_at,
        "back": plan.back_at,
        "lunch_start": plan.lunch_start,
        "lunch_skipped": plan.lunch_skipped,
        "travel": plan.travel_s,
        "dropped": [stop_id for stop_id, _ in plan.dropped],
        "dropped_reasons": {stop_id: reason for stop_id, reason in plan.dropped},
        "proven_optimal": plan.proven_optimal,
    }


def no_plan_found(exc):
    """The JSON error of a search that found no plan in its time limit (not a proof that none exists)."""
    return {"error": "no_plan_found", "time_limit_s": exc.time_limit_s, "message": str(exc)}
