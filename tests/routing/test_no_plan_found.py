"""Unplannable only with a proof; NoPlanFound when the time limit runs out first (issue #32).

The outcomes apart in the solver, the CLI (exit codes, JSON), the API and the evening batch; the
Dumas TSPTW days once refused as unplannable; and the one deadline every phase keeps."""

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from routing import Day, NoPlanFound, Stop, Unplannable, formats, solve
from routing.instance import day_from_instance, solve_instance
from routing.schedule import best_timeline
from routing.solver import CANNOT_BE_REACHED, DO_NOT_FIT_TOGETHER, solve_matrix
from tests.routing.test_solver import HOME, LUNCH, check_plan, hm, random_day

TSPTW = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "routing" / "tsptw"
TIGHT = "n20w20.001"  # 20 mandatory stops with 20-unit windows: no plan without some search
DUMAS = {"n200w20.001": 1019, "n150w60.001": 859}  # proven optima (Traveltime_Bounds.csv)


def tsptw(name, time_limit_s):
    return formats.tsptw((TSPTW / f"{name}.txt").read_text(), time_limit_s=time_limit_s)


def _children_cpu_s():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli(data, tmp_path, *args):
    """Run `python -m routing solve`; its output and the CPU seconds it used, start-up included.

    The solver is single-threaded, so CPU time is the work it did: a run that kept its deadline uses no more
    than the limit (and the start-up) however busy the machine is, where wall time grows with the load."""
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(data))
    before = _children_cpu_s()
    out = subprocess.run(
        [sys.executable, "-m", "routing", "solve", str(path), *args], capture_output=True, text=True, check=False
    )
    return out, _children_cpu_s() - before


def unreachable():
    """A day proven impossible by the screening: an appointment no one can reach by its time."""
    data = tsptw(TIGHT, 1)
    data["stops"][0]["window"] = [0, 0]
    return data


def test_a_search_cut_short_is_no_plan_found_not_unplannable():
    day, matrix = day_from_instance(tsptw(TIGHT, 0))
    with pytest.raises(NoPlanFound) as found:
        solve_matrix(day, matrix, time_limit_s=0.0)
    assert not isinstance(found.value, Unplannable)
    assert found.value.time_limit_s == 0.0 and "time limit of 0 s" in str(found.value)
    assert "longer limit may find one" in str(found.value) and len(found.value.stop_ids) == 20
    # The same day with time to search has a plan, so the first answer was no proof.
    plan = solve_matrix(day, matrix, time_limit_s=1.0)
    assert len(plan.stops) == 20 and best_timeline(day, [int(p.stop_id) - 1 for p in plan.stops], matrix)


def test_a_day_proven_impossible_stays_unplannable_at_any_limit():
    """The screening proves it (a stop out of reach), and so does an exact search that completes (two
    appointments at the same time in different places): no time limit changes either answer."""
    day, matrix = day_from_instance(unreachable())
    for limit in (0.0, 0.5):
        with pytest.raises(Unplannable) as refused:
            solve_matrix(day, matrix, time_limit_s=limit)
        assert refused.value.reason == CANNOT_BE_REACHED and refused.value.stop_ids == ("1",)
    near = Stop("near", HOME[0] + 0.01, HOME[1], window=(hm(10), hm(10)), mandatory=True)
    far = Stop("far", HOME[0] - 0.03, HOME[1], window=(hm(10), hm(10)), mandatory=True)
    with pytest.raises(Unplannable) as refused:
        solve(Day(start=HOME, end=HOME, stops=(near, far)), time_limit_s=0.5)
    assert refused.value.reason == DO_NOT_FIT_TOGETHER and set(refused.value.stop_ids) == {"near", "far"}


def test_the_cli_tells_the_two_apart_by_exit_code_and_json(tmp_path):
    out, _ = cli(tsptw(TIGHT, 0), tmp_path)
    assert out.returncode == 3, out.stderr
    assert json.loads(out.stdout) | {"message": ""} == {"error": "no_plan_found", "time_limit_s": 0.0, "message": ""}
    out, _ = cli(unreachable(), tmp_path)
    assert out.returncode == 1 and json.loads(out.stdout)["error"] == "unplannable"
    out, _ = cli(tsptw(TIGHT, 0), tmp_path, "--time-limit", "5")  # the exact search proves it well before
    assert out.returncode == 0 and len(json.loads(out.stdout)["route"]) == 20
    helped = subprocess.run(
        [sys.executable, "-m", "routing", "solve", "--help"], capture_output=True, text=True, check=True
    )
    assert "3  no plan found within the time limit" in helped.stdout and "1  unplannable" in helped.stdout


def test_a_fleet_that_times_out_is_no_plan_found():
    data = {
        "matrix": [[0, 5, 5], [5, 0, 5], [5, 5, 0]],
        "horizon": [0, 100],
        "vehicles": 1,
        "capacity": 10,
        "time_limit_s": 0.0,
        "stops": [{"id": "a", "node": 1, "demand": 1}, {"id": "b", "node": 2, "demand": 1}],
    }
    assert solve_instance(data)["error"] == "no_plan_found"
    assert solve_instance({**data, "time_limit_s": 0.5})["routes"]
    heavy = {**data, "stops": [{"id": "a", "node": 1, "demand": 11}]}
    assert solve_instance(heavy) == {"error": "unplannable", "stop": "a", "reason": "demand_over_capacity"}


def test_dumas_n200w20_at_one_second_is_not_refused(tmp_path):
    """It was refused as unplannable at 5, 10 and 30 s. Within a second it gets a tour, or at worst
    no_plan_found; and the whole run, start-up included, keeps the limit (+ 0.2 s) in the work it does."""
    data = tsptw("n200w20.001", 1)
    spent = []
    for _ in range(2):
        out, cpu = cli(data, tmp_path)
        spent.append(cpu)
        result = json.loads(out.stdout)
        assert result.get("error") != "unplannable" and out.returncode in (0, 3), result
        if out.returncode == 0:
            assert result["travel"] >= DUMAS["n200w20.001"] and len(result["route"]) == 200
    # The interpreter's own start-up (before the solver's clock starts, about 0.5 s) aside: the run used to take
    # 2.5 s and more at this limit.
    assert min(spent) <= 1.8, spent


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(DUMAS))
def test_dumas_days_once_called_unplannable_get_their_tours(name):
    """Never refused as unplannable. The search runs in this thread, so its CPU time is the search it was given:
    with most of the limit (a machine not starved by other work) the tour is found; a starved search may end
    without one, as no_plan_found. `make bench` measures the 5 s figure."""
    limit = 5
    data = tsptw(name, limit)
    started = time.thread_time()
    result = solve_instance(data)
    searched = time.thread_time() - started
    assert searched <= limit + 0.2, searched
    assert result.get("error") != "unplannable", result
    if searched < 0.6 * limit:  # starved by the machine's other work: the answer must still be an honest one
        assert "error" not in result or result["error"] == "no_plan_found", result
        if "error" in result:
            return
    assert "error" not in result, (result, f"{searched:.1f} s of CPU")
    day, matrix = day_from_instance(data)
    order = [int(stop_id) - 1 for stop_id in result["route"]]
    times = best_timeline(day, order, matrix)
    assert sorted(order) == list(range(len(day.stops))) and times["travel"] == result["travel"]
    assert DUMAS[name] <= result["travel"] <= DUMAS[name] * 1.02


def test_a_one_second_solve_of_a_200_candidate_day_keeps_its_deadline():
    """The local search and the timing of the orders all inside one deadline: a bound on the deadline,
    not a speed benchmark (the least of three runs, the machine being shared). (Day 3201's appointments at
    14:00 and 15:30 are too far apart for the drive between them: refused at once since that is screened.)"""
    day = random_day(3203, n=200, appointments=3, mandatory=4)
    assert day.lunch == LUNCH
    # Travel by a flat approximation: the geodesic matrix of 202 points would take longer than the test.
    points = [day.start] + [(s.lat, s.lng) for s in day.stops] + [day.end]
    matrix = [
        [round(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5 * 111_000 * 1.35 / 22 * 3.6) for b in points]
        for a in points
    ]
    spent = []
    for _ in range(3):
        started = time.thread_time()  # the solve runs in this thread: its CPU time, whatever else the machine runs
        try:
            plan = solve(day, matrix, time_limit_s=1.0)
        except NoPlanFound:
            plan = None
        spent.append(time.thread_time() - started)
        if plan is not None:
            check_plan(day, plan, matrix)
    assert min(spent) <= 1.2, spent


def _no_plan_in_time(monkeypatch):
    """The planner's solver finds nothing in its time limit (the answer the solver gives then; a rep's
    small day is planned at once, so the search itself is not cut here)."""
    from server.route_plans import planner

    def cut(day, matrix, time_limit_s):
        raise NoPlanFound(time_limit_s, [s.id for s in day.stops if s.mandatory])

    monkeypatch.setattr(planner, "solve", cut)


@pytest.mark.calendar
def test_the_api_answers_no_plan_found_apart_from_unplannable(client, world, monkeypatch, clock):
    """422 with code no_plan_found and the time limit; the message says a longer limit may find one.
    (Each rep of the world has an appointment that day, a mandatory stop.)"""
    clock.set("2026-11-03T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    _no_plan_in_time(monkeypatch)
    response = client.post("/api/routes/plan", json={"date": "2026-11-03"}, headers=world.headers("r1"))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "no_plan_found" and error["time_limit_s"] == 2.0
    assert "longer time limit may find one" in error["message"] and "not proven impossible" in error["message"]


@pytest.mark.calendar
def test_the_evening_batch_says_which_outcome_each_rep_had(client, world, runner, monkeypatch):
    _no_plan_in_time(monkeypatch)
    result = runner.invoke(args=["plan-day", "--date", "2026-11-03", "--workers", "1"])
    assert result.exit_code == 0, result.output
    outcomes = dict(line.split(": ", 1) for line in result.output.splitlines())
    assert set(outcomes) == {"r1", "r2", "r3"}
    assert all(o.startswith("no_plan_found: No plan for 2026-11-03") for o in outcomes.values()), outcomes
