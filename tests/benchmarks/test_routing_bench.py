"""Routing figures (`make bench`): rep days, public instances, and (test_batch_bench.py) the evening batch.

1. Rep days of 8-25 candidate stops (two fixed appointments, three mandatory stops, lunch) from
   random seeds, and the demo data's days: seconds to the proven optimum, and the gap of what a
   shorter run gives (the local search alone; the 2 s run at 25 stops) to that optimum.
2. Public instances with published values, parsed from their text formats (data/routing/SOURCES.md):
   Dumas TSPTW (proven optima) and Solomon VRPTW C101/R101/RC101 at 25/50/100 customers.
"""

import csv
import statistics
import time
from datetime import date
from pathlib import Path

from routing import Unplannable, formats, solve
from routing.instance import solve_instance
from tests.routing.test_exact import crowded_day
from tests.routing.test_solver import check_plan, matrix_for, objective, random_day

DATA = Path(__file__).resolve().parent / "data" / "routing"
SIZES = (8, 12, 16, 20, 25)
SEEDS = range(5)


def _timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    try:
        return fn(*args, **kwargs), time.perf_counter() - t0
    except Unplannable:
        return None, time.perf_counter() - t0


def test_rep_days():
    print()
    for n in SIZES:
        proof_times, gaps_local, gaps_short, unproven, infeasible = [], [], [], 0, 0
        for seed in SEEDS:
            day = random_day(1000 * n + seed, n=n, appointments=2, mandatory=3)
            matrix = matrix_for(day)
            best, seconds = _timed(solve, day, matrix, time_limit_s=60)
            if best is None:
                infeasible += 1  # random appointments that cannot both be kept: refused, as they should be
                continue
            check_plan(day, best, matrix)
            if not best.proven_optimal:
                unproven += 1
            proof_times.append(seconds)
            local, _ = _timed(solve, day, matrix, time_limit_s=2.0, exact_max=0)
            if local is not None:
                check_plan(day, local, matrix)
                gaps_local.append((objective(day, local) - objective(day, best)) / objective(day, best) * 100)
            if n >= 25:
                short, short_s = _timed(solve, day, matrix, time_limit_s=2.0)
                check_plan(day, short, matrix)
                gaps_short.append(
                    ((objective(day, short) - objective(day, best)) / objective(day, best) * 100, short_s)
                )
        line = (
            f"{n:>2} candidates, {len(proof_times)} days: proven optimum in {len(proof_times) - unproven}, "
            f"seconds median {statistics.median(proof_times):.2f} max {max(proof_times):.2f}, "
            f"{sum(t < 1 for t in proof_times)} under 1 s; local search alone (2 s) gap max {max(gaps_local):.1f} %"
        )
        if gaps_short:
            line += (
                f"; 2 s run vs 60 s run: gap max {max(g for g, _ in gaps_short):.2f} % "
                f"in max {max(s for _, s in gaps_short):.2f} s"
            )
        if infeasible:
            line += f"; {infeasible} refused (mandatory stops cannot all fit)"
        print(line)


def test_crowded_rep_days():
    """Stops a few hundred metres apart with more visiting time than the day holds, as in the evening
    batch: what to drop decides the day, travel only between near-equal choices."""
    print()
    for n in (12, 15, 16):
        times, proven, short_proven = [], 0, 0
        for seed in SEEDS:
            day = crowded_day(100 * n + seed, n=n, appointment=seed % 2 == 0)
            matrix = matrix_for(day)
            best, seconds = _timed(solve, day, matrix, time_limit_s=60)
            check_plan(day, best, matrix)
            times.append(seconds)
            proven += best.proven_optimal
            short, _ = _timed(solve, day, matrix, time_limit_s=2.0)  # as the evening batch runs it
            check_plan(day, short, matrix)
            short_proven += short.proven_optimal
            assert objective(day, short) >= objective(day, best) or not best.proven_optimal
        print(
            f"{n:>2} crowded candidates, {len(times)} days: proven optimum in {proven}, seconds median "
            f"{statistics.median(times):.2f} max {max(times):.2f}; proven within a 2 s run in {short_proven}"
        )


def test_time_limits_are_kept():
    """25 crowded stops cannot be proven in seconds: how far past its time limit does the exact search
    run (it looks at the clock between chunks of labels), and how much memory does it take."""
    import tracemalloc

    from routing.exact import solve_exact

    print()
    for seed in range(3):
        day = crowded_day(250 + seed, n=25, appointment=seed % 2 == 0)
        matrix = matrix_for(day)
        for limit in (0.5, 2.0):
            tracemalloc.start()
            (_, _, proven), seconds = _timed(solve_exact, day, matrix, time_limit_s=limit)
            peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
            print(
                f"exact search, 25 crowded stops, seed {seed}, limit {limit} s: {seconds:.2f} s "
                f"(past the limit by {max(seconds - limit, 0):.2f} s), proven {proven}, peak {peak:.0f} MB"
            )


def test_demo_rep_days(tmp_path):
    from server.demo import seed
    from server.models import User
    from server.route_plans.planner import _prepare
    from tests.benchmarks.test_sync_bench import _fresh_app

    app, _ = _fresh_app("sqlite", tmp_path, "bench_routing")
    day = date(2026, 12, 2)
    with app.app_context():
        seed("bench-password", reps=10, accounts_per_rep=40, weeks=2, today=day)
        jobs = [_prepare(rep, day) for rep in User.query.filter_by(role="rep").order_by(User.username)]
    rows = []
    for job in jobs:
        plan, seconds = _timed(solve, job.day_model, job.matrix, time_limit_s=60)
        if plan is not None:
            check_plan(job.day_model, plan, job.matrix)
        rows.append((len(job.day_model.stops), plan, seconds))
    planned = [r for r in rows if r[1] is not None]
    print(
        f"\ndemo days (10 reps x 40 accounts, {day}): candidates {min(r[0] for r in rows)}-{max(r[0] for r in rows)}, "
        f"stops planned median {statistics.median(len(p.stops) for _, p, _ in planned)}, "
        f"proven optimum {sum(p.proven_optimal for _, p, _ in planned)} of {len(rows)}, "
        f"seconds median {statistics.median(s for *_, s in rows):.2f} max {max(s for *_, s in rows):.2f}"
    )


def test_dumas_tsptw():
    bounds = {
        r["Instance Name"].removesuffix(".txt"): int(r["Best Known Solution"])
        for r in csv.DictReader((DATA / "tsptw" / "bounds.csv").read_text(encoding="utf-8").splitlines())
    }
    print()
    for name, optimum in sorted(bounds.items(), key=lambda kv: (int(kv[0][1 : kv[0].index("w")]), kv[0])):
        data = formats.tsptw((DATA / "tsptw" / f"{name}.txt").read_text(), time_limit_s=10)
        result, seconds = _timed(solve_instance, data)
        travel = result.get("travel")
        gap = "-" if travel is None else f"{(travel - optimum) / optimum * 100:.2f} %"
        print(
            f"TSPTW {name:<12} {len(data['stops']):>3} stops: travel {travel} vs optimum {optimum} "
            f"(gap {gap}), proven {result.get('proven_optimal')}, {seconds:.2f} s"
        )


def test_solomon_vrptw():
    bks = {
        (r["instance"], int(r["customers"])): (int(r["bks_vehicles"]), float(r["bks_distance"]))
        for r in csv.DictReader((DATA / "solomon" / "bks.csv").read_text(encoding="utf-8").splitlines())
    }
    print()
    for (name, customers), (vehicles, best) in sorted(bks.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        limit = {25: 5, 50: 15, 100: 30}[customers]
        data = formats.solomon((DATA / "solomon" / f"{name}.txt").read_text(), customers, time_limit_s=limit)
        result, seconds = _timed(solve_instance, data)
        distance = result["travel"] / formats.SCALE
        print(
            f"Solomon {name:<5} {customers:>3} customers: distance {distance:.1f} with {result['vehicles_used']} "
            f"vehicles vs best known {best:.1f} with {vehicles} (gap {(distance - best) / best * 100:.2f} %), "
            f"{seconds:.1f} s (limit {limit} s)"
        )
