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
            conn.execute(
                text(
                    "INSERT INTO teams (id, name, timezone, face_time_target_pct) VALUES (:t, 'T', 'Asia/Shanghai', 30)"
                ),
                {"t": team},
            )
            for user in (old, new):
                conn.execute(
                    text(
                        "INSERT INTO users (id, username, password_hash, role, team_id, active, display_name, "
                        "locale, start_label, first_appointment_time) "
                        "VALUES (:u, :n, 'x', 'rep', :t, true, '', 'zh-CN', '', '08:45:00')"
                    ),
                    {"u": user, "n": user[:8], "t": team},
                )
            conn.execute(
                text(
                    "INSERT INTO accounts (id, name, owner_id, account_class, address, region, industry, "
                    "org_type, last_year_sales, notes) VALUES (:a, 'A', :o, 'A', '', '', '', 'branch', 0, '')"
                ),
                {"a": account, "o": new},
            )
            conn.execute(
                text(
                    "INSERT INTO opportunities (id, account_id, title, owner_id, created_at, updated_at, kind, "
                    "stage, status, man_money, man_authority, man_need, amount, loss_note, stage_changed_at) "
                    "VALUES (:p, :a, 'Deal', :o, '2026-10-05 02:00:00', '2026-10-05 02:00:00', 'replacement', "
                    "'S', 'open', false, false, false, 0, '', '2026-09-20 02:00:00')"
                ),
                {"p": opp, "a": account, "o": old},
            )
            conn.execute(
                text(
                    "INSERT INTO stage_changes (opportunity_id, to_stage, status, changed_at) "
                    "VALUES (:p, 'S', 'open', '2026-09-20 02:00:00')"
                ),
                {"p": opp},
            )
        upgrade()
        with db.engine.connect() as conn:
            owner, opened = conn.execute(text("SELECT owner_id, opened_at FROM opportunities")).one()
        assert uuid.UUID(str(owner)).hex == new
        assert str(opened).startswith("2026-09-20")  # the first recorded stage, not the row's insert time
        db.session.remove()
        db.engine.dispose()


def _without_keys():
    """An account row's values for the columns every revision since d6e7f8a9b0c1 has (no pinyin keys)."""
    from server import clock

    return {
        "address": "",
        "region": "",
        "industry": "",
        "org_type": "head_office",
        "last_year_sales": 0,
        "notes": "",
        "created_at": clock.stamp(),
        "updated_at": clock.stamp(),
    }


def _read_as_the_schema_is(session):
    """ORM reads in `session` leave out the columns later revisions add to the models (the app's code run on an
    older schema, as the revision under test had it): each select of a mapped class defers what the table lacks."""
    import sqlalchemy as sa
    from sqlalchemy.orm import defer

    present = {}

    def missing(mapper):
        table = mapper.local_table
        if table.name not in present:
            present[table.name] = {c["name"] for c in sa.inspect(session.connection()).get_columns(table.name)}
        return [c.key for c in mapper.column_attrs if c.columns[0].name not in present[table.name]]

    @sa.event.listens_for(session, "do_orm_execute")
    def _defer(state):
        if not state.is_select:
            return
        for description in state.statement.column_descriptions:
            entity = description.get("entity")
            if entity is None or description.get("expr") is not entity:
                continue
            lacking = missing(sa.inspect(entity))
            if lacking:
                state.statement = state.statement.options(*(defer(getattr(entity, key)) for key in lacking))

    return _defer


def test_upgrading_keeps_the_reassignments_the_change_log_recorded(empty_url):
    """Before the territory's history had its own table, only the sync log knew who held an account."""
    import uuid

    import sqlalchemy as sa
    from sqlalchemy.orm import defer

    from server.models import Account

    app = create_app(make_config(empty_url))
    with writing(app):
        upgrade(revision="d6e7f8a9b0c1")
        # Users and teams as that revision had them (the models have columns added since).
        team, old, new = (uuid.uuid4() for _ in range(3))
        db.session.execute(
            text("INSERT INTO teams (id, name, timezone, face_time_target_pct) VALUES (:t, 'T', 'Asia/Shanghai', 30)"),
            {"t": team.hex},
        )
        for user, name in ((old, "old"), (new, "new")):
            db.session.execute(
                text(
                    "INSERT INTO users (id, username, password_hash, role, team_id, active, display_name, "
                    "locale, start_label, first_appointment_time) "
                    "VALUES (:u, :n, 'x', 'rep', :t, true, '', 'zh-CN', '', '08:45:00')"
                ),
                {"u": user.hex, "n": name, "t": team.hex},
            )
        # Inserted without the columns later revisions add to the model (the name's pinyin keys), then read
        # without them: the schema here is the old one.
        account_id = uuid.uuid4()
        values = {"id": account_id, "name": "Moved", "owner_id": old, "account_class": "A", "version": 1}
        values |= _without_keys()
        _read_as_the_schema_is(db.session())  # the change log reads the account's visits: not their later columns
        columns = [Account.__table__.c[name] for name in values]
        db.session.execute(sa.table("accounts", *(sa.column(c.name, c.type) for c in columns)).insert().values(values))
        db.session.commit()
        account = db.session.get(
            Account, account_id, options=[defer(Account.name_pinyin), defer(Account.name_initials)]
        )
        assert account.owner_id == old  # read first, as the app's services do
        account.owner_id = new  # written as the app then wrote it: the log notes the previous owner
        db.session.commit()
        ids = (account_id, old, new)
        db.session.remove()
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT account_id, from_owner_id, to_owner_id FROM account_reassignments")).all()
        assert [tuple(uuid.UUID(str(v)) if not isinstance(v, uuid.UUID) else v for v in row) for row in rows] == [ids]
        db.session.remove()
        db.engine.dispose()


def test_upgrading_mends_deals_at_o_that_are_not_won(empty_url):
    """Before O meant won on the server: one deal moved to O and left open, one lost while at O, one won."""
    import uuid

    app = create_app(make_config(empty_url))
    with app.app_context():
        upgrade(revision="a9b0c1d2e3f4")
        team, rep, account = (uuid.uuid4().hex for _ in range(3))
        left_open, lost, won = (uuid.uuid4().hex for _ in range(3))
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO teams (id, name, timezone, face_time_target_pct) VALUES (:t, 'T', 'Asia/Shanghai', 30)"
                ),
                {"t": team},
            )
            conn.execute(
                text(
                    "INSERT INTO users (id, username, password_hash, role, team_id, active, display_name, "
                    "locale, start_label, first_appointment_time) "
                    "VALUES (:u, 'rep', 'x', 'rep', :t, true, '', 'zh-CN', '', '08:45:00')"
                ),
                {"u": rep, "t": team},
            )
            conn.execute(
                text(
                    "INSERT INTO accounts (id, name, owner_id, account_class, address, region, industry, "
                    "org_type, last_year_sales, notes) VALUES (:a, 'A', :o, 'A', '', '', '', 'branch', 0, '')"
                ),
                {"a": account, "o": rep},
            )
            for opp, status, reason, closed in (
                (left_open, "open", None, None),
                (lost, "lost", "price", "2026-10-09 03:00:00"),
                (won, "won", None, "2026-10-08 03:00:00"),
            ):
                conn.execute(
                    text(
                        "INSERT INTO opportunities (id, account_id, title, owner_id, created_at, updated_at, kind, "
                        "stage, status, man_money, man_authority, man_need, amount, loss_note, loss_reason, "
                        "stage_changed_at, opened_at, closed_at, version) VALUES (:p, :a, 'Deal', :o, "
                        "'2026-10-01 02:00:00', '2026-10-01 02:00:00', 'replacement', 'O', :s, false, false, false, "
                        "0, '', :r, '2026-10-07 02:00:00', '2026-10-01 02:00:00', :c, 3)"
                    ),
                    {"p": opp, "a": account, "o": rep, "s": status, "r": reason, "c": closed},
                )
                conn.execute(
                    text(
                        "INSERT INTO stage_changes (opportunity_id, from_stage, to_stage, status, changed_at) "
                        "VALUES (:p, 'D', 'O', 'open', '2026-10-07 02:00:00')"
                    ),
                    {"p": opp},
                )
            before = conn.execute(text("SELECT counter FROM sync_state")).scalar()
        upgrade()
        with db.engine.connect() as conn:
            rows = {
                uuid.UUID(str(row[0])).hex: tuple(str(v) if v is not None else None for v in row[1:])
                for row in conn.execute(text("SELECT id, stage, status, closed_at, version FROM opportunities"))
            }
            history = conn.execute(
                text("SELECT opportunity_id, from_stage, to_stage, status FROM stage_changes ORDER BY id")
            ).all()
            logged = conn.execute(text("SELECT seq, entity, entity_id, version FROM changes ORDER BY seq")).all()
            after = conn.execute(text("SELECT counter FROM sync_state")).scalar()
        assert rows[left_open][:2] == ("O", "won") and rows[left_open][2].startswith("2026-10-07 02:00")
        assert rows[left_open][3] == "4"  # a new version: a phone's edit based on the old one is checked
        assert rows[lost][:2] == ("D", "lost") and rows[lost][3] == "4"  # back to the stage it left for O
        assert rows[won] == ("O", "won", rows[won][2], "3")  # already right: untouched
        assert sorted(tuple(h[1:]) for h in history[3:]) == [("O", "D", "lost"), ("O", "O", "won")]
        assert after == before + 2
        assert {(uuid.UUID(str(e)).hex, v) for _, entity, e, v in logged if entity == "opportunity"} == {
            (left_open, 4),
            (lost, 4),
        }
        db.session.remove()
        db.engine.dispose()


def test_upgrading_a_database_with_users_writes_their_history_from_then_on(empty_url):
    """The users' history starts empty on an existing database; a change made after the upgrade is written."""
    import uuid
    from datetime import time

    from sqlalchemy import select

    from server.models import User, UserChange

    app = create_app(make_config(empty_url))
    with app.app_context():
        upgrade(revision="c3e4f5a6b7d8")
        assert "user_changes" not in inspect(db.engine).get_table_names()
        team, rep = uuid.uuid4(), uuid.uuid4()
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO teams (id, name, timezone, face_time_target_pct) VALUES (:t, 'T', 'Asia/Shanghai', 30)"
                ),
                {"t": team.hex},
            )
            conn.execute(
                text(
                    "INSERT INTO users (id, username, password_hash, role, team_id, active, display_name, "
                    "locale, start_label, first_appointment_time) "
                    "VALUES (:u, 'rep', 'x', 'rep', :t, true, '', 'zh-CN', '', '08:45:00')"
                ),
                {"u": rep.hex, "t": team.hex},
            )
        upgrade()
    with writing(app):
        assert db.session.scalars(select(UserChange)).all() == []
        user = db.session.get(User, rep)
        user.first_appointment_time, user.team_id = time(9, 15), None
        db.session.commit()
        changes = db.session.scalars(select(UserChange.changes)).all()
        assert changes == [{"first_appointment_time": ["08:45", "09:15"], "team_id": [str(team), None]}]
    with app.app_context():
        downgrade(revision="c3e4f5a6b7d8")
        assert "user_changes" not in inspect(db.engine).get_table_names()
        # Closed here, as the other upgrades' apps are: a pool left to the garbage collector warns (an error here)
        # in whichever test runs when it is collected.
        db.session.remove()
        db.engine.dispose()
