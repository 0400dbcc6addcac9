"""Sync figures: a 5,000-account territory's first pull and a 500-visit push (reps syncing at once under
load: test_sync_load_bench.py).

    make bench                      # SQLite, and PostgreSQL too when TEST_DATABASE_URL is set
"""

import gzip
import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from server import create_app
from server.demo import seed
from server.extensions import db
from server.fastpaths import freeze_startup_heap
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
