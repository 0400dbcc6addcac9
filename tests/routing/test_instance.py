"""Instances from files: the JSON format, the published formats, the command line, the fleet solver."""

import functools
import json
import operator
import subprocess
import sys
from pathlib import Path

import pytest

from routing import formats
from routing.instance import solve_instance

DATA = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "routing"
SMALL = {
    "matrix": [[0, 10, 20, 16], [10, 0, 12, 9], [20, 12, 0, 7], [15, 9, 7, 0]],
    "end_node": 0,
    "horizon": [0, 200],
    "first_arrival": 30,
    "time_limit_s": 1,
    "stops": [
        {"id": "a", "node": 1, "service": 5, "window": None, "mandatory": True, "priority": 1},
        {"id": "b", "node": 2, "service": 5, "window": [60, 80], "mandatory": True, "priority": 1},
        {"id": "c", "node": 3, "service": 5, "window": None, "mandatory": False, "priority": 1},
    ],
}


def check_route(data, result):
    """Recompute the route's times and travel from the instance alone."""
    matrix, stops = data["matrix"], {s["id"]: s for s in data["stops"]}
    node, clock, travel = 0, None, 0
    for stop_id, arrival in zip(result["route"], result["arrivals"]):
        stop = stops[stop_id]
        leg = matrix[node][stop["node"]]
        if clock is not None:
            assert arrival >= clock + leg
        first = data["first_arrival"] if data["first_arrival"] is not None else data["horizon"][0]
        fixed = stop["window"] is not None and stop["window"][0] == stop["window"][1]
        assert fixed or arrival >= first, "a visit before first_arrival"
        assert stop["window"] is None or stop["window"][0] <= arrival <= stop["window"][1]
        clock, node, travel = arrival + stop["service"], stop["node"], travel + leg
    travel += matrix[node][data["end_node"]]
    assert clock + matrix[node][data["end_node"]] <= data["horizon"][1]
    assert travel == result["travel"]
    assert set(result["route"]) | set(result["dropped"]) == set(stops)
    assert {s for s in stops if stops[s]["mandatory"]} <= set(result["route"])


def test_a_small_instance_is_solved_to_its_optimum():
    result = solve_instance(SMALL)
    check_route(SMALL, result)
    # a-b-c-home (10+12+7+15 = 44) beats its mirror c-b-a (16+7+12+10 = 45), a-c-b (10+9+7+20 = 46)
    # and every other order.
    assert result["route"] == ["a", "b", "c"] and result["travel"] == 44 and result["proven_optimal"]
    assert result["arrivals"][0] == 30  # the first visit at first_arrival: the rep left just in time


@pytest.mark.slow
@pytest.mark.parametrize("name,optimum", [("n20w20.001", 378), ("n20w60.001", 335), ("n20w100.001", 237)])
def test_published_tsptw_instances_reach_their_proven_optimum(name, optimum):
    data = formats.tsptw((DATA / "tsptw" / f"{name}.txt").read_text(), time_limit_s=30)
    result = solve_instance(data)
    check_route(data, result)
    assert result["travel"] == optimum and result["proven_optimal"]


def test_a_solomon_instance_keeps_capacity_and_windows():
    data = formats.solomon((DATA / "solomon" / "C101.txt").read_text(), customers=25, time_limit_s=2)
    result = solve_instance(data)
    stops = {s["id"]: s for s in data["stops"]}
    assert sorted(functools.reduce(operator.iadd, result["routes"], [])) == sorted(stops) and not result["dropped"]
    assert len(result["routes"]) <= data["vehicles"]
    total = 0
    for route, arrivals in zip(result["routes"], result["arrivals"]):
        assert sum(stops[s]["demand"] for s in route) <= data["capacity"]
        node, clock = 0, 0
        for stop_id, arrival in zip(route, arrivals):
            stop = stops[stop_id]
            assert arrival >= clock + data["matrix"][node][stop["node"]]
            assert stop["window"][0] <= arrival <= stop["window"][1]
            total += data["matrix"][node][stop["node"]]
            node, clock = stop["node"], arrival + stop["service"]
        total += data["matrix"][node][0]
    assert total == result["travel"]
    assert result["travel"] <= 1913 * 1.01  # best known 191.3, in tenths


def test_the_command_line_converts_and_solves(tmp_path):
    instance = tmp_path / "day.json"
    instance.write_text(json.dumps(SMALL))
    out = subprocess.run(
        # The limit covers start-up (numpy and the solver load within it): room for a busy machine; the exact
        # search proves this day at once, so it returns long before.
        [sys.executable, "-m", "routing", "solve", str(instance), "--time-limit", "10"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["route"] == ["a", "b", "c"]
    converted = subprocess.run(
        [sys.executable, "-m", "routing", "convert", "tsptw", str(DATA / "tsptw" / "n20w20.002.txt")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(json.loads(converted.stdout)["stops"]) == 20


def test_a_broken_instance_gets_a_clear_message(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"matrix": [[0]]}))
    out = subprocess.run(
        [sys.executable, "-m", "routing", "solve", str(bad)], capture_output=True, text=True, check=False
    )
    assert out.returncode == 2 and "not a valid instance" in out.stderr
    impossible = dict(SMALL, stops=[dict(SMALL["stops"][1], window=[1, 2])])
    assert solve_instance(impossible) == {
        "error": "unplannable",
        "stop": "b",
        "reason": "cannot_be_reached_in_its_window",
    }


def test_the_fleet_is_planned_by_the_local_search_and_or_tools_takes_over_when_it_finds_nothing(monkeypatch):
    """Both searches' routes pass the same checks (`check_fleet`, independent of the solver); PyVRP's are
    within 1 % of C101's best known 100-customer distance in 3 s."""
    from routing import ils
    from tests.benchmarks.peers import check_fleet

    data = formats.solomon((DATA / "solomon" / "C101.txt").read_text(), time_limit_s=3)
    result = solve_instance(data)
    assert check_fleet(data, result["routes"]) == result["travel"] <= 8273 * 1.01
    monkeypatch.setattr(ils, "search_fleet", lambda *args, **kwargs: None)
    fallback = solve_instance(data)
    assert check_fleet(data, fallback["routes"]) == fallback["travel"]


def test_a_stalled_short_fleet_search_goes_back_to_its_best_and_stays_reproducible(monkeypatch):
    """A fleet search of less than FLEET_SHORT_S restarts from its best after FLEET_RESTART iterations without a
    better one; with the iteration cap reached before the deadline, a second solve gives the same routes."""
    from pyvrp.IteratedLocalSearch import IteratedLocalSearchCallbacks

    from routing import ils
    from tests.benchmarks.peers import check_fleet

    restarts = []
    monkeypatch.setattr(IteratedLocalSearchCallbacks, "on_restart", lambda self, best: restarts.append(best.distance()))
    monkeypatch.setattr(ils, "_stop_at", functools.partial(ils._stop_at, iterations=300))
    monkeypatch.setattr(ils, "FLEET_RESTART", 20)
    data = formats.solomon((DATA / "solomon" / "C101.txt").read_text(), customers=25, time_limit_s=5)
    first = solve_instance(data)
    assert restarts and check_fleet(data, first["routes"]) == first["travel"] >= restarts[-1] > 0
    assert solve_instance(data)["routes"] == first["routes"]


def test_routes_that_break_a_rule_are_not_taken_from_any_search():
    """The fleet's own check, whichever search proposed the routes."""
    from routing.fleet import _Fleet

    data = {
        "matrix": [[0, 10, 10, 10], [10, 0, 10, 10], [10, 10, 0, 10], [10, 10, 10, 0]],
        "horizon": [0, 100],
        "vehicles": 2,
        "capacity": 2,
        "stops": [{"id": x, "node": k, "demand": 1, "service": 5} for k, x in enumerate("abc", start=1)],
    }
    fleet = _Fleet(data)
    assert fleet.checked([[1, 2], [], [3]]) == [[1, 2], [3]]
    assert fleet.timed([[1, 2], [3]]) == ([[10, 25], [10]], 50)
    assert fleet.checked([[1, 2], [3, 1]]) is None  # a stop twice
    assert fleet.checked([[1, 2]]) is None  # a mandatory stop left out
    assert fleet.checked([[1, 2, 3]]) is None  # over capacity
    assert fleet.checked([[1], [2], [3]]) is None  # more routes than vehicles
    late = _Fleet({**data, "stops": [*data["stops"][:2], {**data["stops"][2], "window": [0, 24]}]})
    assert late.checked([[1, 2], [3]]) is not None and late.checked([[1], [2, 3]]) is None  # 3 reached at 25
    optional = _Fleet({**data, "stops": [*data["stops"][:2], {**data["stops"][2], "mandatory": False}]})
    assert optional.checked([[1, 2]]) == [[1, 2]]


def test_first_arrival_is_the_earliest_start_of_any_visit():
    data = {**SMALL, "stops": [{**s, "window": [0, 500]} if s["id"] == "a" else s for s in SMALL["stops"]]}
    result = solve_instance(data)
    check_route(data, result)
    assert min(result["arrivals"]) == data["first_arrival"]


def test_the_fleet_keeps_its_first_search_when_the_second_finds_nothing(monkeypatch):
    """OR-Tools (when PyVRP finds no plan) shares its time between two guided searches; a second one whose
    first solutions all run out of time leaves the first one's plan usable (OR-Tools reuses the assignment it
    returns)."""
    from routing import fleet
    from tests.benchmarks.peers import check_fleet

    text = (DATA / "solomon" / "C101.txt").read_text()
    for strategy in ("PARALLEL_CHEAPEST_INSERTION", "SAVINGS"):  # each start alone keeps every rule
        data = formats.solomon(text, customers=25, time_limit_s=2)  # importing OR-Tools counts too
        alone = fleet.solve_fleet(data, first_solution=strategy)
        assert check_fleet(data, alone["routes"]) == alone["travel"]
    # The second search's first solutions get a millisecond each: too little for 100 customers.
    monkeypatch.setattr(fleet, "FIRST_SHARE", 1e-9)
    data = formats.solomon(text, time_limit_s=3)
    result = fleet.solve_fleet(data, local_search=False)
    assert "routes" in result, result
    assert check_fleet(data, result["routes"]) == result["travel"]
