"""The exact search's parts checked on their own: the knapsack bound, wide days, OR-Tools on tight windows."""

import itertools
import random
import time
from pathlib import Path

import numpy as np
import pytest

from routing import Day, Stop, formats
from routing.exact import _Bound, _Search, beam_search, solve_exact
from routing.instance import day_from_instance
from routing.schedule import PENALTY_UNIT, best_timeline
from routing.solver import _solve_routing
from tests.routing.test_solver import HOME, LUNCH, matrix_for, random_day

TSPTW = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "routing" / "tsptw"


def crowded_day(seed, n, appointment=True):
    """Stops a few hundred metres apart, more visiting time than the day holds: which stops to keep is
    most of the question, and travel decides between near-equal choices (the evening batch's days)."""
    rng = random.Random(seed)
    stops = tuple(
        Stop(
            f"c{i}",
            HOME[0] + rng.uniform(-0.004, 0.004),
            HOME[1] + rng.uniform(-0.004, 0.004),
            service_s=rng.choice([1800, 2700, 3600]),
            priority=rng.randint(1, 5),
            window=(14 * 3600, 14 * 3600) if appointment and i == 0 else None,
            mandatory=appointment and i == 0,
        )
        for i in range(n)
    )
    return Day(start=HOME, end=HOME, stops=stops, lunch=LUNCH)


DAYS = [
    pytest.param(lambda seed=seed: random_day(600 + seed, n=10, appointments=2, mandatory=3), id=f"random-{seed}")
    for seed in range(3)
] + [
    pytest.param(lambda seed=seed: crowded_day(seed, n=13, appointment=seed % 2 == 0), id=f"crowded-{seed}")
    for seed in range(4)
]


@pytest.mark.parametrize("make_day", DAYS)
def test_the_bound_never_cuts_off_the_optimum(make_day, monkeypatch):
    """The same search with the bound switched off (only dominance prunes) finds the same optimum."""
    day = make_day()
    matrix = matrix_for(day)
    bounded = solve_exact(day, matrix)
    monkeypatch.setattr(_Bound, "__call__", lambda self, *label: -(10**12))
    unbounded = solve_exact(day, matrix, beam=0)
    assert bounded[2] and unbounded[2]
    assert bounded[1] == unbounded[1]


@pytest.mark.parametrize("make_day", DAYS)
def test_the_bound_stays_below_what_the_optimum_still_costs(make_day):
    """At every visit of the optimal plan, the bound on what is left is at most what is really left."""
    day = make_day()
    matrix = matrix_for(day)
    order, optimum, proven = solve_exact(day, matrix)
    assert proven
    times = best_timeline(day, list(order), matrix)
    search, bound, n = _Search(day, matrix), _Bound(day, matrix), len(day.stops)
    cost, previous = 0, 0
    for k, j in enumerate(order):
        cost += matrix[previous][j + 1] - search.prize[j]
        previous = j + 1
        seen = np.zeros((1, n), dtype=bool)
        seen[0, list(order[: k + 1])] = True
        lunched = times["lunch_start"] is not None and times["lunch_start"] < times["arrivals"][k]
        hope = bound(seen, np.array([times["departures"][k]]), np.array([lunched]), np.array([j]))[0]
        assert hope <= optimum - search.all_penalty - cost + 1e-6, f"after visit {k + 1}"


def best_knapsack(values, weights, capacity):
    """The 0/1 knapsack optimum by trying every subset."""
    best = 0.0
    for r in range(1, len(values) + 1):
        for chosen in itertools.combinations(range(len(values)), r):
            if sum(weights[i] for i in chosen) <= capacity:
                best = max(best, sum(values[i] for i in chosen))
    return best


@pytest.mark.parametrize("seed", range(3))
def test_the_knapsack_bound_is_never_below_the_best_choice_of_stops(seed):
    day = random_day(700 + seed, n=12, appointments=1, mandatory=1)
    bound = _Bound(day, matrix_for(day))
    knapsack = bound.by_gain
    rng = random.Random(seed)
    labels = 200
    seen = np.array([[rng.random() < 0.3 for _ in day.stops] for _ in range(labels)])
    dep = np.array([rng.randrange(9 * 3600, 16 * 3600) for _ in range(labels)], dtype=np.int64)
    left = np.array([rng.uniform(0, 6 * 3600) for _ in range(labels)])
    free = ~seen[:, bound.items] & (dep[:, None] <= bound.ub[bound.items])
    saved = knapsack(free, left)
    values = knapsack.value[np.argsort(knapsack.order)]  # back in the order of bound.items
    weights = knapsack.weight[np.argsort(knapsack.order)]
    for row in range(labels):
        items = np.flatnonzero(free[row])
        best = best_knapsack(values[items], weights[items], left[row])
        assert saved[row] >= best - 1e-6
        assert saved[row] <= values[items].sum() + 1e-6  # and no looser than taking every free item


def test_days_wider_than_a_machine_word_are_searched():
    """100 stops: the visited flags span two 64-bit words."""
    data = formats.tsptw((TSPTW / "n100w20.001.txt").read_text(), time_limit_s=1)
    day, matrix = day_from_instance(data)
    order, _ = beam_search(day, matrix)
    assert sorted(order) == list(range(100))
    times = best_timeline(day, list(order), matrix)
    assert times is not None and times["travel"] <= 738 * 1.05  # proven optimum 738


def test_or_tools_finds_a_plan_when_windows_are_tight():
    """Every stop mandatory with 20-unit windows: its first solution alone places too few of them. (Three seconds:
    with one, a CI run under the browser tests' load once ended with no plan.)"""
    data = formats.tsptw((TSPTW / "n20w20.001.txt").read_text(), time_limit_s=3)
    day, matrix = day_from_instance(data)
    order, _ = _solve_routing(day, matrix, deadline=time.perf_counter() + 3.0)
    assert sorted(order) == list(range(20))
    assert best_timeline(day, list(order), matrix) is not None


def test_the_tables_of_small_days_match_brute_force():
    """For every set of stops: the timeless completion from each last stop, and the least time that
    collects each number of penalty units, recomputed by trying every subset and order."""
    from routing.exact import _fillings, _timeless_completions

    day = random_day(900, n=6, appointments=1, mandatory=2)
    matrix = matrix_for(day)
    n, end = len(day.stops), len(day.stops) + 1
    prize = [0 if s.mandatory else s.priority * PENALTY_UNIT for s in day.stops]
    completions = _timeless_completions(day, matrix)
    bound = _Bound(day, matrix)
    weight = {j: day.stops[j].service_s + bound.min_in[j] for j in bound.items}
    fillings = _fillings(day, bound.items, np.array([weight[j] for j in bound.items], dtype=float))
    for mask in range(1 << n):
        members = [j for j in range(n) if mask >> j & 1]
        mandatory = {j for j in members if day.stops[j].mandatory}
        for last in (j for j in range(n) if not mask >> j & 1):
            best = float("inf")
            for r in range(len(members) + 1):
                for chosen in itertools.permutations(members, r):
                    if mandatory <= set(chosen):
                        path = [last + 1] + [j + 1 for j in chosen] + [end]
                        travel = sum(matrix[a][b] for a, b in itertools.pairwise(path))
                        best = min(best, travel - sum(prize[j] for j in chosen))
            assert completions[mask, last] == best
        optional = [j for j in members if j in weight]
        for units in range(fillings.shape[1]):
            least = min(
                (
                    sum(weight[j] for j in chosen)
                    for r in range(len(optional) + 1)
                    for chosen in itertools.combinations(optional, r)
                    if sum(day.stops[j].priority for j in chosen) >= units
                ),
                default=float("inf"),
            )
            assert fillings[mask, units] == least


@pytest.mark.parametrize(
    "stops",
    [
        (),
        (Stop("only", HOME[0] + 0.01, HOME[1], mandatory=True),),
        (Stop("only", HOME[0] + 0.01, HOME[1], window=(10 * 3600, 10 * 3600)),),
    ],
)
def test_days_of_no_or_one_stop(stops):
    day = Day(start=HOME, end=HOME, stops=stops, lunch=LUNCH)
    matrix = matrix_for(day)
    order, cost, proven = solve_exact(day, matrix)
    assert proven and list(order) == list(range(len(stops)))
    assert cost == (matrix[0][1] + matrix[1][2] if stops else matrix[0][1])


def test_a_search_cut_short_is_widened_on_the_same_tables():
    """Cut short, the search hands back the better of its best plan and a wide beam run of itself."""
    day = crowded_day(251, n=16, appointment=False)  # small enough for the subset tables
    matrix = matrix_for(day)
    short = solve_exact(day, matrix, time_limit_s=0.0)
    widened = solve_exact(day, matrix, time_limit_s=0.0, wide=256)
    beam = beam_search(day, matrix, 256)
    assert not short[2] and not widened[2]
    assert widened[1] == min(beam[1], short[1] if short[0] is not None else float("inf"))
    assert best_timeline(day, list(widened[0]), matrix) is not None
