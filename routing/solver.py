"""Order a rep's day: the bounded exact search up to MAX_STOPS stops, PyVRP's iterated local search beyond
(and after an exact search that cannot finish); when that finds no plan, CP-SAT on a day of up to 40 stops
(a proof or an order), OR-Tools routing on a larger one.

Every phase runs under one deadline (`time_limit_s` after the call, or the caller's `deadline` on
`time.perf_counter()`'s clock): the travel times, the exact search, the local search, CP-SAT and OR-Tools.
Every order any of them proposes is timed again by `best_timeline` and kept only when that accepts it; the
best is kept. A day is refused as `Unplannable` only with a proof (the screening: a stop out of reach or
outside the day, two appointments too close for the drive between them; the exact search completing
without a plan; or CP-SAT answering that no order keeps the mandatory stops, proof.py); a search that runs
out of time without a plan raises `NoPlanFound`. PyVRP and OR-Tools are imported on first use (a day the
exact search proves loads neither).
"""

import time
from dataclasses import replace

from .exact import MAX_STOPS, solve_exact
from .matrix import geodesic_matrix
from .model import NoPlanFound, Plan, PlannedStop, Unplannable
from .reinsert import reinsert
from .schedule import PENALTY_UNIT, best_timeline, lower_bound, upper_bound


def travel_points(day):
    """The points whose travel times `solve` uses for this day: start, the stops it keeps, end."""
    usable, _ = _screen(day)
    return [day.start] + [(s.lat, s.lng) for s in usable] + [day.end]


EXACT_SHARE = 0.6  # of the time limit for the exact search; PyVRP's local search follows when it cannot finish
# PyVRP (routing/ils.py) searches in the rest of the time; when it has found no plan keeping every rule by this
# share of its time, CP-SAT (up to PROOF_MAX stops) or OR-Tools routing gets what is left.
FALLBACK_SHARE = 0.5
# On a day beyond the exact search's reach, given at least BEAM_MIN_S, a narrow beam run of that search
# (exact.beam_search: 0.01-0.45 s on 50 candidates, up to 0.7 s on 2 loaded cores) comes first, with at most
# BEAM_SHARE of the time; its plan is kept when it beats PyVRP's, which still starts afresh. On the bench's first
# 50-candidate day PyVRP stays at 327,679 or 326,761 at 10 s, the beam reaches 326,087 in 0.09 s. At 2 s those
# tenths are a real share of PyVRP's time: under load 15-17 one 50-candidate day lost 1.5 % in both runs.
BEAM_MIN_S = 5.0
BEAM_SHARE = 0.25
BEAM_MAX = 60  # beyond this the beam takes seconds (2.5 s on 100 candidates, 5.7 s on 200): PyVRP keeps them
MIN_ROUTING_S = 0.1  # CP-SAT or OR-Tools runs only with at least this much time left
MIN_PROOF_S = 0.4  # CP-SAT runs only with this much time left: loading it takes about 0.2 s (else OR-Tools)
FINISH_S = 0.1  # kept back from a search's time limit: reading its answer and timing the orders
# The put-back of left-out optional stops (reinsert.py, a few milliseconds) always gets this much, even when a
# search overran the limit: on a starved machine the search may stop at its first order (one stop), and the
# day would be stored so.
REINSERT_MIN_S = 0.1

CANNOT_BE_REACHED = "cannot_be_reached_in_its_window"  # a fixed stop too far for the time left
DO_NOT_FIT_TOGETHER = "mandatory_stops_do_not_fit"  # Unplannable: the mandatory stops cannot all fit in the day
# Why lunch is not in a plan (`Plan.lunch_skipped`).
LUNCH_WINDOW_PASSED = "window_passed"  # the day starts after the latest start of the lunch break
LUNCH_NO_ROOM = "no_room"  # the mandatory stops leave no room for it inside its window
# Why a dropped optional stop is not in the plan, besides "not_worth_the_time" (others are worth more).
NO_TIME_LEFT = "no_time_left"  # it cannot fit in the day even alone: its window, the day's end or lunch
UNFIT = {NO_TIME_LEFT, CANNOT_BE_REACHED, "no_coordinates", "window_outside_day"}
# Why a plan has no stop at all (`Plan.empty_reason`).
EMPTY_NO_STOPS = "no_stops"  # there was nothing to plan
EMPTY_NONE_FITS = "none_fits"  # no stop can be visited in what is left of the day
EMPTY_NOT_WORTH_IT = "not_worth_the_time"  # the stops that fit cost more travel than they are worth


def solve(day, matrix=None, time_limit_s=2.0, exact_max=MAX_STOPS, provider=geodesic_matrix, deadline=None):
    """Plan the day within `time_limit_s` (or by `deadline`, on `time.perf_counter()`'s clock).

    Raises Unplannable when a mandatory stop provably cannot be kept, NoPlanFound when no plan keeping
    them was found in time. `matrix` (travel seconds, start + stops + end) or else `provider(points)`
    gives travel times; the provider's time counts against the limit."""
    if deadline is None:
        deadline = time.perf_counter() + time_limit_s
    usable, dropped = _screen(day)
    day = _with_stops(day, usable)
    if matrix is None:
        points = [day.start] + [(s.lat, s.lng) for s in day.stops] + [day.end]
        matrix = provider(points)
    return solve_matrix(day, matrix, time_limit_s, exact_max, dropped, deadline=deadline)


def solve_matrix(day, matrix, time_limit_s=2.0, exact_max=MAX_STOPS, dropped=(), deadline=None):
    """Plan a day whose travel times are given (start, each stop, end): no coordinates needed.

    Lunch is taken within its window when the day allows it. A day that starts after the window
    has closed (the rest of a day re-planned in the afternoon) skips it, and so does a day whose
    mandatory stops leave no room for it: the plan says so (`lunch_skipped`) instead of refusing
    the day or dropping every stop (only when the search proved that no plan has lunch in its window).

    Raises Unplannable on a proof that the mandatory stops cannot all be kept, NoPlanFound when the
    time ran out before a plan keeping them was found."""
    if deadline is None:
        deadline = time.perf_counter() + time_limit_s
    if day.lunch is not None and day.day_start > day.lunch.latest:
        plan = solve_matrix(replace(day, lunch=None), matrix, time_limit_s, exact_max, dropped, deadline)
        plan.lunch_skipped = LUNCH_WINDOW_PASSED
        return plan
    try:
        return _solve_matrix(day, matrix, deadline, exact_max, dropped)
    except _NoPlan as exc:
        if not exc.proven:
            raise NoPlanFound(time_limit_s, exc.stop_ids) from None
        if day.lunch is None or exc.without_lunch:
            raise Unplannable(exc.stop_ids, DO_NOT_FIT_TOGETHER) from None
    plan = solve_matrix(replace(day, lunch=None), matrix, time_limit_s, exact_max, dropped, deadline)
    plan.lunch_skipped = LUNCH_NO_ROOM
    return plan


class _NoPlan(Exception):
    """No order keeps the mandatory stops `stop_ids`: `proven` when the exact search completed or CP-SAT
    answered, else none was found in time; `without_lunch` when that proof holds without lunch too."""

    def __init__(self, stop_ids, proven, without_lunch=False):
        super().__init__(stop_ids)
        self.stop_ids = stop_ids
        self.proven = proven
        self.without_lunch = without_lunch


def _solve_matrix(day, matrix, deadline, exact_max, dropped):
    dropped = list(dropped)
    usable, refused = _screen(day, coordinates=False)
    if refused:  # stops whose window lies outside the day: keep the matrix aligned with the rest
        gone = {stop_id for stop_id, _ in refused}
        keep = [0] + [i + 1 for i, s in enumerate(day.stops) if s.id not in gone] + [len(day.stops) + 1]
        matrix = [[matrix[a][b] for b in keep] for a in keep]
        day, dropped = _with_stops(day, usable), dropped + refused
    late = _screen_reach(day, matrix)
    if late:  # a re-plan: fixed stops whose time can no longer be met are dropped, the rest planned
        keep = [0] + [i + 1 for i in range(len(day.stops)) if i not in late] + [len(day.stops) + 1]
        matrix = [[matrix[a][b] for b in keep] for a in keep]
        dropped += [(day.stops[i].id, CANNOT_BE_REACHED) for i in late]
        day = _with_stops(day, [s for i, s in enumerate(day.stops) if i not in late])
    _screen_pairs(day, matrix)
    proven, orders = False, []
    if len(day.stops) <= exact_max:
        # Proven optimal when the search completes in time; else its best plan starts the local search.
        share = max(deadline - time.perf_counter(), 0.0) * EXACT_SHARE
        order, _, proven = solve_exact(day, matrix, time_limit_s=share, deadline=deadline)
        orders.append(order)
    if not proven:
        start = _best_order(day, matrix, orders)
        if exact_max < len(day.stops) <= BEAM_MAX and deadline - time.perf_counter() >= BEAM_MIN_S:
            orders.append(_beam_order(day, matrix, deadline))
        orders += _local_search(day, matrix, deadline, start)
    best = None  # (objective, order, times) of the best order that keeps every rule, the first on ties
    for order in orders:
        times = None if order is None else best_timeline(day, list(order), matrix)
        if times is not None:
            objective = times["travel"] + _dropped_penalty(day, order)
            if best is None or objective < best[0]:
                best = (objective, list(order), times)
    if best is None:  # proven when the exact search completed: no order keeps every mandatory stop
        raise _NoPlan(tuple(s.id for s in day.stops if s.mandatory), proven)
    if not proven:  # optional stops the search left out, put back where they fit and pay
        order = reinsert(day, best[1], matrix, max(deadline, time.perf_counter() + REINSERT_MIN_S))
        times = best_timeline(day, order, matrix) if len(order) > len(best[1]) else None
        if times is not None and times["travel"] + _dropped_penalty(day, order) < best[0]:
            best = (times["travel"] + _dropped_penalty(day, order), order, times)
    _, order, times = best
    visited = set(order)
    dropped += [(s.id, _why_dropped(day, matrix, i)) for i, s in enumerate(day.stops) if i not in visited]
    planned = planned_stops(day, order, times, matrix)
    if planned:
        empty_reason = None
    elif not dropped:
        empty_reason = EMPTY_NO_STOPS
    elif all(reason in UNFIT for _, reason in dropped):
        empty_reason = EMPTY_NONE_FITS
    else:
        empty_reason = EMPTY_NOT_WORTH_IT
    return Plan(
        leave_at=times["leave"],
        back_at=times["back"],
        stops=planned,
        dropped=dropped,
        travel_s=times["travel"],
        service_s=sum(day.stops[i].service_s for i in order),
        lunch_start=times["lunch_start"],
        proven_optimal=proven,
        empty_reason=empty_reason,
    )


def _local_search(day, matrix, deadline, start):
    """Orders from PyVRP's iterated local search, started from the order `start` when there is one, until
    `deadline`. When it has found no plan by FALLBACK_SHARE of that time, the rest goes to CP-SAT on a day of
    up to PROOF_MAX stops with MIN_PROOF_S left, else to OR-Tools routing. Raises _NoPlan (proven) when CP-SAT
    proves that the mandatory stops cannot all be kept; on a day with lunch it then asks again without lunch,
    so that a day impossible either way is refused at once rather than searched again."""
    from .ils import search_day
    from .proof import INFEASIBLE, PROOF_MAX, prove

    now = time.perf_counter()
    left = deadline - now
    if left <= 0:
        return [None]
    give_up = now + left * FALLBACK_SHARE
    order = search_day(day, matrix, deadline - min(FINISH_S, left / 4), start=start, give_up=give_up)
    left = deadline - time.perf_counter()
    if order is not None or left < MIN_ROUTING_S:
        return [order]
    if len(day.stops) > PROOF_MAX or left < MIN_PROOF_S:
        return [_order(_solve_routing(day, matrix, deadline, start))]
    finish = deadline - min(FINISH_S, left / 4)
    verdict, stops = prove(day, matrix, finish, narrow=day.lunch is None)
    if verdict != INFEASIBLE:
        return [stops]
    without_lunch = day.lunch is None
    if not without_lunch:
        again, fewer = prove(replace(day, lunch=None), matrix, finish)
        if again == INFEASIBLE:
            without_lunch, stops = True, fewer
    raise _NoPlan(tuple(day.stops[i].id for i in stops), True, without_lunch)


def _beam_order(day, matrix, deadline):
    """The order of a narrow beam run of the exact search (exact.beam_search) on a day beyond MAX_STOPS, or
    None when it finds none within BEAM_SHARE of the time left. It builds a day visit by visit under the
    project's own timing, lunch included, so it reaches plans PyVRP's moves can miss; PyVRP still starts
    afresh and the better plan is kept."""
    from .exact import beam_search

    now = time.perf_counter()
    found = beam_search(day, matrix, deadline=now + max(deadline - now, 0.0) * BEAM_SHARE)
    return None if found is None else found[0]


def _best_order(day, matrix, orders):
    """The order of `orders` with the least objective that keeps every rule, or None."""
    best = None
    for order in orders:
        times = None if order is None else best_timeline(day, list(order), matrix)
        if times is not None:
            objective = times["travel"] + _dropped_penalty(day, order)
            if best is None or objective < best[0]:
                best = (objective, list(order))
    return None if best is None else best[1]


def _why_dropped(day, matrix, i):
    """Why stop `i` is not in the plan: it cannot fit in the day even alone, or others are worth more."""
    stop = day.stops[i]
    if stop.mandatory:
        return "mandatory"
    alone = replace(day, stops=(stop,))
    rows = [0, i + 1, len(day.stops) + 1]
    if best_timeline(alone, [0], [[matrix[a][b] for b in rows] for a in rows]) is None:
        return NO_TIME_LEFT
    return "not_worth_the_time"


def _order(found):
    return None if found is None else found[0]


def _dropped_penalty(day, order):
    """What leaving out the optional stops not in `order` costs; plus travel, what every solver minimises."""
    visited = set(order)
    return PENALTY_UNIT * sum(s.priority for i, s in enumerate(day.stops) if i not in visited and not s.mandatory)


def _with_stops(day, stops):
    return replace(day, stops=tuple(stops))


def _screen(day, coordinates=True):
    """Stops that can be planned at all; the others dropped (optional) or refused (mandatory)."""
    usable, dropped = [], []
    for stop in day.stops:
        reason = None
        if coordinates and (stop.lat is None or stop.lng is None):
            reason = "no_coordinates"
        elif stop.window and (
            stop.window[1] < day.day_start or stop.window[0] > day.day_end or stop.window[1] < stop.window[0]
        ):
            reason = "window_outside_day"
        if reason is None:
            usable.append(stop)
        elif stop.mandatory:
            raise Unplannable(stop.id, reason)
        else:
            dropped.append((stop.id, reason))
    return usable, dropped


def _screen_reach(day, matrix):
    """Mandatory stops that cannot be reached in their window: refused, or (`day.drop_late`, the rest
    of a day re-planned) returned as indexes to drop."""
    late = []
    for i, stop in enumerate(day.stops):
        if day.day_start + matrix[0][i + 1] > upper_bound(day, stop) and stop.mandatory:
            if not day.drop_late:
                raise Unplannable(stop.id, CANNOT_BE_REACHED)
            late.append(i)
    return late


def _screen_pairs(day, matrix):
    """Refuses the day when two mandatory stops cannot both be visited, in either order, even with no lunch and
    nothing else in between (two appointments too close in time for the drive between them): a proof."""
    import numpy as np

    mandatory = [i for i, s in enumerate(day.stops) if s.mandatory]
    if len(mandatory) < 2:
        return
    nodes, whole = np.array(mandatory) + 1, np.asarray(matrix, dtype=np.int64)
    travel = whole[np.ix_(nodes, nodes)]
    stops = [day.stops[i] for i in mandatory]
    lo = np.array([lower_bound(day, s) for s in stops], dtype=np.int64)
    hi = np.array([upper_bound(day, s) for s in stops], dtype=np.int64)
    service = np.array([s.service_s for s in stops], dtype=np.int64)
    first = np.maximum(lo, day.day_start + whole[0, nodes])  # the earliest arrival
    # then[a, b]: b can be reached in its window after a (a's earliest visit, then the drive)
    then = (first + service)[:, None] + travel <= hi[None, :]
    clash = ~(then | then.T)
    np.fill_diagonal(clash, False)
    if clash.any():
        a, b = (int(x) for x in np.argwhere(clash)[0])
        raise Unplannable((stops[a].id, stops[b].id), DO_NOT_FIT_TOGETHER)


def travel_and_time(routing, matrix, service, horizon):
    """Arc cost = travel; a "Time" dimension of travel plus the service at the node left (waiting
    allowed up to the horizon). Returns it. Both are matrices by node, evaluated inside OR-Tools
    rather than by calling back into Python for every arc."""
    travel = [[int(x) for x in row] for row in matrix]
    transit = [[x + int(service[a]) for x in row] for a, row in enumerate(travel)]
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(travel))
    routing.AddDimension(routing.RegisterTransitMatrix(transit), horizon, horizon, False, "Time")
    return routing.GetDimensionOrDie("Time")


def _solve_routing(day, matrix, deadline, seed=None):
    """OR-Tools routing with a time dimension, windows, a lunch break and drop penalties, until
    `deadline`; started from the order `seed` when one is given and OR-Tools accepts it."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(day.stops)
    manager = pywrapcp.RoutingIndexManager(n + 2, 1, [0], [n + 1])
    routing = pywrapcp.RoutingModel(manager)
    service = [0] + [s.service_s for s in day.stops] + [0]

    clock = travel_and_time(routing, matrix, service, day.day_end)
    # Mandatory stops may be dropped too, at a price above any plan that keeps them: with tight windows
    # the first solution often cannot place them all, and the search then inserts them one by one.
    # A plan that still leaves one out is no plan.
    unkept = sum(max(row) for row in matrix) + PENALTY_UNIT * sum(s.priority for s in day.stops) + 1
    for i, stop in enumerate(day.stops):
        index = manager.NodeToIndex(i + 1)
        clock.CumulVar(index).SetRange(max(day.day_start, lower_bound(day, stop)), upper_bound(day, stop))
        routing.AddDisjunction([index], unkept if stop.mandatory else stop.priority * PENALTY_UNIT)
    clock.CumulVar(routing.Start(0)).SetRange(day.day_start, day.day_end)
    clock.CumulVar(routing.End(0)).SetRange(day.day_start, day.day_end)
    if day.lunch is not None:
        lunch = routing.solver().FixedDurationIntervalVar(
            max(day.lunch.earliest, day.day_start), day.lunch.latest, day.lunch.duration, False, "lunch"
        )
        # Lunch may not overlap a visit: tell the dimension which part of each transit is the visit.
        visit_transits = [service[manager.IndexToNode(i)] for i in range(routing.Size())]
        clock.SetBreakIntervalsOfVehicle([lunch], 0, visit_transits)
    params = pywrapcp.DefaultRoutingSearchParameters()
    # Insertion copes with fixed appointments and optional stops better than growing a path greedily;
    # inserting one stop at a time where it costs least kept the most tight windows of the strategies
    # measured on the Dumas TSPTW days started cold (README, routing/).
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    left = deadline - time.perf_counter() - FINISH_S
    if left <= 0:
        return None
    params.time_limit.FromMilliseconds(max(1, int(left * 1000)))
    start = None
    if seed:
        routing.CloseModelWithParameters(params)
        start = routing.ReadAssignmentFromRoutes([[manager.NodeToIndex(i + 1) for i in seed]], True)
    if start is not None:
        solution = routing.SolveFromAssignmentWithParameters(start, params)
    else:
        solution = routing.SolveWithParameters(params)
    if solution is None:
        return None
    order = []
    index = solution.Value(routing.NextVar(routing.Start(0)))
    while not routing.IsEnd(index):
        order.append(manager.IndexToNode(index) - 1)
        index = solution.Value(routing.NextVar(index))
    kept = set(order)
    if any(s.mandatory and i not in kept for i, s in enumerate(day.stops)):
        return None
    return tuple(order), solution.ObjectiveValue()


def planned_stops(day, order, times, matrix):
    """[PlannedStop] of the stops in `order` (indexes into day.stops) at their `times` (best_timeline's), each
    with its leg from the stop before (`matrix`: start, stops, end)."""
    planned, prev = [], 0
    for k, i in enumerate(order):
        stop = day.stops[i]
        planned.append(
            PlannedStop(stop.id, times["arrivals"][k], times["departures"][k], matrix[prev][i + 1], stop.reason)
        )
        prev = i + 1
    return planned


def timed_order(day, matrix, stop_ids, dropped=(), without_lunch=False):
    """The plan of a day in a given order (`stop_ids`, e.g. a previewed plan accepted as shown), timed again by
    `best_timeline` on the travel times `solve` was given (`travel_points(day)`), or None when an id is not a
    stop of the day, a stop comes twice, a mandatory stop is missing (and not among the `dropped` ids: too late
    to reach) or the order no longer keeps every rule. `without_lunch`: the plan was made without the lunch
    break (its `lunch_skipped`)."""
    usable, _ = _screen(day)
    day = _with_stops(day, usable)
    if without_lunch:
        day = replace(day, lunch=None)
    index = {s.id: i for i, s in enumerate(day.stops)}
    order = [index.get(stop_id) for stop_id in stop_ids]
    mandatory = {i for i, s in enumerate(day.stops) if s.mandatory and s.id not in set(dropped)}
    if None in order or len(set(order)) != len(order) or not mandatory <= set(order):
        return None
    times = best_timeline(day, order, matrix)
    if times is None:
        return None
    planned = planned_stops(day, order, times, matrix)
    return Plan(
        leave_at=times["leave"],
        back_at=times["back"],
        stops=planned,
        travel_s=times["travel"],
        service_s=sum(day.stops[i].service_s for i in order),
        lunch_start=times["lunch_start"],
    )
