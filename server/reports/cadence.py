"""Cadence: A/B/C accounts past their owner's team's days at the period's end, per rep, with the list."""

from collections import defaultdict

from sqlalchemy import select

from .. import last_contact
from ..cadence import days_since, is_overdue
from ..extensions import db
from ..models import (
    Account,
)
from ..models.vocab import ACCOUNT_CLASSES
from .asof import as_of as accounts_as_of
from .asof import rules_as_of
from .reads import period_end
from .rows import natural_key, rep_name
from .rows import rep_row as _rep_row


def cadence(scope):
    """A/B/C accounts past their cadence (their owner's team's days, 7/14/30 by the method) at the end of the
    period, per rep, with the list."""
    as_of = period_end(scope)
    then = accounts_as_of(scope, as_of)  # each account's holder and class then: later changes change nothing
    accounts = db.session.execute(
        select(
            Account.id,
            Account.name,
            then.owner.label("owner_id"),
            then.account_class.label("account_class"),
            Account.last_contact_at,
            Account.created_at,
        )
        # An account created after the period's end did not exist then: it counts for nothing.
        .where(then.held, Account.created_at <= as_of)
        .order_by(Account.name)
    ).all()
    per_rep = defaultdict(lambda: {c: {"total": 0, "overdue": 0} for c in ACCOUNT_CLASSES})
    owners = {rep.id: rep for rep in scope.reps}
    settings = {rep.id: rules_as_of(scope, rep, as_of) for rep in scope.reps}  # the team's days then
    overdue = []
    contacts = last_contact.as_of(db.session, accounts, as_of)  # as it stood then: later work changes nothing
    for a in accounts:
        cell = per_rep[a.owner_id][a.account_class]
        cell["total"] += 1
        days = days_since(contacts[a.id], as_of)
        cadence_days = settings[a.owner_id].cadence(a.account_class)
        if is_overdue(contacts[a.id], a.account_class, as_of, a.created_at, settings[a.owner_id]):
            cell["overdue"] += 1
            rep = owners.get(a.owner_id)
            every = cadence_days  # the owner's team's days for the class
            # Days past the day the next visit was due: the last contact (never visited: the account's
            # creation) plus its class's days.
            since = days_since(contacts[a.id] or a.created_at, as_of)
            overdue.append(
                {
                    "account_id": str(a.id),
                    "name": a.name,
                    "account_class": a.account_class,
                    "rep_id": str(a.owner_id),
                    "rep_name": rep_name(rep),
                    "days_since_contact": days,
                    "last_contact_at": contacts[a.id].isoformat() if contacts[a.id] else None,
                    "never_visited": contacts[a.id] is None,
                    "cadence_days": every,
                    "days_overdue": None if since is None else since - every,
                }
            )
    rows = []
    for rep in scope.reps:
        cells = per_rep[rep.id]
        rows.append(
            {
                **_rep_row(rep),
                **{f"{c}_{k}": cells[c][k] for c in ACCOUNT_CLASSES for k in ("total", "overdue")},
                "overdue": sum(cells[c]["overdue"] for c in ACCOUNT_CLASSES),
            }
        )
    team = {f"{c}_{k}": sum(r[f"{c}_{k}"] for r in rows) for c in ACCOUNT_CLASSES for k in ("total", "overdue")}
    team["overdue"] = sum(r["overdue"] for r in rows)
    # Most overdue first, by the days past the cadence (not the days since contact: a C account 35 days
    # unseen is 5 days late, an A account 20 days unseen 13); the rep's name, then the account's, break ties.
    overdue.sort(
        key=lambda o: (
            -(o["days_overdue"] if o["days_overdue"] is not None else 10**6),
            natural_key(o["rep_name"]),
            o["name"],
        )
    )
    return {"rows": rows, "team": team, "as_of": as_of.isoformat(), "overdue_accounts": overdue}
