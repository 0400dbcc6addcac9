"""A database that drops its connections, and errors nobody expected: every /api answer stays in the
error envelope (503 with Retry-After for a dropped connection, 500 for the unexpected), never the
server's HTML page, and what a phone was told is saved is saved exactly once."""

import random
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import InterfaceError
from sqlalchemy.pool import NullPool

from server import clock, errors
from server.accounts.services import accounts
from server.extensions import db
from server.models import Activity, Change, Visit
from tests.records import writing
from tests.sync.phone import Phone

TERMINATE = text(
    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def assert_envelope(response, status):
    assert response.status_code == status, (response.status_code, response.get_data()[:300])
    assert response.mimetype == "application/json", response.get_data()[:300]
    body = response.get_json()["error"]
    assert body["code"] and body["message"]
    return body


class Answers:
    """The test client as the phones see it: every answer must be a 200 or a 503 in the envelope with
    Retry-After; a 503 reaches the phone as an answer that never came (it keeps its outbox and cursor)."""

    def __init__(self, client):
        self.client, self.counts = client, {200: 0, 503: 0}

    def _check(self, response):
        if response.status_code == 503:
            assert assert_envelope(response, 503)["code"] == "unavailable"
            assert int(response.headers["Retry-After"]) > 0
        else:
            assert response.status_code == 200, (response.status_code, response.get_data()[:300])
            assert response.mimetype == "application/json"
        self.counts[response.status_code] += 1
        return response if response.status_code == 200 else None

    def get(self, *args, **kwargs):
        return self._check(self.client.get(*args, **kwargs))

    def post(self, *args, **kwargs):
        return self._check(self.client.post(*args, **kwargs))


class Terminator:
    """Terminates every other connection to the database (the server's, in use or idle in its pool) at
    chosen moments of the server's own work: before a statement, before a commit, and before a rollback
    (the one that ends a request's session after its answer is built among them)."""

    def __init__(self, engine, url, seed):
        self.engine, self.rng = engine, random.Random(seed)
        self.killer = create_engine(url, poolclass=NullPool)
        # Statements are many, commits and rollbacks a few per request: each kind counts down on its own.
        self.every = {"statement": (8, 40), "commit": (1, 4), "rollback": (1, 6)}
        self.countdown = {where: self.rng.randint(*span) for where, span in self.every.items()}
        self.armed, self.kills = False, dict.fromkeys(self.every, 0)
        self.listeners = [
            ("before_cursor_execute", lambda conn, *_: self.tick("statement")),
            ("commit", lambda conn: self.tick("commit")),
            ("rollback", lambda conn: self.tick("rollback")),
        ]

    def __enter__(self):
        for name, fn in self.listeners:
            event.listen(self.engine, name, fn)
        return self

    def __exit__(self, *exc):
        for name, fn in self.listeners:
            event.remove(self.engine, name, fn)
        self.killer.dispose()

    def tick(self, where):
        if not self.armed:
            return
        self.countdown[where] -= 1
        if self.countdown[where] > 0:
            return
        self.countdown[where] = self.rng.randint(*self.every[where])
        with self.killer.begin() as conn:
            if conn.execute(TERMINATE).first() is not None:
                self.kills[where] += 1


def created(phone):
    """Records this phone created and the server acknowledged as applied: {entity: {id}}."""
    done = {}
    for mutation in phone.outbox_history:
        result = phone.results.get(mutation["id"], {})
        status = result.get("first_status") if result.get("status") == "duplicate" else result.get("status")
        if status == "applied":
            done.setdefault(mutation["entity"], set()).add(mutation["entity_id"])
    return done


@pytest.mark.calendar
def test_terminated_connections_mid_sync_answer_503_or_200_and_lose_or_double_nothing(app, world, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("terminating the server's connections needs PostgreSQL (TEST_DATABASE_URL)")
    answers = Answers(app.test_client())
    phones = [Phone(answers, world.headers("r1")), Phone(answers, world.headers("r2"))]
    for phone in phones:
        phone.outbox_history = []
    with app.app_context():
        engine = db.engine
    with Terminator(engine, database_url, seed=36) as terminator:
        terminator.armed = True
        for round_ in range(12):
            for phone, rep in zip(phones, ("r1", "r2"), strict=True):
                account = str(world.accounts[rep])
                phone.create("visit", {"account_id": account, "purpose": f"Round {round_}"})
                start = clock.now() - timedelta(minutes=60 - round_)
                phone.create(
                    "activity",
                    {
                        "category": "admin",
                        "started_at": start.isoformat(),
                        "ended_at": (start + timedelta(minutes=1)).isoformat(),
                    },
                )
                phone.outbox_history.extend(phone.outbox[-2:])
                phone.push()  # None: a 503, the outbox stays for the next round
                phone.pull_page()  # None: a 503, the cursor stays
        terminator.armed = False
    assert sum(terminator.kills.values()) >= 10 and all(terminator.kills.values()), terminator.kills
    assert answers.counts[503] > 0 and answers.counts[200] > 0, answers.counts

    for phone in phones:  # the database is back: everything still queued goes through
        for _ in range(5):
            if phone.outbox:
                phone.push()
        assert not phone.outbox
        phone.pull()

    with writing(app):
        for phone, rep in zip(phones, ("r1", "r2"), strict=True):
            acknowledged = created(phone)
            assert len(acknowledged["visit"]) == 12 and len(acknowledged["activity"]) == 12
            for entity, model in (("visit", Visit), ("activity", Activity)):
                ids = acknowledged[entity]
                stored = db.session.scalars(select(model.id).where(model.rep_id == world.users[rep])).all()
                stored = {str(i) for i in stored} - {str(world.visits[rep]), str(world.activities[rep])}
                assert stored == ids  # each acknowledged record stored, and nothing else
                creates = db.session.execute(
                    select(Change.entity_id, func.count())
                    .where(Change.entity == entity, Change.version == 1)
                    .group_by(Change.entity_id)
                ).all()
                assert all(n == 1 for record, n in creates if str(record) in ids)  # logged once each
                assert {i for (e, i) in phone.store if e == entity} >= ids  # and pulled by its phone


@pytest.mark.calendar
def test_a_connection_lost_after_the_answer_is_built_keeps_the_answer(app, world, monkeypatch):
    """Ending the request's session rolls back; when that fails on a dropped connection, the answer
    already built stands and the connection is given up, on any database."""
    client = app.test_client()
    real_remove, failed = db.session.remove, []

    def remove_on_a_dropped_connection():
        if not failed:
            failed.append(True)
            raise InterfaceError("ROLLBACK", {}, Exception("the connection is closed"), connection_invalidated=True)
        real_remove()

    monkeypatch.setattr(db.session, "remove", remove_on_a_dropped_connection)
    response = client.get(f"/api/accounts/{world.accounts['r1']}", headers=world.headers("r1"))
    assert response.status_code == 200 and response.get_json()["id"] == str(world.accounts["r1"])
    assert failed
    assert client.get("/api/health").status_code == 200


def test_an_unexpected_exception_in_an_api_route_is_a_json_500(app, world, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug nobody foresaw")

    monkeypatch.setattr(accounts, "list", broken)
    client = app.test_client()
    response = client.get("/api/accounts", headers=world.headers("r1"))
    body = assert_envelope(response, 500)
    assert body["code"] == "internal_error" and "a bug" not in body["message"]
    assert "<html" not in response.get_data(as_text=True).lower()
    assert "unhandled error" in caplog.text and "a bug nobody foresaw" in caplog.text


@pytest.mark.parametrize(
    "error",
    [
        InterfaceError("SELECT 1", {}, Exception("the connection is closed"), connection_invalidated=True),
        psycopg.OperationalError("server closed the connection unexpectedly"),
    ],
    ids=["invalidated", "driver"],
)
def test_a_dropped_connection_however_it_surfaces_is_a_503_with_retry_after(app, world, monkeypatch, error):
    def dropped(*args, **kwargs):
        raise error

    monkeypatch.setattr(accounts, "list", dropped)
    response = app.test_client().get("/api/accounts", headers=world.headers("r1"))
    assert assert_envelope(response, 503)["code"] == "unavailable"
    assert int(response.headers["Retry-After"]) > 0


def test_an_exception_that_escapes_flask_on_an_api_path_is_still_the_envelope(app):
    """The last resort, outside Flask: a failing teardown or error handler on /api (as in production,
    where exceptions are not propagated) answers the JSON 500; other paths are left to the server."""
    app.config["TESTING"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def inner(environ, start_response):
        raise RuntimeError("a teardown that failed")

    wrapper = errors.ApiLastResort(app, inner)
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen.update(status=status, headers=dict(headers))

    body = b"".join(wrapper({"PATH_INFO": "/api/sync/pull", "REQUEST_METHOD": "GET"}, start_response))
    assert seen["status"].startswith("500") and seen["headers"]["Content-Type"] == "application/json"
    assert b'"code": "internal_error"' in body
    with pytest.raises(RuntimeError):
        wrapper({"PATH_INFO": "/", "REQUEST_METHOD": "GET"}, start_response)
    app.config["TESTING"] = True
    with pytest.raises(RuntimeError):  # tests see the exception itself
        wrapper({"PATH_INFO": "/api/sync/pull", "REQUEST_METHOD": "GET"}, start_response)


def test_the_pool_checks_a_connection_before_each_use():
    from server.config import Config

    assert Config(env={"JWT_SECRET_KEY": "x" * 40}).SQLALCHEMY_ENGINE_OPTIONS["pool_pre_ping"] is True
