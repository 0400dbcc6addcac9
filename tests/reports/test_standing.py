"""The cadence's standing read by SQL (server/reports/standing.py) against the rule in Python it replaced
(server/cadence.py's `is_overdue` over server/last_contact.py's `as_of`), on accounts whose last contact falls
to the microsecond around their class's days: the counts, the list and its days stay the same."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from server import last_contact
from server.cadence import days_since, is_overdue
from server.extensions import db
from server.models import Account, Visit
from server.team_settings import METHOD
from tests.records import add_visits, writing

SH = ZoneInfo("Asia/Shanghai")
TICK, HALF = timedelta(microseconds=1), timedelta(milliseconds=500)
# (class, the last met visit's distance from the instant less the class's days, what else the account has)
CASES = [
    ("A", -TICK, None),
    ("A", timedelta(0), None),
    ("A", TICK, None),
    ("A", HALF, None),  # a rounding to whole seconds would make it 7 days
    ("A", -HALF, None),
    ("B", timedelta(0), None),
    ("B", HALF, "later"),  # met again after the instant: not then
    ("C", -TICK, "cancelled"),  # a cancelled later visit counts for nothing
    ("C", TICK, "not met"),
    ("A", None, "created"),  # never visited: from its creation, exactly its days before
    ("A", None, "created late"),  # a microsecond short of them
    ("B", None, "imported"),  # no visit, a stored last contact (an import) before the instant
    ("B", None, "imported later"),  # stored after the instant: not then
]


def _accounts(rep, instant):
    for n, (cls, offset, extra) in enumerate(CASES):
        due = instant - timedelta(days=METHOD.cadence(cls))
        created = due if extra == "created" else due + TICK if extra == "created late" else due - timedelta(days=40)
        account = Account(
            name=f"Edge {n:02d}", account_class=cls, owner_id=rep, latitude=31.2, longitude=121.4, created_at=created
        )
        db.session.add(account)
        db.session.flush()
        visits = []
        if offset is not None:
            visits.append(Visit(account_id=account.id, rep_id=rep, purpose="Call", check_in_at=due + offset))
        if extra == "later":
            visits.append(Visit(account_id=account.id, rep_id=rep, purpose="Call", check_in_at=instant + HALF))
        if extra == "cancelled":
            visits.append(
                Visit(
                    account_id=account.id,
                    rep_id=rep,
                    purpose="Call",
                    check_in_at=instant - timedelta(days=1),
                    cancelled_at=instant - timedelta(days=1),
                    cancel_reason="mistake",
                )
            )
        if extra == "not met":
            visits.append(Visit(account_id=account.id, rep_id=rep, purpose="Call", check_in_at=due + HALF, met=False))
        add_visits(*visits)
        if extra == "imported":
            account.last_contact_at = due - HALF
        if extra == "imported later":
            account.last_contact_at = instant + TICK


def _expected(rep, instant):
    """The counts and the list as the Python rule gives them."""
    accounts = db.session.execute(
        select(Account.id, Account.account_class, Account.last_contact_at, Account.created_at).where(
            Account.owner_id == rep, Account.created_at <= instant
        )
    ).all()
    contacts = last_contact.as_of(db.session, accounts, instant)
    counts, listed = {}, {}
    for a in accounts:
        overdue = is_overdue(contacts[a.id], a.account_class, instant, a.created_at)
        total, late = counts.get(a.account_class, (0, 0))
        counts[a.account_class] = (total + 1, late + overdue)
        if overdue:
            since = days_since(contacts[a.id] or a.created_at, instant)
            listed[str(a.id)] = (days_since(contacts[a.id], instant), since - METHOD.cadence(a.account_class))
    return counts, listed


@pytest.mark.parametrize(
    "instant, period",
    [
        # A past period, read as of its end (local midnight).
        (datetime(2026, 11, 11, tzinfo=SH), "from=2026-11-01&to=2026-11-10"),
        # The period so far, read as of now, a moment with microseconds.
        (datetime(2026, 11, 20, 9, 30, 15, 250017, tzinfo=SH), "from=2026-11-01&to=2026-11-20"),
    ],
)
def test_the_standing_in_sql_matches_the_rule_in_python(app, client, world, clock, instant, period):
    clock.freeze(instant if instant.hour else datetime(2026, 12, 3, 10, tzinfo=SH))
    rep = world.users["r1"]
    with writing(app):
        _accounts(rep, instant)
        db.session.commit()
    with app.app_context():
        counts, listed = _expected(rep, instant)
    assert sum(late for _, late in counts.values()) not in (0, sum(total for total, _ in counts.values()))
    headers = world.headers("r1")
    report = client.get(f"/api/reports/cadence?{period}", headers=headers).get_json()
    row = report["rows"][0]
    assert {c: (row[f"{c}_total"], row[f"{c}_overdue"]) for c in counts} == counts
    items = report["extra"]["overdue_accounts"]
    assert {i["account_id"]: (i["days_since_contact"], i["days_overdue"]) for i in items} == listed
    page = client.get(f"/api/reports/overdue?{period}&per_page=500", headers=headers).get_json()
    assert page["items"] == items and page["as_of"] == report["extra"]["as_of"]
    scorecard = client.get(f"/api/reports/scorecard?{period}", headers=headers).get_json()["rows"][0]
    assert (scorecard["a_accounts"], scorecard["a_overdue"]) == counts["A"]
