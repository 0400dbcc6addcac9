"""One cadence rule: the Python predicate, its SQL twin, the account's `overdue`, the reports and the
planner agree at every boundary; the phone gets the table from the server."""
from datetime import datetime, timedelta, timezone

import pytest

from server.cadence import cadence_days, is_overdue, overdue_clause
from server.extensions import db
from server.models import Account
from tests.records import writing

AS_OF = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("account_class,ago,due", [
    ("A", timedelta(days=7), True), ("A", timedelta(days=7) - timedelta(seconds=1), False),
    ("B", timedelta(days=14), True), ("B", timedelta(days=13, hours=23), False),
    ("C", timedelta(days=30), True), ("C", timedelta(days=29, hours=23, minutes=59), False),
    ("A", None, True),
])
def test_the_predicate_and_its_sql_agree_at_the_boundary(app, world, account_class, ago, due):
    last = None if ago is None else AS_OF - ago
    assert is_overdue(last, account_class, AS_OF) is due
    with writing(app):
        account = Account(name="Boundary", account_class=account_class, owner_id=world.users["r1"], last_contact_at=last)
        db.session.add(account)
        db.session.flush()
        found = db.session.query(Account.id).filter(Account.id == account.id, overdue_clause(AS_OF)).first()
        assert (found is not None) is due
        db.session.rollback()


def test_the_phone_gets_the_cadence_table_from_the_server(client):
    settings = client.get("/api/client-settings").get_json()
    assert settings["cadence_days"] == {"A": 7, "B": 14, "C": 30}
    assert {c: cadence_days(c) for c in "ABC"} == settings["cadence_days"]
