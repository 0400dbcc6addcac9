"""`flask backup` and `flask restore` on SQLite and PostgreSQL, and the phones' reset after a restore."""

import shutil

import pytest

from server.extensions import db
from server.models import Account, SyncState
from tests.records import writing
from tests.sync.phone import Phone


def _notes(app, account_id):
    with writing(app):
        return db.session.get(Account, account_id).notes


def _epoch(app):
    with writing(app):
        return db.session.get(SyncState, 1).epoch


@pytest.mark.calendar
def test_a_restore_puts_the_backup_back_and_every_phone_takes_its_snapshot_again(app, client, world, runner, tmp_path):
    account = world.accounts["r1"]
    headers = world.headers("r1")
    before, after = Phone(client, headers), Phone(client, headers)
    before.pull()  # synced before the backup: its cursor stands at the backup's last change
    path = tmp_path / "fieldday.backup"
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert path.stat().st_size > 0 and "backed up the" in result.output
    epoch = _epoch(app)

    assert (
        client.patch(f"/api/accounts/{account}", json={"notes": "after the backup"}, headers=headers).status_code == 200
    )
    after.pull()  # synced after the backup: it holds a change the restore takes away
    assert after.store[("account", str(account))]["data"]["notes"] == "after the backup"

    assert runner.invoke(args=["restore", str(path)], input="n\n").exit_code != 0  # asked first; "no" changes nothing
    assert _notes(app, account) == "after the backup"
    result = runner.invoke(args=["restore", "--yes", str(path)])
    assert result.exit_code == 0, result.output
    assert "every phone takes its snapshot again" in result.output
    assert _notes(app, account) != "after the backup"  # the backup's records are back
    assert _epoch(app) != epoch

    for phone in (after, before):
        page = phone.pull_page()
        assert page["reset_required"] is True and page["reason"] == "cursor from another database"
        phone.sync()
        assert phone.store[("account", str(account))]["data"]["notes"] == _notes(app, account)
        assert phone.pull_page()["reset_required"] is False  # once: the new snapshot's cursor holds


def test_restore_refuses_a_file_that_is_not_a_backup_and_leaves_the_database(app, world, runner, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")
    epoch = _epoch(app)
    result = runner.invoke(args=["restore", "--yes", str(junk)])
    assert result.exit_code != 0
    assert "Error:" in result.output and str(junk) in result.output
    assert _epoch(app) == epoch
    with writing(app):
        assert db.session.get(Account, world.accounts["r1"]) is not None  # the records are still there


def test_without_the_postgresql_tools_the_commands_say_what_to_install(app, runner, tmp_path, monkeypatch):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite needs no outside tool")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    for args in (["backup", str(tmp_path / "b.dump")], ["restore", "--yes", __file__]):
        result = runner.invoke(args=args)
        assert result.exit_code != 0
        assert "was not found on PATH" in result.output and "postgresql-client" in result.output
