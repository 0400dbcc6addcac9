"""Change numbers are given at commit (server/changelog.py): a transaction's change rows carry provisional
numbers until its COMMIT, so writers overlap until they commit, and the numbers still follow the commits
(a reader that has seen N has seen every change up to N) with no gaps."""

import threading

import pytest
from sqlalchemy import delete, func, select

from server.changelog import MissingCounter
from server.extensions import db
from server.models import Account, Change, SyncState, Visit
from server.sync_api.services import _was_deleted
from sync import protocol
from tests.records import writing
from tests.sync.phone import Phone


def _head():
    return db.session.get(SyncState, 1).counter


def test_a_transactions_changes_are_numbered_at_commit_in_the_order_written_and_a_rolled_back_savepoints_not(
    app, world
):
    with app.app_context():
        head = _head()
    with writing(app):
        account = db.session.get(Account, world.accounts["r1"])
        version = account.version
        account.notes = "first"
        db.session.flush()
        # Written at once, under a provisional number: the transaction's own reads of the log see it.
        mine = db.session.execute(
            select(Change.seq, Change.version).where(Change.entity_id == account.id, Change.seq > head)
        ).all()
        assert mine == [] and _head() == head  # no real number yet, and the counter is untouched
        mine = db.session.execute(
            select(Change.seq, Change.version).where(Change.entity_id == account.id, Change.seq < 0)
        ).all()
        assert [v for _, v in mine] == [version + 1]
        with db.session.begin_nested() as savepoint:
            other = db.session.get(Account, world.accounts["r2"])
            other.notes = "undone"
            db.session.flush()
            assert db.session.scalar(select(func.count()).where(Change.entity_id == other.id, Change.seq < 0)) == 1
            savepoint.rollback()
        assert db.session.scalar(select(func.count()).where(Change.seq < 0)) == 1  # the account's; the other's went
        visit = db.session.get(Visit, world.visits["r1"])
        db.session.delete(visit)
        db.session.flush()
        assert _was_deleted("visit", world.visits["r1"])  # a tombstone written earlier in the transaction counts
        account = db.session.get(Account, world.accounts["r1"])
        account.notes = "second"
        db.session.commit()
    with app.app_context():
        rows = db.session.execute(
            select(Change.seq, Change.entity, Change.entity_id, Change.op, Change.version)
            .where(Change.seq > head)
            .order_by(Change.seq)
        ).all()
        # Gapless from the head on, in the order written; nothing of the savepoint; no provisional number left.
        assert [r.seq for r in rows] == list(range(head + 1, head + 1 + len(rows))) and _head() == head + len(rows)
        assert [(r.entity, r.entity_id, r.op) for r in rows] == [
            ("account", world.accounts["r1"], "upsert"),
            ("visit", world.visits["r1"], "delete"),
            ("account", world.accounts["r1"], "upsert"),
        ]
        assert [r.version for r in rows if r.entity == "account"] == [version + 1, version + 2]
        assert db.session.scalar(select(func.count()).where(Change.seq < 0)) == 0


def test_a_transaction_whose_changes_were_all_rolled_back_takes_no_number(app, world):
    with app.app_context():
        head = _head()
    with writing(app):
        with db.session.begin_nested() as savepoint:
            db.session.get(Account, world.accounts["r1"]).notes = "undone"
            db.session.flush()
            savepoint.rollback()
        db.session.commit()
    with app.app_context():
        assert _head() == head
        assert db.session.scalar(select(func.count()).where(Change.seq > head)) == 0


@pytest.mark.calendar  # the accounts pulled say how many days since their last contact
def test_two_teams_writers_overlap_and_a_pull_misses_nothing_committed_later(app, world, database_url):
    """One transaction (team North's account) holds its record written and uncommitted while a manager of team
    South edits one of theirs: South's edit commits meanwhile (before, both queued on the counter row). The
    North transaction, committed after it, gets the higher number: an admin's phone that pulled in between
    (its cursor past South's change) still receives North's."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time")
    admin = Phone(app.test_client(), world.headers("admin"))
    admin.pull()
    written, go, failures = threading.Event(), threading.Event(), []

    def north():
        try:
            with writing(app):
                account = db.session.get(Account, world.accounts["r1"])
                account.notes = "North, committed last"
                db.session.flush()  # the account's row and its change row written, not committed
                written.set()
                go.wait(30)
                db.session.commit()
        except Exception as exc:  # noqa: BLE001 (reported below)
            failures.append(exc)
            written.set()

    south_answer = []

    def south():
        url, edit = f"/api/accounts/{world.accounts['r3']}", {"notes": "South, committed first"}
        response = app.test_client().patch(url, json=edit, headers=world.headers("m2"))
        south_answer.append(response.status_code)

    holder = threading.Thread(target=north)
    holder.start()
    try:
        assert written.wait(30) and not failures, failures
        other = threading.Thread(target=south)
        other.start()
        other.join(15)
        assert south_answer == [200], "the other team's write waited for the open transaction"
        admin.pull()
        seen = protocol.Cursor.decode(admin.cursor).seq
        held = admin.store[("account", str(world.accounts["r1"]))]["data"]
        assert admin.store[("account", str(world.accounts["r3"]))]["data"]["notes"] == "South, committed first"
        assert held["notes"] != "North, committed last"  # not committed yet: nothing of it is visible
    finally:
        go.set()
        holder.join(30)
    assert not failures, failures
    with app.app_context():
        numbers = dict(
            db.session.execute(
                select(Change.entity_id, func.max(Change.seq))
                .where(Change.entity_id.in_([world.accounts["r1"], world.accounts["r3"]]), Change.seq > 0)
                .group_by(Change.entity_id)
            ).all()
        )
    assert numbers[world.accounts["r3"]] == seen < numbers[world.accounts["r1"]]  # numbered in commit order
    admin.pull()
    assert admin.store[("account", str(world.accounts["r1"]))]["data"]["notes"] == "North, committed last"


def test_a_commit_without_the_counters_row_fails_and_leaves_nothing(app, world):
    """A database not built by the migrations (no counter row) refuses the write instead of committing rows
    under provisional numbers that no pull would ever read."""
    with app.app_context():
        head = _head()
    with writing(app):
        db.session.execute(delete(SyncState))
        db.session.get(Account, world.accounts["r1"]).notes = "never"
        with pytest.raises(MissingCounter):
            db.session.commit()
        db.session.rollback()
    with app.app_context():
        assert _head() == head and db.session.get(Account, world.accounts["r1"]).notes != "never"
        assert db.session.scalar(select(func.count()).where(Change.seq < 0)) == 0
