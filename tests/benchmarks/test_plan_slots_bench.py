"""Route plans in a burst against gunicorn as a production host runs it (`-w 2 --threads 4`): 8, then 50
simultaneous plans, while a prober measures what the other users need meanwhile: the health check, a
login and a sync push. A plan that finds every solver slot taken is refused at once (503 planner_busy
with Retry-After) instead of holding one of the worker's threads, so those stay quick.

    make bench        # on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set
"""

import json
import statistics
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

from server.demo import seed
from server.extensions import db
from tests.benchmarks.gunicorn import gunicorn
from tests.benchmarks.test_sync_bench import BACKENDS, _fresh_app
from tests.pwa.conftest import today_local

PASSWORD = "bench-password"
REPS = 10


def _call(port, path, token=None, body=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.loads(answer.read() or b"null"), dict(answer.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null"), dict(exc.headers)


def _login(port, username):
    return _call(port, "/api/auth/login", body={"username": username, "password": PASSWORD})


def _pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


class Prober(threading.Thread):
    """Health, login and a one-visit sync push in turn, until told to stop; each latency kept."""

    def __init__(self, port, token, account_id):
        super().__init__(daemon=True)
        self.port, self.token, self.account_id = port, token, account_id
        self.client_id, self.seq = str(uuid.uuid4()), 0
        self.stop, self.times, self.errors = threading.Event(), {"health": [], "login": [], "sync push": []}, []

    def timed(self, name, call, ok=200):
        t0 = time.perf_counter()
        status = call()[0]
        self.times[name].append(time.perf_counter() - t0)
        if status != ok:
            self.errors.append((name, status))

    def push(self):
        self.seq += 1
        mutation = {
            "id": str(uuid.uuid4()),
            "seq": self.seq,
            "entity": "visit",
            "entity_id": str(uuid.uuid4()),
            "op": "create",
            "data": {"account_id": self.account_id, "purpose": "Bench visit"},
        }
        return _call(self.port, "/api/sync/push", self.token, {"client_id": self.client_id, "mutations": [mutation]})

    def run(self):
        while not self.stop.is_set():
            self.timed("health", lambda: _call(self.port, "/api/health"))
            self.timed("login", lambda: _login(self.port, "rep1"))
            self.timed("sync push", self.push)
            time.sleep(0.05)


def _burst(port, tokens, day, n, account_id, prober_token):
    prober = Prober(port, prober_token, account_id)
    answers, start = [], threading.Barrier(n + 1)

    def plan(token):
        start.wait()
        t0 = time.perf_counter()
        status, body, headers = _call(port, "/api/routes/plan", token, {"date": day, "preview": True})
        answers.append((status, time.perf_counter() - t0, headers.get("Retry-After"), body))

    planners = [threading.Thread(target=plan, args=(tokens[i % len(tokens)],)) for i in range(n)]
    for thread in planners:
        thread.start()
    prober.start()
    start.wait()
    for thread in planners:
        thread.join(300)
    time.sleep(0.5)  # a moment after the burst too
    prober.stop.set()
    prober.join(60)
    return answers, prober


@pytest.mark.parametrize("backend", BACKENDS)
def test_plans_in_a_burst_leave_health_login_and_sync_quick(backend, tmp_path):
    today = today_local()
    app, url = _fresh_app(backend, tmp_path, "bench_plans")
    with app.app_context():
        seed(PASSWORD, reps=REPS, accounts_per_rep=40, weeks=1, today=today)
        db.session.remove()
        db.engine.dispose()
    # The solver slots are measured here, not the per-user limit.
    with gunicorn(url, tmp_path, workers=2, PLAN_RATE_LIMIT="10000 per minute") as served:
        port = served.port
        tokens = [_login(port, f"rep{i}")[1]["access_token"] for i in range(1, REPS + 1)]
        prober_token = tokens[0]
        account_id = _call(port, "/api/accounts?per_page=1", prober_token)[1]["items"][0]["id"]
        quiet = Prober(port, prober_token, account_id)
        quiet.start()
        time.sleep(3)
        quiet.stop.set()
        quiet.join(60)
        print(f"\n[{backend}/gunicorn -w 2 --threads 4, PLAN_CONCURRENCY 1 per worker]")
        for label, times in quiet.times.items():
            print(
                f"  no plans: {label:9} p50 {_pct(times, 0.5):6.0f} ms  p95 {_pct(times, 0.95):6.0f} ms  ({len(times)})"
            )
        for n in (8, 50):
            t0 = time.perf_counter()
            answers, prober = _burst(port, tokens, today.isoformat(), n, account_id, prober_token)
            took = time.perf_counter() - t0
            codes = [a[0] for a in answers]
            busy = [a for a in answers if a[0] == 503]
            assert set(codes) <= {200, 503}, [a for a in answers if a[0] not in (200, 503)][:3]
            assert all(a[3]["error"]["code"] == "planner_busy" and a[2] for a in busy), busy[:3]
            solved = [a[1] for a in answers if a[0] == 200]
            print(
                f"  {n} simultaneous plans: {codes.count(200)} solved (p50 {_pct(solved, 0.5):.0f} ms), "
                f"{len(busy)} refused 503 in p50 {_pct([a[1] for a in busy], 0.5) if busy else 0:.0f} ms / "
                f"max {max((a[1] for a in busy), default=0) * 1000:.0f} ms with Retry-After "
                f"{sorted({a[2] for a in busy})}; burst {took:.1f} s"
            )
            for label, times in prober.times.items():
                print(
                    f"    meanwhile {label:9} p50 {_pct(times, 0.5):6.0f} ms  p95 {_pct(times, 0.95):6.0f} ms  "
                    f"max {max(times) * 1000:6.0f} ms  ({len(times)})"
                )
            assert not prober.errors, prober.errors[:5]
            assert statistics.median(prober.times["health"]) < 2.0
