"""Order a rep's day: the bounded exact search up to MAX_STOPS stops, OR-Tools routing beyond."""
import time

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from .exact import BEAM, MAX_STOPS, beam_search, solve_exact
from .matrix import geodesic_matrix
from .model import Plan, PlannedStop, Unplannable
from .schedule import PENALTY_UNIT, best_timeline, lower_bound, upper_bound


def travel_points(day):
    """The points whose travel times `solve` uses for this day: start, the stops it keeps, end."""
    usable, _ = _screen(day)
    return [day.start] + [(s.lat, s.lng) for s in usable] + [day.end]


EXACT_SHARE = 0.6  # of the time limit for the exact search; a wide beam run and OR-Tools follow when it cannot finish
WIDE_BEAM = 2048  # labels a layer: under a second at 25 stops, and within 1 % of the optimum there
MIN_ROUTING_S = 0.1  # OR-Tools joins an unproven exact search only with at least this much time left


def solve(day, matrix=None, time_limit_s=2.0, exact_max=MAX_STOPS, provider=geodesic_matrix):
    """Plan the day; raise Unplannable when a mandatory stop cannot be kept.

    `matrix` (travel seconds, start + stops + end) or else `provider(points)` gives travel times."""
    usable, dropped = _screen(day)
    day = _with_stops(day, usable)
    if matrix is None:
        points = [day.start] + [(s.lat, s.lng) for s in day.stops] + [day.end]
        matrix = provider(points)
    return solve_matrix(day, matrix, time_limit_s, exact_max, dropped)


def solve_matrix(day, matrix, time_limit_s=2.0, exact_max=MAX_STOPS, dropped=()):
    """Plan a day whose travel times are given (start, each stop, end): no coordinates needed."""
    dropped = list(dropped)
    usable, refused = _screen(day, coordinates=False)
    if refused:  # stops whose window lies outside the day: keep the matrix aligned with the rest
        gone = {stop_id for stop_id, _ in refused}
        keep = [0] + [i + 1 for i, s in enumerate(day.stops) if s.id not in gone] + [len(day.stops) + 1]
        matrix = [[matrix[a][b] for b in keep] for a in keep]
        day, dropped = _with_stops(day, usable), dropped + refused
    _screen_reach(day, matrix)
    if len(day.stops) <= exact_max:
        # Proven optimal when the search completes in time; else the best of its best plan, a wide
        # beam run of the same search and OR-Tools in what is left of the time limit.
        started = time.perf_counter()
        order, _, proven = solve_exact(day, matrix, time_limit_s=time_limit_s * EXACT_SHARE, wide=WIDE_BEAM)
        orders = [order]
        if not proven:
            left = time_limit_s - (time.perf_counter() - started)
            if left >= MIN_ROUTING_S:
                orders.append(_order(_solve_routing(day, matrix, left)))
    else:
        proven = False
        orders = [_order(_solve_routing(day, matrix, time_limit_s)), _order(beam_search(day, matrix, BEAM))]
    best = None  # (objective, order, times) of the best order that keeps every rule, the first on ties
    for order in orders:
        times = None if order is None else best_timeline(day, list(order), matrix)
        if times is not None:
            objective = times["travel"] + _dropped_penalty(day, order)
            if best is None or objective < best[0]:
                best = (objective, list(order), times)
    if best is None:
        names = [s.id for s in day.stops if s.mandatory]
        raise Unplannable(",".join(names), "the mandatory stops cannot all fit in the day")
    _, order, times = best
    visited = set(order)
    dropped += [(s.id, "not_worth_the_time" if not s.mandatory else "mandatory")
                for i, s in enumerate(day.stops) if i not in visited]
    prev, planned = 0, []
    for k, i in enumerate(order):
        stop = day.stops[i]
        planned.append(PlannedStop(stop.id, times["arrivals"][k], times["departures"][k], matrix[prev][i + 1],
                                   stop.reason))
        prev = i + 1
    return Plan(leave_at=times["leave"], back_at=times["back"], stops=planned, dropped=dropped,
                travel_s=times["travel"], service_s=sum(day.stops[i].service_s for i in order),
                lunch_start=times["lunch_start"], proven_optimal=proven)


def _order(found):
    return None if found is None else found[0]


def _dropped_penalty(day, order):
    """What leaving out the optional stops not in `order` costs; plus travel, what every solver minimises."""
    visited = set(order)
    return PENALTY_UNIT * sum(s.priority for i, s in enumerate(day.stops) if i not in visited and not s.mandatory)


def _with_stops(day, stops):
    from dataclasses import replace

    return replace(day, stops=tuple(stops))


def _screen(day, coordinates=True):
    """Stops that can be planned at all; the others dropped (optional) or refused (mandatory)."""
    usable, dropped = [], []
    for stop in day.stops:
        reason = None
        if coordinates and (stop.lat is None or stop.lng is None):
            reason = "no_coordinates"
        elif stop.window and (stop.window[1] < day.day_start or stop.window[0] > day.day_end
                              or stop.window[1] < stop.window[0]):
            reason = "window_outside_day"
        if reason is None:
            usable.append(stop)
        elif stop.mandatory:
            raise Unplannable(stop.id, reason)
        else:
            dropped.append((stop.id, reason))
    return usable, dropped


def _screen_reach(day, matrix):
    for i, stop in enumerate(day.stops):
        if day.day_start + matrix[0][i + 1] > upper_bound(day, stop) and stop.mandatory:
            raise Unplannable(stop.id, "cannot_be_reached_in_its_window")


def travel_and_time(routing, manager, matrix, service, horizon):
    """Arc cost = travel; a "Time" dimension of travel plus the service at the node left. Returns it."""

    def travel(from_index, to_index):
        return matrix[manager.IndexToNode(from_index)][manager.IndexToNode(to_index)]

    def transit(from_index, to_index):
        node = manager.IndexToNode(from_index)
        return matrix[node][manager.IndexToNode(to_index)] + service[node]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(travel))
    routing.AddDimension(routing.RegisterTransitCallback(transit), horizon, horizon, False, "Time")
    return routing.GetDimensionOrDie("Time")


def _solve_routing(day, matrix, time_limit_s):
    """OR-Tools routing with a time dimension, windows, a lunch break and drop penalties."""
    n = len(day.stops)
    manager = pywrapcp.RoutingIndexManager(n + 2, 1, [0], [n + 1])
    routing = pywrapcp.RoutingModel(manager)
    service = [0] + [s.service_s for s in day.stops] + [0]

    clock = travel_and_time(routing, manager, matrix, service, day.day_end)
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
            day.lunch.earliest, day.lunch.latest, day.lunch.duration, False, "lunch")
        # Lunch may not overlap a visit: tell the dimension which part of each transit is the visit.
        visit_transits = [service[manager.IndexToNode(i)] for i in range(routing.Size())]
        clock.SetBreakIntervalsOfVehicle([lunch], 0, visit_transits)
    params = pywrapcp.DefaultRoutingSearchParameters()
    # Insertion copes with fixed appointments and optional stops better than growing a path greedily.
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(time_limit_s * 1000))
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
