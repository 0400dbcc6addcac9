"""Routing figures: generated rep days of 8-25 stops, exact vs OR-Tools, and the evening batch.

    make bench

Prints, per day size: stops planned, travel minutes, the gap of OR-Tools to the exact optimum
where the exact programme runs (up to 11 stops), and seconds for each.
"""
import time

from server.routing import Unplannable, solve
from server.routing.exact import MAX_STOPS
from tests.routing.test_solver import check_plan, matrix_for, objective, random_day

SIZES = (8, 10, 12, 16, 20, 25)
SEEDS = range(5)


def test_rep_days():
    print()
    for n in SIZES:
        rows, failed = [], 0
        for seed in SEEDS:
            day = random_day(1000 * n + seed, n=n, appointments=2, mandatory=3)
            matrix = matrix_for(day)
            t0 = time.perf_counter()
            try:
                heuristic = solve(day, matrix, time_limit_s=2.0, exact_max=0)
            except Unplannable:
                # Random mandatory stops may not fit together (or the search found no way in time).
                failed += 1
                continue
            t_heur = time.perf_counter() - t0
            check_plan(day, heuristic, matrix)
            exact = t_exact = None
            if n <= MAX_STOPS:
                t0 = time.perf_counter()
                exact = solve(day, matrix)
                t_exact = time.perf_counter() - t0
                check_plan(day, exact, matrix)
            rows.append((heuristic, t_heur, exact, t_exact, day))
        gaps = [(objective(d, h) - objective(d, e)) / objective(d, e) * 100 for h, _, e, _, d in rows if e]
        stops = sum(len(h.stops) for h, *_ in rows) / len(rows)
        travel = sum(h.travel_s for h, *_ in rows) / len(rows) / 60
        line = (f"{n:>2} candidates: {stops:4.1f} stops planned, {travel:5.1f} travel min, "
                f"OR-Tools {max(t for _, t, *_ in rows):.2f} s max")
        if gaps:
            line += (f", exact {max(t for *_, t, _ in rows if t is not None):.2f} s max, "
                     f"OR-Tools gap to exact optimum max {max(gaps):.2f} %")
        if failed:
            line += f", {failed} of {len(SEEDS)} days without a plan (mandatory stops do not fit)"
        print(line)
