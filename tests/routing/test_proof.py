"""CP-SAT's proof (routing/proof.py): a day of 25-40 stops refused only when no order keeps its mandatory
stops, the stops that cannot fit together named; a feasible one planned. Checked against every order of
small days (the project's own timing rule), on matrices with and without the triangle inequality."""

import itertools
import random
import time

import pytest

from routing import Day, Lunch, Stop, Unplannable, solve
from routing.proof import FEASIBLE, INFEASIBLE, prove, shortest_legs
from routing.schedule import best_timeline
from routing.solver import DO_NOT_FIT_TOGETHER, _screen_pairs
from tests.routing.test_solver import HOME, LUNCH, check_plan, hm, matrix_for


def crowded_morning(n, closes, others=0):
    """Three mandatory visits of 20 minutes a few minutes' drive apart, each to start between 10:00 and
    `closes`: with 10:30, any two fit and the three do not, which no check of pairs sees. `others` more
    mandatory stops, the rest optional."""
    rng = random.Random(n)
    stops = [
        Stop(f"m{k}", HOME[0] + 0.01 * k, HOME[1] + 0.02, service_s=20 * 60, window=(hm(10), closes), mandatory=True)
        for k in range(3)
    ]
    for k in range(n - 3):
        place = (HOME[0] + rng.uniform(-0.06, 0.06), HOME[1] + rng.uniform(-0.06, 0.06))
        stops.append(Stop(f"o{k}", *place, service_s=1800, mandatory=k < others, priority=rng.randint(1, 4)))
    return Day(start=HOME, end=HOME, stops=tuple(stops), lunch=LUNCH)


def feasible_orders(day, matrix, kept):
    """Every order of the stops `kept` plus any of the others that the timing rule accepts (tiny days)."""
    rest = [i for i in range(len(day.stops)) if i not in kept]
    for r in range(len(rest) + 1):
        for extra in itertools.combinations(rest, r):
            for order in itertools.permutations(list(kept) + list(extra)):
                if best_timeline(day, list(order), matrix) is not None:
                    yield order


@pytest.mark.parametrize("n", [26, 40])
def test_three_stops_that_cannot_fit_together_are_proven_and_named(n):
    day = crowded_morning(n, hm(10, 30), others=4)
    matrix = matrix_for(day)
    _screen_pairs(day, matrix)  # every pair fits: the screening sees nothing
    verdict, stops = prove(day, matrix, time.perf_counter() + 30)
    assert verdict == INFEASIBLE and [day.stops[i].id for i in stops] == ["m0", "m1", "m2"]
    started = time.thread_time()  # the solve's own work (CP-SAT's one worker included), whatever else runs
    with pytest.raises(Unplannable) as refused:  # PyVRP finds nothing in half the time; CP-SAT proves it
        solve(day, matrix, time_limit_s=4.0)
    assert time.thread_time() - started <= 4.2  # one deadline: the local search and both proofs within it
    assert refused.value.reason == DO_NOT_FIT_TOGETHER
    named = refused.value.stop_ids
    # The three are named (with others when the time to narrow the set ran out), and only mandatory stops.
    assert {"m0", "m1", "m2"} <= set(named) <= {s.id for s in day.stops if s.mandatory}


@pytest.mark.parametrize("n", [26, 40])
def test_the_same_day_with_room_is_planned(n):
    day = crowded_morning(n, hm(11), others=4)
    matrix = matrix_for(day)
    verdict, order = prove(day, matrix, time.perf_counter() + 30)
    assert verdict == FEASIBLE and sorted(order) == [i for i, s in enumerate(day.stops) if s.mandatory]
    assert best_timeline(day, order, matrix) is not None
    plan = solve(day, matrix, time_limit_s=2.0)
    check_plan(day, plan, matrix)


def random_day(seed):
    """Five mandatory stops with narrow windows and one optional, on a random matrix that often breaks the
    triangle inequality (a shortcut through the optional stop); lunch on half of them."""
    rng = random.Random(seed)
    stops = []
    for k in range(6):
        opens = hm(8) + rng.randrange(0, 6 * 3600, 300)
        window = (opens, opens) if rng.random() < 0.3 else (opens, opens + rng.choice([1800, 3600, 7200]))
        stops.append(
            Stop(f"s{k}", None, None, service_s=rng.choice([1200, 1800, 2700]), window=window, mandatory=k < 5)
        )
    size = len(stops) + 2
    matrix = [[0 if a == b else rng.randrange(300, 3600, 60) for b in range(size)] for a in range(size)]
    for a in range(size):  # through the optional stop (node 6) is quicker than straight
        for b in range(size):
            if len({a, b, 6}) == 3 and rng.random() < 0.5:
                matrix[a][b] = max(matrix[a][6] + matrix[6][b], 2 * matrix[a][b])
    lunch = Lunch(hm(12), hm(13, 30), 45 * 60) if seed % 2 else None
    return Day(start=HOME, end=HOME, stops=tuple(stops), day_end=hm(17), lunch=lunch), matrix


def test_the_proof_agrees_with_every_order_of_small_days():
    """On the shortest-path matrix the model is the rule itself: it answers feasible exactly when some order
    exists. On the raw matrix it is a relaxation (a leg through the optional stop is shorter than straight,
    and the model does not ask for the visit there): never infeasible when an order exists."""
    verdicts = []
    for seed in range(40):
        day, raw = random_day(seed)
        mandatory = [i for i, s in enumerate(day.stops) if s.mandatory]
        for matrix in (raw, [[int(x) for x in row] for row in shortest_legs(raw)]):
            verdict, stops = prove(day, matrix, time.perf_counter() + 30)
            exists = next(feasible_orders(day, matrix, mandatory), None) is not None
            if verdict == INFEASIBLE:  # the named stops alone, with any of the others, have no order either
                assert not exists and stops and set(stops) <= set(mandatory), seed
                assert next(feasible_orders(day, matrix, stops), None) is None, seed
            elif matrix is not raw:
                assert exists and sorted(stops) == mandatory, seed
                assert best_timeline(day, stops, matrix) is not None, seed
            verdicts.append((verdict, exists, matrix is raw))
    # Both answers on both kinds of matrix: days proven impossible on the raw matrices too.
    assert {(FEASIBLE, True), (INFEASIBLE, True), (FEASIBLE, False), (INFEASIBLE, False)} <= {
        (v, raw) for v, _, raw in verdicts
    }, verdicts
