"""The evening batch past one machine: 500 reps of 15 candidate stops sent as Celery tasks through Redis to
two worker processes (`celery worker --concurrency 1` each, as two one-core hosts would run them), on
PostgreSQL. Prints the wall time, reps a second, the workers' CPU a rep, and what 5,000 reps would take.

    make bench      # needs TEST_DATABASE_URL (PostgreSQL) and Redis on 127.0.0.1:6379; BENCH_BATCH_REPS=…
"""

import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import pytest

from server.background import celery_for
from server.demo import seed
from server.extensions import db
from server.models import RoutePlan
from server.route_plans.planner import active_reps
from server.route_plans.tasks import fan_out
from tests.benchmarks.test_sync_bench import _fresh_app

ROOT = Path(__file__).resolve().parents[2]
REPS = int(os.environ.get("BENCH_BATCH_REPS", "500"))
WORKERS = 2
BROKER = "redis://127.0.0.1:6379/14"


def _redis_answers():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


def _cpu_seconds(pids):
    """User and system CPU of the processes `pids` and their children (the prefork pool's), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        tree = [pid]
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if children.exists():
            tree += [int(c) for c in children.read_text().split()]
        for p in tree:
            try:
                fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL only (TEST_DATABASE_URL)")
@pytest.mark.skipif(not _redis_answers(), reason="Redis on 127.0.0.1:6379 is not reachable")
def test_evening_batch_through_two_celery_workers(tmp_path):
    app, url = _fresh_app("postgresql", tmp_path, "bench_batch_workers")
    day = date(2026, 12, 2)
    queue = f"fieldday-bench-{uuid.uuid4().hex[:8]}"
    app.config.update(CELERY_BROKER_URL=BROKER, CELERY_QUEUE=queue)
    with app.app_context():
        t0 = time.perf_counter()
        seed("bench-password", reps=REPS, accounts_per_rep=15, weeks=0, today=day)
        seeded = time.perf_counter() - t0
        reps = active_reps(None)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": BROKER,
        "JWT_SECRET_KEY": "bench-secret-key-long-enough-for-hs256",
        "FIELDDAY_INSTANCE": str(tmp_path / "instance"),
    }
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "server.worker:celery",
                "worker",
                "--concurrency",
                "1",
                "--pool",
                "prefork",
                "-Q",
                queue,
                "-n",
                f"bench{i}-{queue}@%h",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--prefetch-multiplier",
                "1",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT if os.environ.get("BENCH_VERBOSE") else subprocess.DEVNULL,
        )
        for i in range(WORKERS)
    ]
    try:
        celery = celery_for(app)
        deadline = time.monotonic() + 180
        while len(celery.control.ping(timeout=1.0) or []) < WORKERS:  # both workers up before the clock starts
            assert all(w.poll() is None for w in workers) and time.monotonic() < deadline, "a worker did not start"
        cpu0 = _cpu_seconds([w.pid for w in workers])
        t0 = time.perf_counter()
        outcome = fan_out(app, reps, day, 2.0, timeout_s=3600)
        wall = time.perf_counter() - t0
        cpu = _cpu_seconds([w.pid for w in workers]) - cpu0
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=60)
    with app.app_context():
        plans = db.session.query(RoutePlan).filter_by(plan_date=day).count()
        db.session.remove()
    planned = [n for n in outcome.values() if isinstance(n, int)]
    assert plans == len(planned) == REPS, {k: v for k, v in outcome.items() if not isinstance(v, int)}
    rate = REPS / wall
    per_worker = rate / WORKERS
    print(
        f"\nevening batch through Celery on Redis, {REPS} reps x 15 candidates (seeded in {seeded:.0f} s), "
        f"{WORKERS} worker processes: {wall:.1f} s, {rate:.2f} reps/s ({per_worker:.2f} per worker process), "
        f"{plans} plans, {sum(planned) / len(planned):.1f} stops a rep, workers' CPU {cpu:.0f} s = {cpu / REPS:.2f} s "
        f"a rep (load average {os.getloadavg()[0]:.1f})"
    )
    print(
        f"5,000 reps at that rate: {5000 / rate / 60:.1f} min on {WORKERS} worker processes; "
        f"{5000 / per_worker / 1800:.1f} worker processes to finish in 30 min"
    )
