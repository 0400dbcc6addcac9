"""The evening batch: 50 reps with 15 candidate stops each, in one process and in one per CPU.

make bench          # target: under 60 s on this 2-core machine
"""

import os
import resource
import time
from datetime import date

from server.demo import seed
from server.extensions import db
from server.models import RoutePlan
from server.route_plans.planner import plan_team
from tests.benchmarks.test_sync_bench import _fresh_app


def _cpu():
    """CPU seconds used by this process and its ended children (the solver processes) so far."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def test_evening_batch_50_reps(tmp_path):
    app, _ = _fresh_app("sqlite", tmp_path, "bench_batch")
    day = date(2026, 12, 2)
    with app.app_context():
        seed("bench-password", reps=50, accounts_per_rep=15, weeks=0, today=day)
        print()
        for workers in (1, os.cpu_count() or 1):
            t0, cpu0 = time.perf_counter(), _cpu()
            outcome = plan_team(day, time_limit_s=2.0, workers=workers)
            seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
            planned = [n for n in outcome.values() if isinstance(n, int)]
            plans = db.session.query(RoutePlan).filter_by(plan_date=day).count()
            print(
                f"evening batch, {len(outcome)} reps x 15 candidates, {workers} worker process(es): {seconds:.1f} s, "
                f"{plans} plans, {sum(planned) / max(len(planned), 1):.1f} stops a rep (target < 60 s); "
                f"{cpu:.1f} s of CPU, {cpu / len(outcome):.2f} s a rep (load average {os.getloadavg()[0]:.1f})"
            )
