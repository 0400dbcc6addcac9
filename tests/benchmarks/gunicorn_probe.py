"""A gunicorn config for the load benchmark's measuring runs (`gunicorn -c tests/benchmarks/gunicorn_probe.py`):
in each worker, once the app is loaded,

- a cProfile per thread and endpoint (push, pull, the rest), timed by the thread's own CPU clock (so
  waits for the database, a lock or the GIL count nothing), dumped when the worker exits as
  `BENCH_PROBE_DIR/<endpoint>-<pid>.prof`, when BENCH_PROFILE is set (profiling slows the worker: the load
  figures of such a run are not the server's);
- always: how long each transaction holds the change counter's row lock, from the statement that takes it
  (its wait for the lock measured apart) to the end of its commit, written to `BENCH_PROBE_DIR/counter-<pid>.json`.

Nothing here changes what the app answers.
"""

keepalive = (
    60  # as deploy/gunicorn.conf.py: gunicorn's 2 s would close a rep's connection while its next request queues
)

import cProfile
import json
import os
import threading
import time
from pathlib import Path

_profiles = {}  # (thread id, endpoint) -> Profile
_held, _waited, _taken = [], [], {}


def _endpoint(path):
    return {"/api/sync/push": "push", "/api/sync/pull": "pull"}.get(path, "other")


def _profiled(app):
    def wsgi(environ, start_response):
        key = (threading.get_ident(), _endpoint(environ.get("PATH_INFO", "")))
        profile = _profiles.get(key)
        if profile is None:
            profile = _profiles[key] = cProfile.Profile(time.thread_time)
        profile.enable()
        try:
            return app(environ, start_response)
        finally:
            profile.disable()

    return wsgi


def _takes_counter(statement):
    """Whether a statement locks the change counter's row (an UPDATE of it, also in a WITH, or a SELECT ... FOR
    UPDATE)."""
    head = statement.lstrip()[:200].upper()
    return "UPDATE SYNC_STATE" in head or ("SYNC_STATE" in head and "FOR UPDATE" in statement.upper())


def _probe_counter(engine):
    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        if _takes_counter(statement):
            context._probe_t0 = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        t0 = getattr(context, "_probe_t0", None)
        if t0 is not None:
            key = id(conn.connection)  # the pool's proxy, as do_commit and do_rollback are given it
            if key not in _taken:
                _taken[key] = time.perf_counter()
                _waited.append(_taken[key] - t0)

    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(connection):
        try:
            commit(connection)
        finally:
            t1 = _taken.pop(id(connection), None)
            if t1 is not None:
                _held.append(time.perf_counter() - t1)

    def do_rollback(connection):
        _taken.pop(id(connection), None)
        rollback(connection)

    dialect.do_commit, dialect.do_rollback = do_commit, do_rollback


def post_worker_init(worker):
    from server.extensions import db

    with worker.wsgi.app_context():
        _probe_counter(db.engine)
    if os.environ.get("BENCH_PROFILE"):
        worker.wsgi = _profiled(worker.wsgi)


def worker_exit(server, worker):
    folder = Path(os.environ["BENCH_PROBE_DIR"])
    pid = os.getpid()
    (folder / f"counter-{pid}.json").write_text(json.dumps({"held": _held, "waited": _waited}))
    merged = {}
    for (_, endpoint), profile in list(_profiles.items()):
        profile.create_stats()
        merged.setdefault(endpoint, []).append(profile)
    import pstats

    for endpoint, profiles in merged.items():
        pstats.Stats(*profiles).dump_stats(folder / f"{endpoint}-{pid}.prof")
