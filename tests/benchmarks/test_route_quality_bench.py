"""Ours against PyVRP (and VROOM on Solomon) at equal time, one solver at a time (`make bench`; issue #32).

Every plan, ours or a peer's, is checked from the instance alone (tests/routing/test_solver.check_plan
for days, peers.check_fleet for fleets) before its objective counts. Per instance and per group: the
objective (travel + priority x PENALTY_UNIT for each optional stop left out; travel alone where every stop
is mandatory), the gap to the published value where there is one, the stops kept, the seconds, and the
ratio ours/peer (< 1: ours better; a group's is the geometric mean).

Kept short by default (a subset at one limit); the environment widens it:
  ROUTE_BENCH_LIMITS="2,10"  time limits of the rep days (seconds)
  ROUTE_BENCH_SEEDS=10       rep days per size
  ROUTE_BENCH_BATCH_REPS=10  reps of the demo team whose evening batch days are solved (at ROUTE_BENCH_LIMITS)
  ROUTE_BENCH_SOLOMON=all    every Solomon 100 instance in ../shared/benchmarks/routing (else a subset)
  ROUTE_BENCH_SOLOMON=C101,R112  those Solomon instances
  ROUTE_BENCH_SOLOMON_S=30   the limit on Solomon;  ROUTE_BENCH_DUMAS_S=5 the limit on Dumas
  ROUTE_BENCH_DUMAS_N=100    every Dumas instance of up to 100 customers (else a subset)
Peers are skipped (ours still measured and checked) when the `bench` extra is not installed.
"""

import csv
import math
import os
import statistics
import time
from pathlib import Path

from routing import NoPlanFound, Unplannable, formats, solve
from routing.instance import day_from_instance, solve_instance
from tests.benchmarks.peers import (
    HAVE_PYVRP,
    HAVE_VROOM,
    check_fleet,
    plan_from_order,
    pyvrp_day,
    pyvrp_fleet,
    vroom_fleet,
)
from tests.routing.test_solver import check_plan, matrix_for, objective, random_day

LOCAL = Path(__file__).resolve().parent / "data" / "routing"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "routing"
if not SHARED.exists():
    SHARED = Path("/work/shared/benchmarks/routing")
SOLOMON_SUBSET = ("C101", "C201", "R101", "R112", "R205", "RC105", "RC208")
DUMAS_SUBSET = ("n20w20.001", "n40w60.001", "n60w20.001", "n100w20.001", "n150w60.001", "n200w20.001")


def _env_list(name, default):
    return [float(x) for x in os.environ.get(name, default).split(",")]


def _timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    try:
        out = fn(*args, **kwargs)
    except (Unplannable, NoPlanFound):
        out = None
    return out, time.perf_counter() - t0


def _geomean(ratios):
    return math.exp(statistics.fmean(math.log(r) for r in ratios)) if ratios else float("nan")


def _side_by_side(day, matrix, limit, peer_seed):
    """Ours and PyVRP on one day at `limit` seconds, each plan checked: (our objective, PyVRP's, a line)."""
    ours, ours_s = _timed(solve, day, matrix, time_limit_s=limit)
    if ours is not None:
        check_plan(day, ours, matrix)
    peer, peer_s = None, 0.0
    if HAVE_PYVRP:
        order, peer_s = _timed(pyvrp_day, day, matrix, limit, seed=peer_seed)
        peer = None if order is None else plan_from_order(day, order, matrix)
        if peer is not None:
            check_plan(day, peer, matrix)
    o = None if ours is None else objective(day, ours)
    p = None if peer is None else objective(day, peer)
    ratio = f"{o / p:.4f}" if o is not None and p is not None else "-"
    line = (
        f"ours {o} ({len(ours.stops) if ours else '-'} stops, {ours_s:.2f} s"
        f"{', proven' if ours and ours.proven_optimal else ''}) | PyVRP {p} "
        f"({len(peer.stops) if peer else '-'} stops, {peer_s:.2f} s) | ratio {ratio}"
    )
    return o, p, line


def _summary(label, rows):
    """rows: (ours, peer) objectives, None when that solver had no checked plan."""
    both = [(o, p) for o, p in rows if o is not None and p is not None]
    ratios = [o / p for o, p in both]
    worse = sum(o > p for o, p in both)
    better = sum(o < p for o, p in both)
    missing = sum(o is None for o, _ in rows)
    print(
        f"  {label}: ours/peer geometric mean {_geomean(ratios):.4f} over {len(both)}; ours better on {better}, "
        f"worse on {worse}, equal on {len(both) - better - worse}; ours without a plan on {missing}"
    )


def test_rep_days_against_pyvrp():
    """Seeded rep days (two fixed appointments, three mandatory stops, lunch, 08:45, optional stops by
    priority) of 20, 30 and 50 candidates."""
    seeds = range(int(os.environ.get("ROUTE_BENCH_SEEDS", "5")))
    print()
    for limit in _env_list("ROUTE_BENCH_LIMITS", "2"):
        for n in (20, 30, 50):
            rows = []
            print(f"rep days, {n} candidates, {limit:g} s (objective, stops kept, seconds):")
            for seed in seeds:
                day = random_day(7000 + 100 * n + seed, n=n, appointments=2, mandatory=3)
                o, p, line = _side_by_side(day, matrix_for(day), limit, seed + 1)
                rows.append((o, p))
                print(f"    seed {seed}: {line}")
            _summary(f"{n} candidates at {limit:g} s", rows)


def test_evening_batch_days_against_pyvrp(tmp_path):
    """The days the evening batch plans, built as it builds them (server.route_plans.planner.prepare_team): the
    demo team's reps with their tomorrow's appointment, their due and never-visited accounts (the 25 most
    valuable optional), the team's lunch and 08:45, geodesic travel times; each solved as the batch does."""
    from datetime import date

    from server.demo import seed
    from server.route_plans.planner import prepare_team
    from tests.benchmarks.test_sync_bench import _fresh_app

    reps = int(os.environ.get("ROUTE_BENCH_BATCH_REPS", "10"))
    app, _ = _fresh_app("sqlite", tmp_path, "bench_route_batch")
    today = date(2026, 12, 2)  # a Wednesday: the batch plans Thursday
    with app.app_context():
        seed("bench-password", reps=reps, accounts_per_rep=60, weeks=2, today=today)
        refused, jobs = prepare_team(date(2026, 12, 3))
    print(f"\nevening batch days, {len(jobs)} reps ({len(refused)} without a day: {refused})")
    for limit in _env_list("ROUTE_BENCH_LIMITS", "2"):
        rows = []
        print(f"evening batch days, {limit:g} s (candidates, objective, stops kept, seconds):")
        for seed_no, job in enumerate(jobs):
            day = job.day_model
            o, p, line = _side_by_side(day, job.matrix, limit, seed_no + 1)
            rows.append((o, p))
            mandatory = sum(s.mandatory for s in day.stops)
            print(f"    {job.username} ({len(day.stops)} candidates, {mandatory} mandatory): {line}")
        _summary(f"evening batch days at {limit:g} s", rows)


def _solomon_names():
    chosen = os.environ.get("ROUTE_BENCH_SOLOMON")
    if chosen == "all":
        return sorted(p.stem for p in (SHARED / "solomon" / "instances").glob("*.txt"))
    return chosen.split(",") if chosen else SOLOMON_SUBSET


def _dumas_names():
    """The subset, or (ROUTE_BENCH_DUMAS_N) every instance of at most that many customers, smallest first."""
    most = os.environ.get("ROUTE_BENCH_DUMAS_N")
    if not most:
        return DUMAS_SUBSET

    def size(name):  # n20w100.001 -> (20, 100, 1)
        n, rest = name[1:].split("w")
        width, number = rest.split(".")
        return int(n), int(width), int(number)

    names = [p.stem for p in (SHARED / "tsptw" / "Dumas").glob("n*w*.txt")]
    return sorted((name for name in names if size(name)[0] <= int(most)), key=size)


def test_solomon_against_pyvrp_and_vroom():
    """Solomon VRPTW 100: distance gap to the best known, ours vs PyVRP and VROOM at equal time (VROOM's
    timeout the same limit; its construction is not bound by it, so it may take a little longer)."""
    bks = {
        r["instance"]: float(r["bks_distance"])
        for r in csv.DictReader((SHARED / "solomon" / "solomon_bks.csv").read_text(encoding="utf-8").splitlines())
        if r["customers"] == "100"
    }
    limit = float(os.environ.get("ROUTE_BENCH_SOLOMON_S", "5"))
    print(f"\nSolomon 100 at {limit:g} s: distance (gap to best known %, vehicles, seconds)")
    gaps, rows, vroom_rows = {"ours": [], "pyvrp": [], "vroom": []}, [], []
    for name in _solomon_names():
        text = (SHARED / "solomon" / "instances" / f"{name}.txt").read_text()
        data = formats.solomon(text, None, time_limit_s=limit)
        best = bks[name]
        line = [f"  {name:<6}"]
        result, seconds = _timed(solve_instance, data)
        ours = None
        if "routes" in result:
            ours = check_fleet(data, result["routes"]) / formats.SCALE
            gaps["ours"].append((ours - best) / best * 100)
            line.append(f"ours {ours:.1f} ({gaps['ours'][-1]:.2f} %, {len(result['routes'])} v, {seconds:.1f} s)")
        else:
            line.append(f"ours {result.get('error')}")
        peer = None
        if HAVE_PYVRP:
            routes, seconds = _timed(pyvrp_fleet, data, limit)
            if routes is not None:
                peer = check_fleet(data, routes) / formats.SCALE
                gaps["pyvrp"].append((peer - best) / best * 100)
                line.append(f"PyVRP {peer:.1f} ({gaps['pyvrp'][-1]:.2f} %, {len(routes)} v, {seconds:.1f} s)")
        vroom = None
        if HAVE_VROOM:
            routes, seconds = _timed(vroom_fleet, data, limit)
            if routes is not None:
                vroom = check_fleet(data, routes) / formats.SCALE
                gaps["vroom"].append((vroom - best) / best * 100)
                line.append(f"VROOM {vroom:.1f} ({gaps['vroom'][-1]:.2f} %, {seconds:.1f} s)")
        rows.append((ours, peer))
        vroom_rows.append((ours, vroom))
        ratio = f"{ours / peer:.4f}" if ours and peer else "-"
        print(" | ".join(line) + f" | ours/PyVRP {ratio}")
    for who, values in gaps.items():
        if values:
            print(f"  mean gap to best known, {who}: {statistics.fmean(values):.2f} % over {len(values)}")
    _summary("ours vs PyVRP", rows)
    _summary("ours vs VROOM", vroom_rows)


def test_dumas_against_pyvrp():
    """Dumas TSPTW (every stop mandatory, one vehicle): travel against the proven optimum."""
    optimum = {}
    for row in csv.reader((SHARED / "tsptw" / "Traveltime_Bounds.csv").read_text(encoding="utf-8").splitlines()):
        if len(row) > 2 and row[0] == "Dumas":
            optimum[row[1].removesuffix(".txt")] = int(row[2])
    limit = float(os.environ.get("ROUTE_BENCH_DUMAS_S", "5"))
    print(f"\nDumas TSPTW at {limit:g} s: travel (gap to optimum %, seconds)")
    rows, at_optimum = [], {"ours": 0, "pyvrp": 0}
    for name in _dumas_names():
        path = SHARED / "tsptw" / "Dumas" / f"{name}.txt"
        if not path.exists():
            path = LOCAL / "tsptw" / f"{name}.txt"
        data = formats.tsptw(path.read_text(), time_limit_s=limit)
        day, matrix = day_from_instance(data)
        best = optimum.get(name)
        result, seconds = _timed(solve_instance, data)
        ours = None
        if "route" in result:
            plan = plan_from_order(day, [int(s) - 1 for s in result["route"]], matrix)
            check_plan(day, plan, matrix)
            ours = plan.travel_s
            at_optimum["ours"] += ours == best
        line = [f"  {name:<12} optimum {best}", f"ours {ours or result.get('error')} ({seconds:.1f} s)"]
        peer = None
        if HAVE_PYVRP:
            order, seconds = _timed(pyvrp_day, day, matrix, limit)
            plan = None if order is None else plan_from_order(day, order, matrix)
            if plan is not None:
                check_plan(day, plan, matrix)
                peer = plan.travel_s
                at_optimum["pyvrp"] += peer == best
            line.append(f"PyVRP {peer} ({seconds:.1f} s)")
        rows.append((ours, peer))
        print(" | ".join(line) + (f" | ratio {ours / peer:.4f}" if ours and peer else ""))
    print(f"  at the optimum: ours {at_optimum['ours']}, PyVRP {at_optimum['pyvrp']} of {len(rows)}")
    _summary("ours vs PyVRP", rows)
