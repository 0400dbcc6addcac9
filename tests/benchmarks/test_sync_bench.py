"""Sync figures: a 5,000-account territory's first pull, a 500-visit push, 100 reps syncing at once.

    make bench                      # SQLite, and PostgreSQL too when TEST_DATABASE_URL is set
    BENCH_LOAD_SECONDS=60 make bench

The load run needs PostgreSQL (TEST_DATABASE_URL) and starts gunicorn on 127.0.0.1.
"""

import gzip
import http.client
import json
import os
import statistics
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from server import create_app
from server.demo import seed
from server.extensions import db
from server.fastpaths import freeze_startup_heap
from server.models import Visit
from tests.benchmarks.gunicorn import gunicorn
from tests.conftest import make_config

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _pg_schema_url(schema):
    from server.config import _normalise_db_url

    base = _normalise_db_url(os.environ["TEST_DATABASE_URL"])
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"


def _fresh_app(backend, tmp_path, schema):
    url = f"sqlite:///{tmp_path}/bench.sqlite3" if backend == "sqlite" else _pg_schema_url(schema)
    app = create_app(make_config(url))
    with app.app_context():
        upgrade()
    return app, url


def _login(client, username):
    response = client.post("/api/auth/login", json={"username": username, "password": "bench-password"})
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_initial_pull_and_push(backend, tmp_path):
    app, _ = _fresh_app(backend, tmp_path, "bench_pull")
    with app.app_context():
        started = time.perf_counter()
        counts = seed("bench-password", reps=1, accounts_per_rep=5000, weeks=0)
        seeded = time.perf_counter() - started
    freeze_startup_heap()  # as wsgi.py does once the app is up
    client = app.test_client()
    plain = _login(client, "rep1")
    headers = {**plain, "Accept-Encoding": "gzip"}

    print(f"\n[{backend}] seeded {counts} in {seeded:.1f}s")
    # The snapshot as this server builds it, and (in turns, same data, same process) with every entity's
    # records built as ORM objects first, as before `fastpaths.row_dump`: each way's parts per page.
    from server.sync_api import services

    ways = {"rows": services.row_dump, "objects": lambda schema, model: None}
    for _ in range(ROUNDS):
        for way, choice in ways.items():
            services.row_dump = choice
            try:
                pages, records, gz_bytes, server_s, parts = _snapshot(app, client, headers)
            finally:
                services.row_dump = ways["rows"]
            print(
                f"[{backend}] initial pull ({way}): {records} records, {pages} pages, {gz_bytes / 1e6:.2f} MB "
                f"gzipped, {server_s:.2f} s server time (target < 3 s, < 2 MB)"
            )
            parts.report(f"{backend}, {way}", server_s, pages)

    account_ids = [c for c in _account_ids(client, headers)][:500]
    now = datetime.now(UTC)
    mutations = [
        {
            "id": str(uuid.uuid4()),
            "seq": i + 1,
            "entity": "visit",
            "entity_id": str(uuid.uuid4()),
            "op": "create",
            "data": {
                "account_id": account_ids[i % len(account_ids)],
                "purpose": "Bench visit",
                "check_in_at": (now - timedelta(minutes=600 - i)).isoformat(),
                "check_out_at": (now - timedelta(minutes=590 - i)).isoformat(),
                "outcome": "ok",
                "next_step": "call back",
            },
        }
        for i in range(500)
    ]
    t0 = time.perf_counter()
    response = client.post(
        "/api/sync/push", json={"client_id": str(uuid.uuid4()), "mutations": mutations}, headers=plain
    )
    push_s = time.perf_counter() - t0
    assert response.status_code == 200
    statuses = {r["status"] for r in response.get_json()["results"]}
    assert statuses == {"applied"}
    print(f"[{backend}] push of 500 visits: {push_s:.2f} s (target < 1 s)")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


ROUNDS = int(os.environ.get("BENCH_PULL_ROUNDS", "2"))


def _snapshot(app, client, headers):
    """Pull a whole snapshot page by page: (pages, records, gzipped bytes, server seconds, PullParts)."""
    cursor, pages, gz_bytes, records, server_s = None, 0, 0, 0, 0.0
    parts = PullParts(app)
    try:
        while True:
            query = "/api/sync/pull?limit=1000" + (f"&cursor={cursor}" if cursor else "")
            t0 = time.perf_counter()
            with parts:
                response = client.get(query, headers=headers)
            server_s += time.perf_counter() - t0
            assert response.status_code == 200
            gz_bytes += len(response.get_data())
            page = json.loads(gzip.decompress(response.get_data()))
            pages += 1
            records += len(page["changes"])
            cursor = page["cursor"]
            if not page["has_more"]:
                return pages, records, gz_bytes, server_s, parts
    finally:
        parts.close()


class PullParts:
    """Where a pull page's server time goes: SQL (the statements as the driver executes them: with psycopg2
    that includes receiving every row; SQLite steps to its rows as they are read, so there part of the SQL
    is counted in the rest), the records' serialisation (their schemas' dump), the page's JSON, its gzip,
    and the rest (rows into ORM objects, the cursor, the request's own machinery). Measured by wrapping
    those calls while pages are requested (`with parts:`)."""

    def __init__(self, app):
        from types import SimpleNamespace

        from sqlalchemy import event

        from server import compression
        from server.sync_api import services

        self.totals = {"sql": 0.0, "dump": 0.0, "json": 0.0, "gzip": 0.0}
        self.active = False
        starts = []
        with app.app_context():
            engine = db.engine

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):
            starts.append(time.perf_counter())

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):
            spent = time.perf_counter() - starts.pop()
            if self.active:
                self.totals["sql"] += spent

        def timed(name, function):
            def wrapper(*args, **kwargs):
                t0 = time.perf_counter()
                try:
                    return function(*args, **kwargs)
                finally:
                    if self.active:
                        self.totals[name] += time.perf_counter() - t0

            return wrapper

        self._engine = engine
        self._listeners = [("before_cursor_execute", _before), ("after_cursor_execute", _after)]
        self._restore = [
            (services, "dump_many", services.dump_many),
            (app.json, "response", app.json.response),
            (compression, "gzip", compression.gzip),
        ]
        services.dump_many = timed("dump", services.dump_many)
        app.json.response = timed("json", app.json.response)
        compression.gzip = SimpleNamespace(compress=timed("gzip", gzip.compress))

    def __enter__(self):
        self.active = True

    def __exit__(self, *exc):
        self.active = False

    def close(self):
        from sqlalchemy import event

        for owner, name, value in self._restore:
            setattr(owner, name, value)
        for name, listener in self._listeners:
            event.remove(self._engine, name, listener)

    def report(self, backend, server_s, pages):
        known = sum(self.totals.values())
        ms = {name: 1000 * value / pages for name, value in self.totals.items()}
        print(
            f"[{backend}] pull per page ({pages} pages): {1000 * server_s / pages:.0f} ms = SQL {ms['sql']:.0f} ms"
            f" + records' dump {ms['dump']:.0f} ms + page JSON {ms['json']:.0f} ms + gzip {ms['gzip']:.0f} ms"
            f" + the rest (rows into objects, cursor, request) {1000 * (server_s - known) / pages:.0f} ms"
        )


def _account_ids(client, headers):
    body = client.get("/api/accounts?per_page=500", headers=headers)
    data = body.get_data()
    if body.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return [a["id"] for a in json.loads(data)["items"]]


class Rep(threading.Thread):
    """One simulated rep: log in and list accounts, wait for `go`, then push a visit, pull changes, repeat
    until `deadline[0]` (set when `go` is)."""

    def __init__(self, port, username, deadline, stats, go):
        super().__init__(daemon=True)
        self.port, self.username, self.deadline, self.stats, self.go = port, username, deadline, stats, go
        self.client_id, self.seq, self.cursor = str(uuid.uuid4()), 0, None
        self.acked = []
        self.ready = threading.Event()  # logged in (or failed to): the sync loop waits for `go`

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        t0 = time.perf_counter()
        try:
            conn.request(
                method,
                path,
                body=json.dumps(body) if body is not None else None,
                headers={"Content-Type": "application/json", **(headers or {})},
            )
            response = conn.getresponse()
            data = response.read()
            status = response.status
        except OSError:
            status, data = 0, b""
        finally:
            conn.close()
        self.stats["latency"].append(time.perf_counter() - t0)
        if status >= 500 or status == 0:
            self.stats["errors"] += 1
        return status, (json.loads(data) if data else None)

    def run(self):
        try:
            status, body = self.request(
                "POST", "/api/auth/login", {"username": self.username, "password": "bench-password"}
            )
            if status != 200:
                self.stats["errors"] += 1
                return
            auth = {"Authorization": f"Bearer {body['access_token']}"}
            status, page = self.request("GET", "/api/accounts?per_page=20", headers=auth)
            accounts = [a["id"] for a in page["items"]]
        finally:
            self.ready.set()
        self.go.wait()
        outbox = []
        while time.time() < self.deadline[0]:
            self.seq += 1
            visit_id = str(uuid.uuid4())
            outbox.append(
                {
                    "id": str(uuid.uuid4()),
                    "seq": self.seq,
                    "entity": "visit",
                    "entity_id": visit_id,
                    "op": "create",
                    "data": {"account_id": accounts[self.seq % len(accounts)], "purpose": "Load visit"},
                }
            )
            status, body = self.request(
                "POST", "/api/sync/push", {"client_id": self.client_id, "mutations": outbox}, headers=auth
            )
            if status == 200:
                self.acked += [m["entity_id"] for m in outbox]
                outbox = []
            query = "/api/sync/pull?limit=200" + (f"&cursor={self.cursor}" if self.cursor else "")
            status, page = self.request("GET", query, headers=auth)
            if status == 200:
                self.cursor = page["cursor"]


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


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="the load run needs PostgreSQL (TEST_DATABASE_URL)")
def test_load_100_reps_against_gunicorn(tmp_path):
    seconds = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
    app, url = _fresh_app("postgresql", tmp_path, "bench_load")
    with app.app_context():
        seed("bench-password", reps=100, accounts_per_rep=30, weeks=0)
        db.session.remove()
        db.engine.dispose()
    with gunicorn(url, tmp_path, workers=4) as served:
        port = served.port
        login, go, deadline = {"latency": [], "errors": 0}, threading.Event(), [0.0]
        reps = [Rep(port, f"rep{i}", deadline, login, go) for i in range(1, 101)]
        started = time.time()
        for rep in reps:
            rep.start()
        for rep in reps:
            rep.ready.wait(timeout=300)
        logins_took = time.time() - started
        cpu_before = _cpu_seconds(served.pid, url)
        stats = {"latency": [], "errors": 0}  # the sync loop's own figures (the reps wait for `go`)
        for rep in reps:
            rep.stats = stats
        started = time.time()
        deadline[0] = started + seconds
        go.set()
        for rep in reps:
            rep.join(timeout=seconds + 120)
        elapsed = time.time() - started
        cpu_after = _cpu_seconds(served.pid, url)
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = {str(v) for v in conn.execute(select(Visit.id)).scalars()}
        total = conn.execute(select(func.count()).select_from(Visit)).scalar()
    engine.dispose()
    acked = [v for rep in reps for v in rep.acked]
    lost = [v for v in acked if v not in stored]
    latencies = sorted(stats["latency"])
    p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else float("nan")
    print(
        f"\n[postgresql/gunicorn] 100 reps logged in and listed their accounts ({len(login['latency'])} requests, "
        f"{login['errors']} errors) in {logins_took:.1f} s; then synced for {elapsed:.0f} s: {len(latencies)} "
        f"requests, {len(latencies) / elapsed:.0f} req/s, p95 {p95 * 1000:.0f} ms, median "
        f"{statistics.median(latencies) * 1000:.0f} ms, errors {stats['errors']}, "
        f"visits acked {len(acked)}, stored {total}, lost {len(lost)}"
    )
    used = {part: cpu_after[part] - cpu_before.get(part, 0.0) for part in cpu_after}
    if latencies:
        print(
            f"[postgresql/gunicorn] CPU over the sync run: gunicorn workers {used['gunicorn']:.1f} s, PostgreSQL "
            f"backends {used['postgresql']:.1f} s ({'measured' if cpu_after['pg_visible'] else 'not visible here'}): "
            f"{(used['gunicorn'] + used['postgresql']) / len(latencies) * 1000:.1f} ms of CPU a request "
            f"(machine load average {os.getloadavg()[0]:.1f} at the end)"
        )
    assert not lost
