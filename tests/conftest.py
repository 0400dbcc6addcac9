"""Fixtures: a migrated database per backend (SQLite always, PostgreSQL when TEST_DATABASE_URL is set).

The server's clock (`server.clock`) can be moved for the whole run with `--clock ISO-INSTANT` (or
`FIELDDAY_CLOCK`; see tests/calendar_guard.py): `pytest -m calendar --clock 2028-02-29T09:00:00+08:00` runs
the tests whose answers depend on the date as if it were that moment. Tests built on a fixed calendar set
the clock themselves with the `clock` fixture.
"""

import atexit
import os
import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask_jwt_extended import create_access_token
from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.serving import make_server

from server import clock as server_clock
from server import create_app
from server.extensions import db
from server.models import Account, Activity, Appointment, Contact, Device, Opportunity, Team, User, Visit
from tests.records import add_visits, writing

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
FAST_HASH = "pbkdf2:sha256:1000"  # tests only: production uses scrypt


class Clock:
    """The `clock` fixture: move the server's clock for one test; it is put back afterwards."""

    now = staticmethod(server_clock.now)
    today = staticmethod(server_clock.today)

    def set(self, at):
        """The clock reads `at` and runs on from there."""
        server_clock.set_now(at)

    def freeze(self, at):
        server_clock.freeze(at)


@pytest.fixture(autouse=True)
def _clock_put_back():
    saved = server_clock.state()
    yield
    server_clock.restore(saved)


@pytest.fixture
def clock():
    return Clock()


# A Wednesday in mid-November, after the test world's fixed history (2 November 2026), no week, month or
# year boundary near it.
FIXED_INSTANT = "2026-11-18T10:00:00+08:00"


@pytest.fixture(scope="module")
def fixed_clock():
    """For a module whose answers do not depend on the date (the territory matrix, maps, photos, settings
    screens …): the server's clock starts at FIXED_INSTANT and runs on for the whole module, its seeding
    included, and the phone's follows it (tests/pwa's phone_context installs a moved server clock in the
    browser). Its clock reads are then not the run's, so the module is not in the calendar set and
    `make test-dates` does not run it again.
    Request it before the module's live server: `pytestmark = pytest.mark.usefixtures("fixed_clock")`."""
    saved = server_clock.state()
    server_clock.set_now(FIXED_INSTANT)
    yield FIXED_INSTANT
    server_clock.restore(saved)


def make_config(url, **extra):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "JWT_SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        "PASSWORD_HASH_METHOD": FAST_HASH,
    }
    config.update(extra)
    return config


def _normalise(url):
    from server.config import _normalise_db_url

    return _normalise_db_url(url)


def reset_schema(url):
    """Start from an empty database and run every migration. A SQLite file is a copy of one this process
    migrated once: running the migrations takes seconds, and every browser module starts a server of its own."""
    if url.startswith("sqlite:///") and ":memory:" not in url:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(_migrated_sqlite(), path)
        return
    _migrate(url)


def _migrate(url):
    app = create_app(make_config(url))
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()


_template = []


def _migrated_sqlite():
    """This process's SQLite file with every migration run and nothing else in it (removed at exit)."""
    if not _template:
        folder = Path(tempfile.mkdtemp(prefix="fieldday-schema-"))
        atexit.register(shutil.rmtree, folder, True)
        _migrate("sqlite:///" + str(folder / "migrated.sqlite3"))
        _template.append(folder / "migrated.sqlite3")
    return _template[0]


def worker_database(url, worker):
    """The PostgreSQL database of one pytest-xdist worker: `<name>_<worker>` beside the one named in
    TEST_DATABASE_URL, created when missing, so parallel workers never share tables. Without xdist the
    URL is used as it is."""
    if worker in (None, "master"):
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    target = make_url(url)
    name = f"{target.database}_{worker}"
    engine = create_engine(target, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return target.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    else:
        url = worker_database(_normalise(os.environ["TEST_DATABASE_URL"]), os.environ.get("PYTEST_XDIST_WORKER"))
    reset_schema(url)
    return url


@pytest.fixture(scope="session")
def shared_app(database_url, tmp_path_factory):
    """One app per backend for the whole run (building one costs about a tenth of a second); each test
    gets it with the configuration, the extensions' state and the rate limits as they were, and leaves
    the database empty (`app`)."""
    saved = os.environ.get("FIELDDAY_INSTANCE")
    os.environ["FIELDDAY_INSTANCE"] = str(tmp_path_factory.mktemp("instance"))
    try:
        return create_app(make_config(database_url))
    finally:
        if saved is None:
            os.environ.pop("FIELDDAY_INSTANCE")
        else:
            os.environ["FIELDDAY_INSTANCE"] = saved


@pytest.fixture
def app(shared_app):
    from server.limits import limiter

    app = shared_app
    config, extensions = dict(app.config), dict(app.extensions)
    with app.app_context():
        limiter.init_app(app)  # another app made since (a live server, a restart) took the limiter over
        limiter.reset()
    yield app
    app.config.clear()
    app.config.update(config)
    for name in set(app.extensions) - set(extensions):
        del app.extensions[name]
    app.extensions.update(extensions)
    with app.app_context():
        db.session.remove()
        # The counter row in sync_state is part of the schema; everything else goes.
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name != "sync_state"]
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.execute(text("TRUNCATE " + ", ".join(t.name for t in tables)))
            else:
                for table in tables:
                    conn.execute(table.delete())
        db.engine.dispose()


class LiveServer:
    """The app served over real HTTP on a free local port, in a thread of this process."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass
class World:
    """Two teams, their people, and one account (with children) per rep."""

    users: dict = field(default_factory=dict)
    accounts: dict = field(default_factory=dict)
    contacts: dict = field(default_factory=dict)
    devices: dict = field(default_factory=dict)
    opportunities: dict = field(default_factory=dict)
    visits: dict = field(default_factory=dict)
    activities: dict = field(default_factory=dict)
    appointments: dict = field(default_factory=dict)
    app: object = None

    def headers(self, username):
        with self.app.app_context():
            user = db.session.get(User, self.users[username])
            token = create_access_token(identity=user)
        return {"Authorization": f"Bearer {token}"}


PASSWORD = "correct horse battery"


@pytest.fixture
def world(app):
    from server.auth.services import hash_password

    w = World(app=app)
    with writing(app):
        pw = hash_password(PASSWORD)
        north, south = Team(name="North"), Team(name="South")
        db.session.add_all([north, south])
        db.session.flush()
        people = [
            ("admin", "admin", None),
            ("m1", "manager", north),
            ("r1", "rep", north),
            ("r2", "rep", north),
            ("m2", "manager", south),
            ("r3", "rep", south),
        ]
        for username, role, team in people:
            user = User(
                username=username,
                password_hash=pw,
                role=role,
                team_id=team.id if team else None,
                start_lat=31.23,
                start_lng=121.47,
            )
            db.session.add(user)
            db.session.flush()
            w.users[username] = user.id
        north.manager_id, south.manager_id = w.users["m1"], w.users["m2"]
        for rep in ("r1", "r2", "r3"):
            account = Account(
                name=f"Account of {rep}",
                address=f"{rep} road 1",
                latitude=31.2,
                longitude=121.4,
                region="Xuhui",
                account_class="A",
                owner_id=w.users[rep],
            )
            db.session.add(account)
            db.session.flush()
            w.accounts[rep] = account.id
            contact = Contact(account_id=account.id, name=f"Contact {rep}", purchase_role="decision_maker")
            device = Device(account_id=account.id, ownership="competitor", brand="Canon", monthly_volume=4000)
            start = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
            opp = Opportunity(
                account_id=account.id, title=f"Deal {rep}", stage="P", owner_id=w.users[rep], opened_at=start
            )
            visit = Visit(
                account_id=account.id,
                rep_id=w.users[rep],
                purpose="Meet the buyer",
                check_in_at=start,
                check_out_at=start + timedelta(minutes=40),
            )
            activity = Activity(
                rep_id=w.users[rep], category="travel", started_at=start - timedelta(minutes=30), ended_at=start
            )
            appointment = Appointment(
                account_id=account.id,
                rep_id=w.users[rep],
                starts_at=start + timedelta(days=1),
                ends_at=start + timedelta(days=1, minutes=45),
                purpose="Demo",
            )
            db.session.add_all([contact, device, opp, activity, appointment])
            add_visits(visit)
            w.contacts[rep], w.devices[rep], w.opportunities[rep] = contact.id, device.id, opp.id
            w.visits[rep], w.activities[rep], w.appointments[rep] = visit.id, activity.id, appointment.id
        db.session.commit()
    return w


def new_id():
    return str(uuid.uuid4())


def iso(year, month, day, hour=0, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC).isoformat()
