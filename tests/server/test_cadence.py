"""One cadence rule: the Python predicate, its SQL twin, the account's `overdue`, the reports and the
planner agree at every boundary; the phone gets the table from the server."""

from datetime import UTC, datetime, timedelta

import pytest

from server.cadence import cadence_days, is_overdue, overdue_clause
from server.extensions import db
from server.models import Account
from tests.records import writing

AS_OF = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "account_class,ago,due",
    [
        ("A", timedelta(days=7), True),
        ("A", timedelta(days=7) - timedelta(seconds=1), False),
        ("B", timedelta(days=14), True),
        ("B", timedelta(days=13, hours=23), False),
        ("C", timedelta(days=30), True),
        ("C", timedelta(days=29, hours=23, minutes=59), False),
        # Never visited: the cadence counts from the account's creation (first visit due until then).
        ("A", None, False),  # created 60 days ago (below), so only `created` decides
    ],
)
def test_the_predicate_and_its_sql_agree_at_the_boundary(app, world, account_class, ago, due):
    last = None if ago is None else AS_OF - ago
    created = AS_OF - timedelta(days=60) if ago is not None else AS_OF - timedelta(days=2)
    assert is_overdue(last, account_class, AS_OF, created) is due
    with writing(app):
        account = Account(
            name="Boundary",
            account_class=account_class,
            owner_id=world.users["r1"],
            last_contact_at=last,
            created_at=created,
        )
        db.session.add(account)
        db.session.flush()
        found = db.session.query(Account.id).filter(Account.id == account.id, overdue_clause(AS_OF)).first()
        assert (found is not None) is due
        db.session.rollback()


def test_the_phone_gets_its_teams_cadence_table_after_login_only(client, world):
    assert "cadence_days" not in client.get("/api/client-settings").get_json()  # not before login
    assert client.get("/api/settings").status_code == 401
    settings = client.get("/api/settings", headers=world.headers("r1")).get_json()
    assert settings["cadence_days"] == {"A": 7, "B": 14, "C": 30}
    assert {c: cadence_days(c) for c in "ABC"} == settings["cadence_days"]


@pytest.mark.parametrize(
    "account_class,created_ago,due",
    [
        ("A", timedelta(days=2), False),  # a new A prospect: its first visit is due, not late
        ("A", timedelta(days=8), True),
        ("A", timedelta(days=7), True),
        ("A", timedelta(days=7) - timedelta(seconds=1), False),
        ("B", timedelta(days=13, hours=23), False),
        ("B", timedelta(days=14), True),
        ("C", timedelta(days=29, hours=23), False),
        ("C", timedelta(days=30), True),
        ("A", timedelta(minutes=1), False),
    ],
)
def test_a_never_visited_account_is_overdue_only_once_its_cadence_has_passed_since_creation(
    app, world, account_class, created_ago, due
):
    created = AS_OF - created_ago
    assert is_overdue(None, account_class, AS_OF, created) is due
    with writing(app):
        account = Account(name="New", account_class=account_class, owner_id=world.users["r1"], created_at=created)
        db.session.add(account)
        db.session.flush()
        found = db.session.query(Account.id).filter(Account.id == account.id, overdue_clause(AS_OF)).first()
        assert (found is not None) is due
        db.session.rollback()
