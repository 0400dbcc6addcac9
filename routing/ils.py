"""PyVRP's iterated local search as a search engine for a rep's day and for a fleet (VRPTW).

PyVRP only proposes orders: every order it returns for a day is timed again by the project's own rule
(`schedule.best_timeline`) and kept only when that accepts it, and a fleet's routes are checked by
`fleet.check_routes`. Runs are reproducible: a deadline, a seed and an iteration cap.

A rep's day: one vehicle from the start to the end within the working day; each stop a client with its
service time and the window `lower_bound` / `upper_bound` gives (so 08:45 and booked times hold),
required when mandatory, else worth a prize of priority x PENALTY_UNIT (what leaving it out costs).
Open-source PyVRP has no breaks, so lunch is a required group of optional, zero-prize copies of the break,
one at each place of the day (the start, each stop, the end), each lasting the break and starting within
its window: exactly one is visited, which is where and when the rep eats (drive, then eat near the next
stop; or eat, then drive; or eat at home before the first visit or after the last). Travel is the
distance PyVRP minimises, so its objective is the project's (travel + the penalties of stops left out)
up to a constant.

PyVRP (and numpy) are imported on first use.
"""

import time
import warnings

SEED = 1  # every run starts its random numbers here: the same instance, limit and load give the same plan
MAX_ITERATIONS = 2_000_000  # an iteration cap besides the deadline (a few hundred thousand a second at most)
# A fleet's late-acceptance history (PyVRP's default 300): a limit of a few seconds on 2 shared cores leaves a
# thousand to a few thousand iterations on Solomon 100, and a shorter memory accepts only recent improvements,
# so the search settles sooner. Solomon 100 at 5 s, both in one run: worse than VROOM on 4 of 56 instead of 8,
# mean gap to best known 0.44 % instead of 0.61 % (README, Routing). A rep's day keeps PyVRP's default.
FLEET_HISTORY = 50
# A fleet's granular neighbourhood when the search has less than FLEET_SHORT_S: the stops each stop's moves
# look at (PyVRP's default 50, kept for longer searches). Fewer make each local search cheaper, so a few seconds
# hold more iterations. Solomon 100 at 5 s of CPU, 40 as good or better on 9 of 10 instances (C204 0.10 % above
# best known instead of 1.00 %); all 56 at 5 s in turns (load 21-35) mean gap 1.19 % instead of 1.47 %. At 30 s,
# 7 instances in turns, 40 was behind on 3 (R101, R205, RC208), ahead on 1: a long search keeps the default.
FLEET_NEIGHBOURS = 40
FLEET_SHORT_S = 10.0
# A fleet's search of less than FLEET_SHORT_S goes back to its best solution, with an empty late-acceptance
# history, after this many iterations without a better one (PyVRP's restart; its default, 150,000, is never
# reached in a few seconds, which hold 2,000-9,000 iterations of Solomon 100 on 2 shared cores, and a search
# stalled that long seldom moves again before its deadline: C203 stayed 1.53 % above best known from its 300th
# iteration to its 5,000th). Solomon 100 at 5 s, all 56 in turns, two runs (load 2-15): mean gap to best known
# 0.22 / 0.13 % instead of 0.28 / 0.26 %, better on 12 / 13, worse on 5 / 7; worse than VROOM on none instead of
# 2 / 3 (README, Routing). A longer search keeps PyVRP's default, as it does for the neighbourhood (unmeasured).
FLEET_RESTART = 1_000
# A rep's day: after this many iterations without a better solution the search starts again from scratch with
# the next seed, and the best of its runs is kept. PyVRP's own restart goes back to its best solution, which on
# a day stuck in a local optimum stays there: the bench's 30-candidate day of seed 4 kept 149,000 from its
# 370th iteration to its 16,407th (6.2 s), while a fresh run from seed 2 reached 148,882 in 855 iterations.
# Most of the bench's 30- and 50-candidate days settle within 1,000 iterations (seeds 1-4, 10 s each), but the
# days of seed 0 improved after 2,617 and 2,773 iterations without: with 2,000 the 30-candidate one ended at
# 136,834 instead of 133,458 at 2 s in both turns. Counted in iterations, so a seed and the cap fix the plan.
DAY_STALL = 3_000


INFEASIBLE = (1 << 63) - 1  # the cost PyVRP gives a best solution that breaks a rule (none feasible yet)


def _stop_at(deadline, give_up=None, iterations=MAX_ITERATIONS, stall=None):
    """A PyVRP stopping criterion: the deadline (on `time.perf_counter()`'s clock), the iteration cap, or
    `give_up` passed with no feasible solution found, or (`stall`) that many iterations without a better
    feasible solution. Its `count` attribute: the iterations run."""
    count, best = [0], [INFEASIBLE, 0]  # (best cost, the iteration that found it)

    def stop(best_cost):
        count[0] += 1
        if best_cost < best[0]:
            best[:] = [best_cost, count[0]]
        now = time.perf_counter()
        return (
            count[0] > iterations
            or now >= deadline
            or (give_up is not None and now >= give_up and best_cost >= INFEASIBLE)
            or (stall is not None and best_cost < INFEASIBLE and count[0] - best[1] > stall)
        )

    stop.count = count
    return stop


def _run(data, deadline, seed, initial=None, give_up=None, fleet=False, stop=None):
    """PyVRP's best solution by `deadline`, or None when it found no feasible one (by `give_up`, if given);
    `fleet`: with FLEET_HISTORY, and FLEET_NEIGHBOURS and FLEET_RESTART when `deadline` is less than
    FLEET_SHORT_S away (else PyVRP's defaults). `stop`: a stopping criterion instead of `_stop_at`'s."""
    from pyvrp import SolveParams
    from pyvrp import solve as pyvrp_solve
    from pyvrp.exceptions import PenaltyBoundWarning
    from pyvrp.IteratedLocalSearch import IteratedLocalSearchParams
    from pyvrp.search import NeighbourhoodParams

    params = SolveParams()
    if fleet:
        short = deadline - time.perf_counter() < FLEET_SHORT_S
        restart = {"num_iters_no_improvement": FLEET_RESTART} if short else {}
        params = SolveParams(
            ils=IteratedLocalSearchParams(history_length=FLEET_HISTORY, **restart),
            neighbourhood=NeighbourhoodParams(num_neighbours=FLEET_NEIGHBOURS) if short else NeighbourhoodParams(),
        )

    with warnings.catch_warnings():  # a hard instance: the answer (None when nothing feasible) says enough
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = pyvrp_solve(
            data,
            stop=stop or _stop_at(deadline, give_up),
            seed=seed,
            collect_stats=False,
            display=False,
            initial_solution=initial,
            params=params,
        )
    return result.best if result.best.is_feasible() else None


def day_data(day, matrix):
    """The day as PyVRP's ProblemData: clients 0..n-1 the stops, then (with lunch) n + 2 lunch copies, at
    the start, at each stop and at the end (client n + place)."""
    import numpy as np
    from pyvrp import Client, ClientGroup, Depot, Location, ProblemData, VehicleType

    from .schedule import PENALTY_UNIT, lower_bound, upper_bound

    n = len(day.stops)
    travel = np.asarray(matrix, dtype=np.int64).reshape(n + 2, n + 2).copy()
    np.fill_diagonal(travel, 0)
    clients = [
        Client(
            k + 1,
            service_duration=stop.service_s,
            tw_early=max(lower_bound(day, stop), day.day_start),
            tw_late=upper_bound(day, stop),
            prize=0 if stop.mandatory else stop.priority * PENALTY_UNIT,
            required=stop.mandatory,
        )
        for k, stop in enumerate(day.stops)
    ]
    groups = []
    if day.lunch is not None and n:
        clients += [
            Client(
                place,
                service_duration=day.lunch.duration,
                tw_early=max(day.lunch.earliest, day.day_start),
                tw_late=day.lunch.latest,
                required=False,
                group=0,
            )
            for place in range(n + 2)
        ]
        groups = [ClientGroup(list(range(n, 2 * n + 2)), required=True)]
    depots = [Depot(place, tw_early=day.day_start, tw_late=day.day_end) for place in (0, n + 1)]
    vehicle = VehicleType(1, start_depot=0, end_depot=1, tw_early=day.day_start, tw_late=day.day_end)
    return ProblemData(
        [Location(0, 0) for _ in range(n + 2)], clients, depots, [vehicle], [travel], [travel], groups=groups
    )


def _day_visits(day, order, matrix):
    """The PyVRP visits of `order` (stop indexes), the lunch copy placed where the project's rule takes
    lunch for it; None when that rule rejects the order."""
    from .schedule import best_timeline

    times = best_timeline(day, list(order), matrix)
    if times is None:
        return None
    visits = list(order)
    if day.lunch is None or not day.stops:
        return visits
    n, start = len(day.stops), times["lunch_start"]
    if start is None:  # back before lunch: eat at the end
        return visits + [n + len(day.stops) + 1]
    # Lunch goes before the first visit that starts after it ends, eaten at that visit's place (drive,
    # then eat) when the break starts after the rep could arrive there, else where the rep was.
    for k, i in enumerate(order):
        if times["arrivals"][k] >= start + day.lunch.duration:
            left = times["departures"][k - 1] if k else times["leave"]
            before = order[k - 1] + 1 if k else 0
            here = i + 1 if start >= left + matrix[before][i + 1] else before
            return visits[:k] + [n + here] + visits[k:]
    return visits + [n + len(day.stops) + 1]


def search_day(day, matrix, deadline, seed=SEED, start=None, give_up=None, stall=DAY_STALL):
    """PyVRP's order of the day's stops (indexes into `day.stops`) by `deadline`, started from the order
    `start` when given; None when it found no feasible plan (by `give_up`, when given: then it stops). A run
    that finds nothing better in `stall` iterations ends, and the next starts afresh with the next seed; the
    best of the runs is kept (MAX_ITERATIONS caps them all together)."""
    from pyvrp import Solution

    data = day_data(day, matrix)
    initial = None
    if start is not None:
        visits = _day_visits(day, start, matrix)
        if visits is not None:
            initial = Solution(data, [visits])
    best, left = None, MAX_ITERATIONS
    while left > 0 and time.perf_counter() < deadline:
        stop = _stop_at(deadline, give_up, iterations=left, stall=stall)
        found = _run(data, deadline, seed, initial, give_up, stop=stop)
        if found is None:  # nothing feasible: ran out of time or gave up
            break
        if best is None or _cost(found) < _cost(best):
            best = found
        left -= stop.count[0]
        seed, initial, give_up = seed + 1, None, None
    if best is None:
        return None
    n = len(day.stops)
    return [a.idx for route in best.routes() for a in route if a.is_client() and a.idx < n]


def _cost(solution):
    """What PyVRP minimises for a rep's day: travel plus the prizes of the stops left out."""
    return solution.distance() + solution.uncollected_prizes()


def fleet_data(travel, service, demand, windows, horizon, vehicles, capacity, prizes):
    """A fleet as PyVRP's ProblemData: node 0 the depot, client k - 1 node k (prize None: required)."""
    import numpy as np
    from pyvrp import Client, Depot, Location, ProblemData, VehicleType

    nodes = len(travel)
    matrix = np.asarray(travel, dtype=np.int64).reshape(nodes, nodes).copy()
    np.fill_diagonal(matrix, 0)
    earliest, latest = horizon
    clients = [
        Client(
            k,
            delivery=[demand[k]],
            service_duration=service[k],
            tw_early=windows[k][0],
            tw_late=windows[k][1],
            prize=prizes[k] or 0,
            required=prizes[k] is None,
        )
        for k in range(1, nodes)
    ]
    vehicle = VehicleType(vehicles, capacity=[capacity], start_depot=0, end_depot=0, tw_early=earliest, tw_late=latest)
    return ProblemData(
        [Location(0, 0) for _ in range(nodes)],
        clients,
        [Depot(0, tw_early=earliest, tw_late=latest)],
        [vehicle],
        [matrix],
        [matrix],
    )


def search_fleet(data, deadline, seed=SEED, start=None, give_up=None):
    """PyVRP's routes (lists of nodes, 1..) for fleet ProblemData by `deadline`, started from the routes
    `start` (lists of nodes) when given; None when it found no feasible plan (by `give_up`, when given)."""
    from pyvrp import Solution

    initial = Solution(data, [[k - 1 for k in route] for route in start if route]) if start else None
    best = _run(data, deadline, seed, initial, give_up, fleet=True)
    if best is None:
        return None
    return [[a.idx + 1 for a in route if a.is_client()] for route in best.routes()]
