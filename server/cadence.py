"""The method's A/B/C cadence, one rule for every caller: an account is due for a visit when its
class's days (the team's settings, by the method A 7, B 14, C 30) have passed since the last face-to-face
contact, counted in whole days from that moment. A never-visited account counts from its creation
instead: its first visit is due within its class's days and it is overdue only once they have passed (a
prospect added a minute ago is not overdue). The days are the owner's team's (server/team_settings.py);
`overdue_clause` is the same rule in SQL, each account by its owner's team; the phone gets its team's
table after login (`/api/settings`) and applies the same comparison (pwa/js/ui.js `isOverdue`)."""

from datetime import timedelta

from sqlalchemy import and_, case, func, select

from . import team_settings
from .team_settings import METHOD


def cadence_days(account_class, settings=METHOD):
    return settings.cadence(account_class)


def days_since(last_contact_at, as_of):
    """Whole days from the last contact to `as_of`; None when never contacted."""
    return None if last_contact_at is None else (as_of - last_contact_at).days


def is_overdue(last_contact_at, account_class, as_of, created_at, settings=METHOD):
    """Past the class's cadence since the last contact, or since creation when never contacted. An
    account with neither moment known (not stored yet) counts as overdue."""
    since = last_contact_at if last_contact_at is not None else created_at
    return since is None or (as_of - since).days >= settings.cadence(account_class)


def overdue_clause(as_of):
    """`is_overdue` as a WHERE clause over Account: each account by its owner's team's cadence (the
    teams with settings of their own are listed; every other account by the method's)."""
    from .models import Account, User

    whens = []
    custom = team_settings.customised()
    if custom:
        owner_team = select(User.team_id).where(User.id == Account.owner_id).correlate(Account).scalar_subquery()
        for team_id, settings in sorted(custom.items(), key=lambda kv: str(kv[0])):
            whens += [
                (and_(owner_team == team_id, Account.account_class == cls), as_of - timedelta(days=days))
                for cls, days in settings.cadence_days.items()
            ]
    whens += [(Account.account_class == cls, as_of - timedelta(days=d)) for cls, d in METHOD.cadence_days.items()]
    cutoff = case(*whens, else_=as_of - timedelta(days=METHOD.longest_cadence))
    return func.coalesce(Account.last_contact_at, Account.created_at) <= cutoff
