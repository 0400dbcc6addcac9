"""Reps syncing at once against gunicorn on PostgreSQL, loaded by an independent client process
(tests/benchmarks/loadclient.py): 100 reps, then 200, each against a freshly started server.

    TEST_DATABASE_URL=postgresql://... make bench
    BENCH_LOAD_SECONDS=60 BENCH_LOAD_REPS=100,200 make bench
    BENCH_LOAD_THINK_MS=500 ...  # each rep pauses this long after each pull (default 0: every rep always has a
                                 # request in flight, which measures the server's capacity; latency is then the
                                 # queue's: reps / throughput)
    BENCH_PROFILE=1 ...   # and where a push and a pull spend the workers' CPU (cProfile; slows the server)
    BENCH_LOAD_BASE=/path/to/a/checkout/of/the/previous/commit BENCH_LOAD_ROUNDS=2 ...
                          # that checkout's server and this one's, in turns, on the same data (the machine's
                          # load changes from minute to minute: only figures from one run compare)

Prints per run: req/s, p50 / p95 / p99 per endpoint, errors, the visits acknowledged and stored (none lost),
the CPU the workers and PostgreSQL used per request of the sync loop (from when every rep has logged in and taken
its first sync), how long a write transaction held the change counter's row lock (and waited for it), and the
machine's load average.
"""

import glob
import json
import os
import pstats
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from server.demo import seed
from server.extensions import db
from server.models import Visit
from tests.benchmarks.gunicorn import ROOT, gunicorn
from tests.benchmarks.test_sync_bench import _fresh_app

PROBE = Path(__file__).with_name("gunicorn_probe.py")
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
REPS = [int(n) for n in os.environ.get("BENCH_LOAD_REPS", "100,200").split(",")]
TARGET_P95_MS = {100: 150, 200: 300}
SERVERS = {"this": ROOT, **({"base": Path(os.environ["BENCH_LOAD_BASE"])} if os.environ.get("BENCH_LOAD_BASE") else {})}
ROUNDS = int(os.environ.get("BENCH_LOAD_ROUNDS", "1"))
THINK_MS = os.environ.get("BENCH_LOAD_THINK_MS", "0")


def _process_cpu(pid):
    """CPU seconds (user + system) a process has used so far; 0 when it is gone or not visible."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_seconds(master, url):
    """CPU used so far by gunicorn's workers (the children of `master`) and by the PostgreSQL backends
    serving this database (when the server runs on this machine, in sight of /proc)."""
    workers = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                    workers.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    engine = create_engine(url)
    with engine.connect() as conn:
        backends = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        ).scalars()
        backends = list(backends)
    engine.dispose()
    return {
        "gunicorn": sum(_process_cpu(pid) for pid in workers),
        "postgresql": sum(_process_cpu(pid) for pid in backends),
        "pg_visible": any(Path(f"/proc/{pid}").exists() for pid in backends),
    }


def _load(port, reps, folder, on_ready):
    """Run the load client process; (its figures, the visit ids it saw acknowledged, what `on_ready()` returned
    once every rep had logged in and taken its first sync, just before the sync loop started)."""
    acked_file = folder / f"acked-{reps}.txt"
    command = [sys.executable, "-m", "tests.benchmarks.loadclient", "--port", str(port), "--reps", str(reps)]
    command += ["--think-ms", THINK_MS]
    with subprocess.Popen(
        [*command, "--seconds", str(SECONDS), "--acked", str(acked_file), "--handshake"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as client:
        if client.stdout.readline().strip() != "ready":
            client.kill()
            raise AssertionError("the load client did not get its reps ready")
        ready = on_ready()
        client.stdin.write("go\n")
        client.stdin.close()
        output = client.stdout.read()
        if client.wait(timeout=SECONDS + 900) != 0:
            raise AssertionError(f"the load client failed:\n{output}")
    *lines, last = output.strip().splitlines()
    print("\n".join(lines))
    return json.loads(last), acked_file.read_text().split(), ready


def _counter_lock(folder, seconds):
    """How long write transactions held the change counter's row lock, from the probe's files."""
    held, waited = [], []
    for name in glob.glob(str(folder / "counter-*.json")):
        data = json.loads(Path(name).read_text())
        held += data["held"]
        waited += data["waited"]
    if not held:
        return "the change counter's lock: no transaction measured"
    held.sort()
    waited.sort()
    return (
        f"the change counter's row lock: {len(held)} transactions held it for median "
        f"{statistics.median(held) * 1000:.1f} ms, p95 {held[int(len(held) * 0.95)] * 1000:.1f} ms, "
        f"{sum(held):.1f} s in all ({100 * sum(held) / seconds:.0f} % of the run); waited for it median "
        f"{statistics.median(waited) * 1000:.1f} ms, p95 {waited[int(len(waited) * 0.95)] * 1000:.1f} ms"
    )


def _profile(folder):
    """The top of the workers' cProfile per endpoint (BENCH_PROFILE)."""
    for endpoint in ("push", "pull"):
        files = glob.glob(str(folder / f"{endpoint}-*.prof"))
        if not files:
            continue
        stats = pstats.Stats(*files)
        print(f"\n--- where the workers' CPU went in {endpoint} (cProfile, all workers), by own time ---")
        stats.sort_stats("tottime").print_stats(20)
        print(f"--- {endpoint}, by cumulative time, the app's own functions ---")
        stats.sort_stats("cumulative").print_stats(r"fieldday|/server/|/sync/", 30)


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="the load run needs PostgreSQL (TEST_DATABASE_URL)")
def test_load_against_gunicorn(tmp_path):
    app, url = _fresh_app("postgresql", tmp_path, "bench_load")
    with app.app_context():
        seed("bench-password", reps=max(REPS), accounts_per_rep=30, weeks=0)
        db.session.remove()
        db.engine.dispose()
    rates, lost = {}, []
    for reps in REPS:
        for turn in range(ROUNDS):
            for name in sorted(SERVERS, reverse=turn % 2 == 1):  # base first, then this; the other way next
                folder = tmp_path / f"{name}-{reps}-{turn}"
                folder.mkdir()
                out, acked = _measured_run(url, folder, reps, name)
                lost += acked["lost"]
                rates.setdefault(name, {}).setdefault(reps, []).append(out["req_per_s"])
    for name, by_reps in rates.items():
        if 100 in by_reps and 200 in by_reps:
            ratio = statistics.median(by_reps[200]) / statistics.median(by_reps[100])
            print(f"[{name}] 200 reps: {ratio:.2f}x the 100-rep throughput (target >= 2x)")
    assert not lost


def _measured_run(url, folder, reps, name):
    """One load run of `reps` reps against a fresh gunicorn serving the checkout `name`; prints its figures."""
    with gunicorn(url, folder, workers=4, config=PROBE, root=SERVERS[name], BENCH_PROBE_DIR=str(folder)) as served:
        print(f"\n[{name}] load average {os.getloadavg()[0]:.1f} before {reps} reps")
        # From when every rep is set up: the logins (a password hash each) and first syncs are not the loop's.
        out, acked, before = _load(served.port, reps, folder, lambda: _cpu_seconds(served.pid, url))
        after = _cpu_seconds(served.pid, url)
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = {str(v) for v in conn.execute(select(Visit.id)).scalars()}
        total = conn.execute(select(func.count()).select_from(Visit)).scalar()
    engine.dispose()
    lost = [v for v in acked if v not in stored]
    used = {part: after[part] - before[part] for part in ("gunicorn", "postgresql")}
    push = out["endpoints"]["push"]
    print(
        f"[{name}] {reps} reps: {out['req_per_s']:.1f} req/s, push p95 {push['p95'] or 0:.0f} ms "
        f"(target < {TARGET_P95_MS.get(reps, '-')} ms), errors {out['errors']}; visits acknowledged "
        f"{len(acked)}, stored {total} in all, lost {len(lost)}"
    )
    if out["requests"]:
        print(
            f"[{name}] CPU: gunicorn workers {used['gunicorn']:.1f} s, PostgreSQL backends "
            f"{used['postgresql']:.1f} s ({'measured' if after['pg_visible'] else 'not visible here'}): "
            f"{(used['gunicorn'] + used['postgresql']) / out['requests'] * 1000:.1f} ms of CPU a request of the "
            f"sync loop (gunicorn {used['gunicorn'] / out['requests'] * 1000:.1f} ms) "
            f"(load average {os.getloadavg()[0]:.1f} at the end)"
        )
    print(f"[{name}] {_counter_lock(folder, out['seconds'])}")
    _profile(folder)
    return out, {"lost": lost}
