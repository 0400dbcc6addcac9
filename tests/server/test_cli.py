import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Account, Opportunity, User, Visit
from server.models.vocab import FUNNEL_STAGES


def test_create_user_reads_the_password_from_stdin(app, runner):
    result = runner.invoke(
        args=["create-user", "alice", "--role", "manager", "--team", "East"], input="a-long-password\n"
    )
    assert result.exit_code == 0, result.output
    client = app.test_client()
    login = client.post("/api/auth/login", json={"username": "alice", "password": "a-long-password"})
    assert login.status_code == 200 and login.get_json()["user"]["role"] == "manager"
    again = runner.invoke(args=["create-user", "alice", "--role", "rep"], input="a-long-password\n")
    assert again.exit_code != 0 and "already exists" in again.output
    twin = runner.invoke(args=["create-user", "Alice", "--role", "rep"], input="a-long-password\n")
    assert twin.exit_code != 0 and "user 'alice' already exists" in twin.output


def test_create_user_refuses_short_passwords(app, runner):
    result = runner.invoke(args=["create-user", "bob", "--role", "rep"], input="short\n")
    assert result.exit_code != 0 and "8 characters" in result.output


def _snapshot(app):
    with app.app_context():
        names = db.session.scalars(select(Account.name).order_by(Account.external_key)).all()
        return {
            "names": names,
            "users": db.session.scalars(select(User.username).order_by(User.username)).all(),
            "stages": set(db.session.scalars(select(Opportunity.stage)).all()),
            "visits": db.session.scalar(select(func.count()).select_from(Visit)),
            "accounts_per_owner": db.session.execute(
                select(Account.owner_id, func.count()).group_by(Account.owner_id)
            ).all(),
        }


@pytest.mark.calendar
def test_seed_demo_is_deterministic_and_complete(app, runner):
    args = ["seed-demo", "--password", "demo-password", "--reps", "3", "--accounts-per-rep", "40", "--weeks", "2"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    first = _snapshot(app)
    assert first["users"] == ["admin", "manager", "rep1", "rep2", "rep3"]
    assert len(first["names"]) == 120 and len(first["accounts_per_owner"]) == 3
    assert first["visits"] > 3 * 2 * 5 * 2  # at least two visits a working day per rep
    refused = runner.invoke(args=args)
    assert refused.exit_code != 0 and "empty database" in refused.output
    assert runner.invoke(args=args + ["--if-empty"]).exit_code == 0
    login = app.test_client().post("/api/auth/login", json={"username": "rep2", "password": "demo-password"})
    assert login.status_code == 200
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            if table.name != "sync_state":  # the change counter's row is part of the schema, as the migration made it
                db.session.execute(table.delete())
        db.session.commit()
    assert runner.invoke(args=args).exit_code == 0
    assert _snapshot(app)["names"] == first["names"]


@pytest.mark.calendar
def test_seed_demo_default_has_every_funnel_stage(app, runner):
    result = runner.invoke(args=["seed-demo", "--weeks", "1"])
    assert result.exit_code == 0, result.output
    assert "(generated)" in result.output
    snapshot = _snapshot(app)
    assert len(snapshot["names"]) >= 600
    assert snapshot["stages"] == set(FUNNEL_STAGES)
