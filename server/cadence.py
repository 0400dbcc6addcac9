"""The method's A/B/C cadence, one rule for every caller: an account is due for a visit when it was
never seen face to face, or when its class's days (A 7, B 14, C 30) have passed since the last
face-to-face contact, counted in whole days from that moment. `overdue_clause` is the same rule in SQL;
the phone gets the table from `/api/client-settings` and applies the same comparison."""
from datetime import timedelta

from sqlalchemy import case, or_

from .models.vocab import CADENCE_DAYS

LONGEST = max(CADENCE_DAYS.values())


def cadence_days(account_class):
    return CADENCE_DAYS.get(account_class, LONGEST)


def days_since(last_contact_at, as_of):
    """Whole days from the last contact to `as_of`; None when never contacted."""
    return None if last_contact_at is None else (as_of - last_contact_at).days


def is_overdue(last_contact_at, account_class, as_of):
    days = days_since(last_contact_at, as_of)
    return days is None or days >= cadence_days(account_class)


def overdue_clause(as_of):
    """`is_overdue` as a WHERE clause over Account."""
    from .models import Account

    cutoff = case(*[(Account.account_class == cls, as_of - timedelta(days=days)) for cls, days in CADENCE_DAYS.items()],
                  else_=as_of - timedelta(days=LONGEST))
    return or_(Account.last_contact_at.is_(None), Account.last_contact_at <= cutoff)
