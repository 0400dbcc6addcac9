"""Several vehicles with capacities and time windows (VRPTW), by OR-Tools routing.

The rep's day is one vehicle (solver.py); this is the general case the public VRPTW
benchmarks (Solomon) measure, and what a team plan with shared stops would need.
Instance: the one-day format (instance.py) plus "vehicles", "capacity" and a "demand" per
stop. Travel time equals the matrix entry; service time is spent at each stop; arrival must
fall in the stop's window; each route starts and ends at node 0 within the horizon.
Minimises total travel with vehicles unpriced.

Refused as unplannable only with a proof (a stop that no vehicle can reach in its window and bring
back within the horizon, or whose demand exceeds a vehicle's capacity); OR-Tools finding no assignment
in the time limit is `no_plan_found`, which a longer limit may change.
"""

import time

from .model import NoPlanFound

# Two guided local searches, each in half the time, the better kept: one from inserting one stop at a
# time where it costs least (keeps tight windows), one from the cheaper of parallel insertion and savings
# (fewer, fuller routes). No single first solution won on every Solomon instance measured (README, Routing).
STARTS = (("LOCAL_CHEAPEST_INSERTION",), ("PARALLEL_CHEAPEST_INSERTION", "SAVINGS"))
FIRST_SHARE = 0.25  # of the time left, at most, for each first solution
FINISH_S = 0.1  # kept back from OR-Tools' limit: it overruns it a little on a busy machine; reading its answer


def solve_fleet(data, deadline=None, first_solution=None):
    """The plan as the CLI prints it, or {"error": "unplannable", ...} on a proof that none exists.
    Raises NoPlanFound when OR-Tools finds no assignment by `deadline` (on `time.perf_counter()`'s
    clock; default: the instance's time_limit_s from now)."""
    limit = float(data.get("time_limit_s", 30))
    if deadline is None:
        deadline = time.perf_counter() + limit
    from ortools.constraint_solver import pywrapcp

    from .solver import travel_and_time

    matrix = data["matrix"]
    stops = data["stops"]
    nodes = [0] + [int(s["node"]) for s in stops]
    travel = [[int(matrix[a][b]) for b in nodes] for a in nodes]
    service = [0] + [int(s.get("service", 0)) for s in stops]
    demand = [0] + [int(s.get("demand", 0)) for s in stops]
    vehicles = int(data["vehicles"])
    earliest, latest = (int(t) for t in data["horizon"])
    for k, stop in enumerate(stops, start=1):
        if not stop.get("mandatory", True):
            continue  # an optional stop that cannot be served is dropped, not a reason to refuse
        window = stop.get("window") or (earliest, latest)
        if demand[k] > int(data["capacity"]):
            return {"error": "unplannable", "stop": str(stop["id"]), "reason": "demand_over_capacity"}
        arrival = max(earliest + travel[0][k], int(window[0]))
        if arrival > int(window[1]) or arrival + service[k] + travel[k][0] > latest:
            return {"error": "unplannable", "stop": str(stop["id"]), "reason": "cannot_be_reached_in_its_window"}
    manager = pywrapcp.RoutingIndexManager(len(nodes), vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)

    clock = travel_and_time(routing, travel, service, latest)
    load = routing.RegisterUnaryTransitVector(demand)  # by node, evaluated inside OR-Tools
    routing.AddDimensionWithVehicleCapacity(load, 0, [int(data["capacity"])] * vehicles, True, "Load")
    for k, stop in enumerate(stops, start=1):
        window = stop.get("window") or (earliest, latest)
        clock.CumulVar(manager.NodeToIndex(k)).SetRange(int(window[0]), int(window[1]))
        if not stop.get("mandatory", True):
            routing.AddDisjunction([manager.NodeToIndex(k)], int(stop.get("priority", 1)) * 3600)
    for v in range(vehicles):
        clock.CumulVar(routing.Start(v)).SetRange(earliest, latest)
        clock.CumulVar(routing.End(v)).SetRange(earliest, latest)
    starts = STARTS if first_solution is None else ((first_solution,),)
    solution = _search(routing, starts, deadline - FINISH_S)
    if solution is None:
        raise NoPlanFound(limit, [str(s["id"]) for s in stops if s.get("mandatory", True)])
    routes, arrivals, visited, total = [], [], set(), 0
    for v in range(vehicles):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        route, times, previous = [], [], 0
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            route.append(stops[node - 1]["id"])
            times.append(solution.Min(clock.CumulVar(index)))
            visited.add(node)
            total += travel[previous][node]
            previous = node
            index = solution.Value(routing.NextVar(index))
        if route:
            routes.append(route)
            arrivals.append(times)
            total += travel[previous][0]
    return {
        "routes": routes,
        "arrivals": arrivals,
        "travel": total,
        "vehicles_used": len(routes),
        "dropped": [s["id"] for k, s in enumerate(stops, 1) if k not in visited],
        "proven_optimal": False,
    }


def _search(routing, starts, deadline):
    """Guided local search from each group of first solutions in `starts`, the time left shared equally
    (a group's cheapest first solution is where its search starts); the best assignment, or None."""
    best, best_cost = None, None
    for k, group in enumerate(starts):
        found = _guided(routing, group, time.perf_counter() + (deadline - time.perf_counter()) / (len(starts) - k))
        if found is not None and (best_cost is None or found.ObjectiveValue() < best_cost):
            # A copy: the next search reuses the assignment it returned, and a failed one leaves it unreadable.
            best, best_cost = routing.solver().Assignment(found), found.ObjectiveValue()
    return best


def _guided(routing, strategies, deadline):
    """Each first solution in `strategies` (each within FIRST_SHARE of the time left), then guided local
    search from the cheapest until `deadline`."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    best, best_cost = None, None
    for name in strategies:
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, name)
        params.solution_limit = 1  # the first solution alone, before any local search
        params.time_limit.FromMilliseconds(max(1, int(left * (FIRST_SHARE if len(strategies) > 1 else 1) * 1000)))
        found = routing.SolveWithParameters(params)
        if found is not None and (best_cost is None or found.ObjectiveValue() < best_cost):
            best, best_cost = routing.solver().Assignment(found), found.ObjectiveValue()
    left = deadline - time.perf_counter()
    if best is None or left <= 0:
        return best
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, int(left * 1000)))
    return routing.SolveFromAssignmentWithParameters(best, params) or best
