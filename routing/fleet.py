"""Several vehicles with capacities and time windows (VRPTW), by OR-Tools routing.

The rep's day is one vehicle (solver.py); this is the general case the public VRPTW
benchmarks (Solomon) measure, and what a team plan with shared stops would need.
Instance: the one-day format (instance.py) plus "vehicles", "capacity" and a "demand" per
stop. Travel time equals the matrix entry; service time is spent at each stop; arrival must
fall in the stop's window; each route starts and ends at node 0 within the horizon.
Minimises total travel with vehicles unpriced.
"""
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from .solver import travel_and_time


def solve_fleet(data):
    matrix = data["matrix"]
    stops = data["stops"]
    nodes = [0] + [int(s["node"]) for s in stops]
    travel = [[int(matrix[a][b]) for b in nodes] for a in nodes]
    service = [0] + [int(s.get("service", 0)) for s in stops]
    demand = [0] + [int(s.get("demand", 0)) for s in stops]
    vehicles = int(data["vehicles"])
    earliest, latest = (int(t) for t in data["horizon"])
    manager = pywrapcp.RoutingIndexManager(len(nodes), vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)

    time = travel_and_time(routing, manager, travel, service, latest)
    load = routing.RegisterUnaryTransitCallback(lambda i: demand[manager.IndexToNode(i)])
    routing.AddDimensionWithVehicleCapacity(load, 0, [int(data["capacity"])] * vehicles, True, "Load")
    for k, stop in enumerate(stops, start=1):
        window = stop.get("window") or (earliest, latest)
        time.CumulVar(manager.NodeToIndex(k)).SetRange(int(window[0]), int(window[1]))
        if not stop.get("mandatory", True):
            routing.AddDisjunction([manager.NodeToIndex(k)], int(stop.get("priority", 1)) * 3600)
    for v in range(vehicles):
        time.CumulVar(routing.Start(v)).SetRange(earliest, latest)
        time.CumulVar(routing.End(v)).SetRange(earliest, latest)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(float(data.get("time_limit_s", 30)) * 1000))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        return {"error": "unplannable", "stop": None, "reason": "no assignment keeps every window and capacity"}
    routes, arrivals, visited, total = [], [], set(), 0
    for v in range(vehicles):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        route, times, previous = [], [], 0
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            route.append(stops[node - 1]["id"])
            times.append(solution.Min(time.CumulVar(index)))
            visited.add(node)
            total += travel[previous][node]
            previous = node
            index = solution.Value(routing.NextVar(index))
        if route:
            routes.append(route)
            arrivals.append(times)
            total += travel[previous][0]
    return {"routes": routes, "arrivals": arrivals, "travel": total, "vehicles_used": len(routes),
            "dropped": [s["id"] for k, s in enumerate(stops, 1) if k not in visited], "proven_optimal": False}
