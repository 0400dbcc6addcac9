"""Outside solvers the route benchmarks compare against (the `bench` extra: PyVRP, VROOM), and the checks
that judge every plan, ours or a peer's, from the instance alone.

A rep's day in PyVRP: one vehicle from the start to the end depot within the working day, each stop a
client (service time, its window from `lower_bound` / `upper_bound`, so 08:45 and booked times hold;
required if mandatory, else a prize of priority x PENALTY_UNIT). Its open-source version has no breaks,
so lunch is a required group of zero-prize copies, one at each stop's place, one at the start and one at
the end, each lasting the break and starting within its window: exactly one is visited. The peer's
order of real stops is then timed by the project's own rule (`best_timeline`) and checked like ours.
"""

import importlib.util
import warnings

from routing import Plan
from routing.schedule import PENALTY_UNIT, best_timeline, lower_bound, upper_bound
from routing.solver import planned_stops

HAVE_PYVRP = importlib.util.find_spec("pyvrp") is not None
HAVE_VROOM = importlib.util.find_spec("vroom") is not None


def pyvrp_day(day, matrix, seconds, seed=1):
    """PyVRP's order of the day's stops (indexes into `day.stops`) after `seconds`, or None (no feasible
    solution)."""
    from pyvrp import Model

    n = len(day.stops)
    model = Model()
    places = [model.add_location(0, 0) for _ in range(n + 2)]  # start, each stop, end
    start = model.add_depot(places[0], tw_early=day.day_start, tw_late=day.day_end)
    end = model.add_depot(places[n + 1], tw_early=day.day_start, tw_late=day.day_end)
    model.add_vehicle_type(1, start_depot=start, end_depot=end, tw_early=day.day_start, tw_late=day.day_end)
    clients = []
    for k, stop in enumerate(day.stops):
        clients.append(
            model.add_client(
                places[k + 1],
                service_duration=stop.service_s,
                tw_early=lower_bound(day, stop),
                tw_late=upper_bound(day, stop),
                prize=0 if stop.mandatory else stop.priority * PENALTY_UNIT,
                required=stop.mandatory,
            )
        )
    if day.lunch is not None and n:
        group = model.add_client_group(required=True)
        for place in places:
            model.add_client(
                place,
                service_duration=day.lunch.duration,
                tw_early=day.lunch.earliest,
                tw_late=day.lunch.latest,
                required=False,
                group=group,
            )
    for a, frm in enumerate(places):
        for b, to in enumerate(places):
            if a != b:
                model.add_edge(frm, to, distance=int(matrix[a][b]), duration=int(matrix[a][b]))
    result = _solve(model, seconds, seed)
    if not result.is_feasible():
        return None
    return [k for route in result.best.routes() for k in _clients(route) if k < n]  # lunch copies come after


def plan_from_order(day, order, matrix):
    """A Plan for `order`, timed by `best_timeline` (None when the order breaks a rule of the day)."""
    times = best_timeline(day, list(order), matrix)
    if times is None:
        return None
    kept = set(order)
    return Plan(
        leave_at=times["leave"],
        back_at=times["back"],
        stops=planned_stops(day, order, times, matrix),
        dropped=[(s.id, "dropped") for i, s in enumerate(day.stops) if i not in kept],
        travel_s=times["travel"],
        service_s=sum(day.stops[i].service_s for i in order),
        lunch_start=times["lunch_start"],
    )


def pyvrp_fleet(data, seconds, seed=1):
    """PyVRP's routes (lists of stop ids) for a fleet instance (Solomon), or None."""
    from pyvrp import Model

    matrix, stops = data["matrix"], data["stops"]
    earliest, latest = data["horizon"]
    model = Model()
    depot_place = model.add_location(0, 0)
    places = [depot_place] + [model.add_location(0, 0) for _ in stops]
    depot = model.add_depot(depot_place, tw_early=earliest, tw_late=latest)
    model.add_vehicle_type(
        int(data["vehicles"]), capacity=int(data["capacity"]), start_depot=depot, end_depot=depot,
        tw_early=earliest, tw_late=latest,
    )  # fmt: skip
    for k, stop in enumerate(stops, start=1):
        window = stop.get("window") or (earliest, latest)
        model.add_client(
            places[k],
            delivery=int(stop.get("demand", 0)),
            service_duration=int(stop.get("service", 0)),
            tw_early=int(window[0]),
            tw_late=int(window[1]),
        )
    nodes = [0] + [int(s["node"]) for s in stops]
    for a, frm in enumerate(places):
        for b, to in enumerate(places):
            if a != b:
                d = int(matrix[nodes[a]][nodes[b]])
                model.add_edge(frm, to, distance=d, duration=d)
    result = _solve(model, seconds, seed)
    if not result.is_feasible():
        return None
    return [[stops[k]["id"] for k in _clients(route)] for route in result.best.routes()]


def _solve(model, seconds, seed):
    """The model solved for `seconds`; PyVRP's warning that it struggles to find a feasible solution is not
    an error here (the tests turn warnings into errors): the result says whether it found one."""
    from pyvrp.exceptions import PenaltyBoundWarning
    from pyvrp.stop import MaxRuntime

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        return model.solve(stop=MaxRuntime(seconds), seed=seed, display=False, collect_stats=False)


def _clients(route):
    """The clients a PyVRP route visits, in order, numbered as they were added (from 0)."""
    return [activity.idx for activity in route if activity.is_client()]


def vroom_fleet(data, seconds, exploration_level=5):
    """VROOM's routes (lists of stop ids) for a fleet instance: its widest search (exploration level 5) with
    `seconds` as its timeout, the limit ours and PyVRP have (without one it stops on its own, 3-12 s on Solomon
    100 on this machine)."""
    from datetime import timedelta

    import vroom

    matrix, stops = data["matrix"], data["stops"]
    earliest, latest = data["horizon"]
    nodes = [0] + [int(s["node"]) for s in stops]
    problem = vroom.Input()
    problem.set_durations_matrix("car", [[int(matrix[a][b]) for b in nodes] for a in nodes])
    problem.set_costs_matrix("car", [[int(matrix[a][b]) for b in nodes] for a in nodes])
    for v in range(int(data["vehicles"])):
        problem.add_vehicle(
            vroom.Vehicle(v, start=0, end=0, capacity=[int(data["capacity"])], time_window=(earliest, latest))
        )
    for k, stop in enumerate(stops, start=1):
        window = stop.get("window") or (earliest, latest)
        problem.add_job(
            vroom.Job(
                k, location=k, delivery=[int(stop.get("demand", 0))], default_service=int(stop.get("service", 0)),
                time_windows=[tuple(int(t) for t in window)],
            )
        )  # fmt: skip
    solution = problem.solve(exploration_level=exploration_level, nb_threads=1, timeout=timedelta(seconds=seconds))
    routes = {}
    for row in solution.routes.itertuples():
        if row.type == "job":
            routes.setdefault(row.vehicle_id, []).append(stops[int(row.id) - 1]["id"])
    return list(routes.values())


def check_fleet(data, routes):
    """Every rule of a fleet plan, recomputed from the instance: each stop once, capacity, windows (waiting
    allowed), back within the horizon. Returns the total travel."""
    matrix, stops = data["matrix"], {str(s["id"]): s for s in data["stops"]}
    earliest, latest = data["horizon"]
    seen = [str(s) for route in routes for s in route]
    assert sorted(seen) == sorted(stops), "a stop missing or visited twice"
    assert len([r for r in routes if r]) <= int(data["vehicles"]), "more vehicles than the fleet has"
    total = 0
    for route in routes:
        node, clock = 0, earliest
        assert sum(int(stops[str(s)].get("demand", 0)) for s in route) <= int(data["capacity"]), "over capacity"
        for stop_id in route:
            stop = stops[str(stop_id)]
            window = stop.get("window") or (earliest, latest)
            leg = int(matrix[node][int(stop["node"])])
            arrival = max(clock + leg, int(window[0]))
            assert arrival <= int(window[1]), f"stop {stop_id} reached after its window"
            clock, node, total = arrival + int(stop.get("service", 0)), int(stop["node"]), total + leg
        if route:
            total += int(matrix[node][0])
            assert clock + int(matrix[node][0]) <= latest, "back after the horizon"
    return total
