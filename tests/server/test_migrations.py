"""Migrations build the schema the models describe, from an empty database, on each backend."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from server import create_app
from server.extensions import db
from tests.conftest import make_config


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
