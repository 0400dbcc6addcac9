"""Several vehicles with capacities and time windows (VRPTW): PyVRP's iterated local search, OR-Tools
routing when that finds no plan.

The rep's day is one vehicle (solver.py); this is the general case the public VRPTW
benchmarks (Solomon) measure, and what a team plan with shared stops would need.
Instance: the one-day format (instance.py) plus "vehicles", "capacity" and a "demand" per
stop. Travel time equals the matrix entry; service time is spent at each stop; arrival must
fall in the stop's window; each route starts and ends at node 0 within the horizon.
Minimises total travel with vehicles unpriced.

Whichever search found them, the routes are kept only when the project's own rules accept them
(`_Fleet.checked`: each mandatory stop once, capacity, windows with waiting allowed, back within the
horizon), and the arrivals printed are those rules' earliest times.

Refused as unplannable only with a proof (a stop that no vehicle can reach in its window and bring
back within the horizon, or whose demand exceeds a vehicle's capacity); no search finding a plan in
the time limit is `no_plan_found`, which a longer limit may change.
"""

import time

from .model import NoPlanFound
from .schedule import PENALTY_UNIT

# Two guided local searches, each in half the time, the better kept: one from inserting one stop at a
# time where it costs least (keeps tight windows), one from the cheaper of parallel insertion and savings
# (fewer, fuller routes). No single first solution won on every Solomon instance measured (README, Routing).
STARTS = (("LOCAL_CHEAPEST_INSERTION",), ("PARALLEL_CHEAPEST_INSERTION", "SAVINGS"))
FIRST_SHARE = 0.25  # of the time left, at most, for each first solution
FINISH_S = 0.1  # kept back from a search's limit: it overruns it a little on a busy machine; reading its answer
# PyVRP's iterated local search (routing/ils.py) has the time; when it has found no plan keeping every rule by
# this share of it, it stops and OR-Tools gets the rest.
FALLBACK_SHARE = 0.5
MIN_ROUTING_S = 0.1  # OR-Tools runs only with at least this much time left


def solve_fleet(data, deadline=None, first_solution=None, local_search=True):
    """The plan as the CLI prints it, or {"error": "unplannable", ...} on a proof that none exists.
    Raises NoPlanFound when no search found a plan by `deadline` (on `time.perf_counter()`'s clock; default:
    the instance's time_limit_s from now). `first_solution` (an OR-Tools strategy) or `local_search=False`:
    OR-Tools alone."""
    limit = float(data.get("time_limit_s", 30))
    if deadline is None:
        deadline = time.perf_counter() + limit
    fleet = _Fleet(data)
    for k, stop in enumerate(fleet.stops, start=1):
        if not stop.get("mandatory", True):
            continue  # an optional stop that cannot be served is dropped, not a reason to refuse
        if fleet.demand[k] > fleet.capacity:
            return {"error": "unplannable", "stop": str(stop["id"]), "reason": "demand_over_capacity"}
        arrival = max(fleet.earliest + fleet.travel[0][k], fleet.windows[k][0])
        if arrival > fleet.windows[k][1] or arrival + fleet.service[k] + fleet.travel[k][0] > fleet.latest:
            return {"error": "unplannable", "stop": str(stop["id"]), "reason": "cannot_be_reached_in_its_window"}
    routes = None
    if local_search and first_solution is None and deadline - FINISH_S > time.perf_counter():
        routes = fleet.checked(_search_ils(fleet, deadline - FINISH_S))
    if routes is None and deadline - FINISH_S - time.perf_counter() >= MIN_ROUTING_S:
        routes = fleet.checked(_search_routing(fleet, deadline, first_solution))
    if routes is None:
        raise NoPlanFound(limit, [str(s["id"]) for s in fleet.stops if s.get("mandatory", True)])
    arrivals, total = fleet.timed(routes)
    visited = {k for route in routes for k in route}
    return {
        "routes": [[fleet.stops[k - 1]["id"] for k in route] for route in routes],
        "arrivals": arrivals,
        "travel": total,
        "vehicles_used": len(routes),
        "dropped": [s["id"] for k, s in enumerate(fleet.stops, 1) if k not in visited],
        "proven_optimal": False,
    }


class _Fleet:
    """The instance as integer lists by node (0 the depot, k the k-th stop), and the rules of a plan."""

    def __init__(self, data):
        matrix = data["matrix"]
        self.stops = data["stops"]
        nodes = [0] + [int(s["node"]) for s in self.stops]
        self.travel = [[int(matrix[a][b]) for b in nodes] for a in nodes]
        self.service = [0] + [int(s.get("service", 0)) for s in self.stops]
        self.demand = [0] + [int(s.get("demand", 0)) for s in self.stops]
        self.vehicles = int(data["vehicles"])
        self.capacity = int(data["capacity"])
        self.earliest, self.latest = (int(t) for t in data["horizon"])
        self.windows = [(self.earliest, self.latest)] + [
            tuple(int(t) for t in (s.get("window") or (self.earliest, self.latest))) for s in self.stops
        ]
        self.mandatory = [False] + [bool(s.get("mandatory", True)) for s in self.stops]
        self.prize = [0] + [int(s.get("priority", 1)) * PENALTY_UNIT for s in self.stops]

    def timed(self, routes):
        """(arrivals by route, total travel) with every visit as early as its window allows; None when a
        route breaks a rule: a window, the capacity or the horizon."""
        arrivals, total = [], 0
        for route in routes:
            if sum(self.demand[k] for k in route) > self.capacity:
                return None
            clock, previous, times = self.earliest, 0, []
            for k in route:
                arrival = max(clock + self.travel[previous][k], self.windows[k][0])
                if arrival > self.windows[k][1]:
                    return None
                times.append(arrival)
                clock, total, previous = arrival + self.service[k], total + self.travel[previous][k], k
            if clock + self.travel[previous][0] > self.latest:
                return None
            arrivals.append(times)
            total += self.travel[previous][0]
        return arrivals, total

    def checked(self, routes):
        """`routes` without empty ones when they keep every rule (each mandatory stop once, no more routes
        than vehicles, the timing and the capacity of `timed`), else None."""
        if routes is None:
            return None
        routes = [list(route) for route in routes if route]
        seen = [k for route in routes for k in route]
        if len(seen) != len(set(seen)) or len(routes) > self.vehicles:
            return None
        if not all(k in set(seen) for k in range(1, len(self.stops) + 1) if self.mandatory[k]):
            return None
        return routes if self.timed(routes) is not None else None


def _search_ils(fleet, deadline):
    """PyVRP's routes (lists of nodes) by `deadline`; None when it found none, stopping early (at
    FALLBACK_SHARE of the time) so that OR-Tools gets the rest."""
    from . import ils

    problem = ils.fleet_data(
        fleet.travel,
        fleet.service,
        fleet.demand,
        fleet.windows,
        (fleet.earliest, fleet.latest),
        fleet.vehicles,
        fleet.capacity,
        [None if fleet.mandatory[k] else fleet.prize[k] for k in range(len(fleet.windows))],
    )
    now = time.perf_counter()
    return ils.search_fleet(problem, deadline, give_up=now + (deadline - now) * FALLBACK_SHARE)


def _search_routing(fleet, deadline, first_solution=None):
    """OR-Tools' routes (lists of nodes) by `deadline`, or None."""
    from ortools.constraint_solver import pywrapcp

    from .solver import travel_and_time

    vehicles = fleet.vehicles
    manager = pywrapcp.RoutingIndexManager(len(fleet.travel), vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    clock = travel_and_time(routing, fleet.travel, fleet.service, fleet.latest)
    load = routing.RegisterUnaryTransitVector(fleet.demand)  # by node, evaluated inside OR-Tools
    routing.AddDimensionWithVehicleCapacity(load, 0, [fleet.capacity] * vehicles, True, "Load")
    for k in range(1, len(fleet.travel)):
        clock.CumulVar(manager.NodeToIndex(k)).SetRange(*fleet.windows[k])
        if not fleet.mandatory[k]:
            routing.AddDisjunction([manager.NodeToIndex(k)], fleet.prize[k])
    for v in range(vehicles):
        clock.CumulVar(routing.Start(v)).SetRange(fleet.earliest, fleet.latest)
        clock.CumulVar(routing.End(v)).SetRange(fleet.earliest, fleet.latest)
    starts = STARTS if first_solution is None else ((first_solution,),)
    solution = _search(routing, starts, deadline - FINISH_S)
    if solution is None:
        return None
    routes = []
    for v in range(vehicles):
        index, route = solution.Value(routing.NextVar(routing.Start(v))), []
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
        routes.append(route)
    return routes


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
