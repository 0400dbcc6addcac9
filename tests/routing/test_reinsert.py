"""Dropped optional stops put back after the search (issue #32): where they fit and pay, never breaking a rule."""

import pytest

from routing import Day, Stop, solve, solver
from routing.reinsert import reinsert
from routing.schedule import PENALTY_UNIT, best_timeline
from tests.routing.test_solver import HOME, check_plan, hm, matrix_for, objective, random_day


def _cost(day, order, matrix):
    times = best_timeline(day, order, matrix)
    assert times is not None
    left_out = sum(s.priority for i, s in enumerate(day.stops) if i not in set(order) and not s.mandatory)
    return times["travel"] + PENALTY_UNIT * left_out


@pytest.mark.parametrize("seed", range(8))
def test_a_stop_taken_out_of_an_optimal_plan_goes_back_in(seed):
    day = random_day(500 + seed, n=7)
    matrix = matrix_for(day)
    plan = solve(day, matrix)
    assert plan.proven_optimal
    index = {s.id: i for i, s in enumerate(day.stops)}
    order = [index[p.stop_id] for p in plan.stops]
    optional = [k for k, i in enumerate(order) if not day.stops[i].mandatory]
    if not optional:
        pytest.skip("the optimum keeps no optional stop")
    short = order[: optional[0]] + order[optional[0] + 1 :]
    again = reinsert(day, short, matrix)
    assert short == order[: optional[0]] + order[optional[0] + 1 :]  # the caller's list is left alone
    assert len(again) == len(order) and best_timeline(day, again, matrix) is not None
    assert _cost(day, again, matrix) < _cost(day, short, matrix)
    assert _cost(day, again, matrix) >= _cost(day, order, matrix)  # never better than the proven optimum


def test_a_stop_that_does_not_fit_or_does_not_pay_stays_out():
    near = Stop("near", HOME[0] + 0.01, HOME[1], service_s=1800, priority=2)
    booked = Stop("booked", HOME[0] - 0.01, HOME[1], service_s=3600, window=(hm(10), hm(10)), mandatory=True)
    # Its window closes before the booked visit ends, and a visit there leaves no time to reach the booking.
    late = Stop("late", HOME[0], HOME[1] + 0.01, service_s=1800, window=(hm(9, 50), hm(9, 55)))
    far = Stop("far", HOME[0] + 0.15, HOME[1], service_s=1800, priority=1)  # an hour's drive each way
    day = Day(start=HOME, end=HOME, stops=(near, booked, late, far))
    matrix = matrix_for(day)
    assert best_timeline(day, [2, 1], matrix) is None and best_timeline(day, [1, 2], matrix) is None
    assert best_timeline(day, [1, 3], matrix) is not None  # it fits, but costs more travel than its penalty
    again = reinsert(day, [1], matrix)
    assert sorted(again) == [0, 1] and best_timeline(day, again, matrix) is not None
    assert reinsert(day, [1], matrix, deadline=0.0) == [1]  # nothing tried after the deadline


def test_the_solver_puts_back_what_the_routing_search_left_out(monkeypatch):
    """A search may leave out optional stops that still fit (OR-Tools' guided local search never prices a
    dropped stop): a plan it returns so comes out of `solve` with them, every rule kept. Here PyVRP finds
    nothing, and OR-Tools (what runs then, CP-SAT kept out) is a stand-in that keeps only the mandatory stops."""
    from routing import ils

    day = random_day(3030, n=30, appointments=2, mandatory=3)
    matrix = matrix_for(day)
    mandatory_only = []

    def routing_keeps_only_mandatory(day, matrix, deadline, seed=None):
        order = [i for i, s in enumerate(day.stops) if s.mandatory]
        times = None
        for first in range(len(order)):  # an order of the mandatory stops that keeps their times
            trial = order[first:] + order[:first]
            times = best_timeline(day, trial, matrix)
            if times is not None:
                mandatory_only.append(trial)
                return tuple(trial), 0
        return None

    monkeypatch.setattr(solver, "_solve_routing", routing_keeps_only_mandatory)
    monkeypatch.setattr(ils, "search_day", lambda *args, **kwargs: None)
    monkeypatch.setattr(solver, "MIN_PROOF_S", float("inf"))  # OR-Tools routing, not CP-SAT, gets the time left
    plan = solve(day, matrix, time_limit_s=1.0)
    check_plan(day, plan, matrix)
    assert mandatory_only, "the stand-in search found no order of the mandatory stops"
    assert len(plan.stops) > len(mandatory_only[0])
    assert objective(day, plan) < _cost(day, mandatory_only[0], matrix)


def test_a_search_that_overran_its_limit_still_gets_the_left_out_stops_put_back(monkeypatch):
    """On a starved machine the local search may come back after the deadline with its first order, one stop
    of a day where many fit: the put-back still runs (a few milliseconds), so the day stored is not that one
    stop. Here the search stands in for that: it waits past the deadline and keeps the nearest optional stop."""
    import time

    from routing import ils

    day = random_day(4242, n=30, appointments=0, mandatory=0)
    matrix = matrix_for(day)
    first = min((i for i, s in enumerate(day.stops) if not s.mandatory), key=lambda i: matrix[0][i + 1])
    assert not any(s.mandatory for s in day.stops)

    def overran(day, matrix, deadline, **kwargs):
        time.sleep(max(deadline - time.perf_counter(), 0.0) + 0.3)  # the search's deadline is before the day's
        return [first]

    monkeypatch.setattr(ils, "search_day", overran)
    plan = solve(day, matrix, time_limit_s=0.3, exact_max=0)
    check_plan(day, plan, matrix)
    assert len(plan.stops) > 3, [p.stop_id for p in plan.stops]
    assert objective(day, plan) < _cost(day, [first], matrix)
