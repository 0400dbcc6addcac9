"""Migrations build the schema the models describe, from an empty database, on each backend."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from server import create_app
from server.extensions import db
from tests.conftest import make_config
from tests.records import writing


@pytest.fixture
def empty_url(database_url, tmp_path):
    """An empty database of the same backend: a new SQLite file, or a fresh PostgreSQL schema."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/empty.sqlite3"
        return
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migration_test CASCADE"))
        conn.execute(text("CREATE SCHEMA migration_test"))
    sep = "&" if "?" in database_url else "?"
    yield f"{database_url}{sep}options=-csearch_path%3Dmigration_test"
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA migration_test CASCADE"))
    engine.dispose()


def test_upgrade_from_empty_matches_the_models(empty_url):
    app = create_app(make_config(empty_url))
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []
        tables = set(inspect(db.engine).get_table_names())
        assert {"accounts", "visits", "activities", "route_plans", "revoked_tokens"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.session.remove()
        db.engine.dispose()


def test_upgrading_gives_opened_at_and_hands_deals_to_their_accounts_owner(empty_url):
    """Data written before these migrations: an opportunity without opened_at, left with a former owner."""
    import uuid

    app = create_app(make_config(empty_url))
    with app.app_context():
        upgrade(revision="9d7f0cf20a1e")
        team, old, new, account, opp = (uuid.uuid4().hex for _ in range(5))
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO teams (id, name, timezone, face_time_target_pct) VALUES (:t, 'T', 'Asia/Shanghai', 30)"),
                         {"t": team})
            for user in (old, new):
                conn.execute(text("INSERT INTO users (id, username, password_hash, role, team_id, active, display_name, "
                                  "locale, start_label, first_appointment_time) "
                                  "VALUES (:u, :n, 'x', 'rep', :t, true, '', 'zh-CN', '', '08:45:00')"),
                             {"u": user, "n": user[:8], "t": team})
            conn.execute(text("INSERT INTO accounts (id, name, owner_id, account_class, address, region, industry, "
                              "org_type, last_year_sales, notes) VALUES (:a, 'A', :o, 'A', '', '', '', 'branch', 0, '')"),
                         {"a": account, "o": new})
            conn.execute(text("INSERT INTO opportunities (id, account_id, title, owner_id, created_at, updated_at, kind, "
                              "stage, status, man_money, man_authority, man_need, amount, loss_note, stage_changed_at) "
                              "VALUES (:p, :a, 'Deal', :o, '2026-10-05 02:00:00', '2026-10-05 02:00:00', 'replacement', "
                              "'S', 'open', false, false, false, 0, '', '2026-09-20 02:00:00')"),
                         {"p": opp, "a": account, "o": old})
            conn.execute(text("INSERT INTO stage_changes (opportunity_id, to_stage, status, changed_at) "
                              "VALUES (:p, 'S', 'open', '2026-09-20 02:00:00')"), {"p": opp})
        upgrade()
        with db.engine.connect() as conn:
            owner, opened = conn.execute(text("SELECT owner_id, opened_at FROM opportunities")).one()
        assert uuid.UUID(str(owner)).hex == new
        assert str(opened).startswith("2026-09-20")  # the first recorded stage, not the row's insert time
        db.session.remove()
        db.engine.dispose()


def test_upgrading_keeps_the_reassignments_the_change_log_recorded(empty_url):
    """Before the territory's history had its own table, only the sync log knew who held an account."""
    import uuid

    from server.models import Account, Team, User

    app = create_app(make_config(empty_url))
    with writing(app):
        upgrade(revision="d6e7f8a9b0c1")
        team = Team(name="T")
        db.session.add(team)
        db.session.flush()
        old, new = (User(username=name, password_hash="x", role="rep", team_id=team.id) for name in ("old", "new"))
        db.session.add_all([old, new])
        db.session.flush()
        account = Account(name="Moved", owner_id=old.id, account_class="A")
        db.session.add(account)
        db.session.commit()
        assert account.owner_id == old.id  # read first, as the app's services do
        account.owner_id = new.id  # written as the app then wrote it: the log notes the previous owner
        db.session.commit()
        ids = (account.id, old.id, new.id)
        db.session.remove()
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT account_id, from_owner_id, to_owner_id FROM account_reassignments")).all()
        assert [tuple(uuid.UUID(str(v)) if not isinstance(v, uuid.UUID) else v for v in row) for row in rows] == [ids]
        db.session.remove()
        db.engine.dispose()
