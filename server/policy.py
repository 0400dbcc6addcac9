"""Who may act for whom, as predicates on one record, person or team; services consume them and
views never decide. "Not yours" is always 404, the same answer as "not there" (the SQL clauses
for lists are in scoping.py).
"""
from .errors import Forbidden, NotFound, ValidationFailed
from .extensions import db
from .models import Account, Team, User


def may_manage_user(principal, user):
    """Whether the caller may act for `user` (themselves, their team if manager, anyone if admin)."""
    if principal.is_admin:
        return True
    if principal.is_manager:
        return user is not None and user.team_id is not None and user.team_id == principal.team_id
    return user is not None and user.id == principal.id


def may_manage_team(principal, team):
    """Whether the caller may act for a whole team (its manager, or an admin)."""
    return principal.is_admin or (principal.is_manager and team is not None and principal.team_id == team.id)


def may_write_account(principal, account):
    if principal.is_admin:
        return True
    if principal.is_manager:
        owner = db.session.get(User, account.owner_id) if account.owner_id else None
        return may_manage_user(principal, owner)
    return account.owner_id == principal.id


def writable_account(principal, account_id, field="account_id"):
    """Return the account if the caller may write under it, else a 404 naming the field."""
    account = db.session.get(Account, account_id) if account_id is not None else None
    if account is None or not may_write_account(principal, account):
        raise NotFound(
            f"No account {account_id} in your territory.",
            {field: ["Unknown account or not in your territory."]},
        )
    return account


def resolve_rep(principal, data, field="rep_id"):
    """Reps act for themselves; managers for their team; admins for anyone."""
    rep_id = data.get(field)
    if principal.is_rep:
        if rep_id is not None and rep_id != principal.id:
            raise Forbidden("A rep records only their own work.", {field: ["Must be yourself."]})
        data[field] = principal.id
        return
    if rep_id is None:
        raise ValidationFailed("Say which rep this is for.", {field: ["Missing data for required field."]})
    rep = db.session.get(User, rep_id)
    if rep is None or rep.role != "rep" or not may_manage_user(principal, rep):
        raise NotFound(f"No rep {rep_id} in your team.", {field: ["Unknown rep or not in your team."]})


def check_rep_write(principal, rep_id, kind):
    """Reps change only their own records; managers and admins those of reps they manage."""
    if principal.is_rep and rep_id != principal.id:
        raise Forbidden(f"A rep changes only their own {kind}s.")
    if not principal.is_rep and not may_manage_user(principal, db.session.get(User, rep_id)):
        raise Forbidden(f"This {kind} belongs to a rep outside your team.")


def managed_rep(principal, rep_id):
    """A rep the caller manages (their manager or an admin): reps are refused (403), another team's
    rep or no rep at all is not found (404)."""
    if principal.is_rep:
        raise Forbidden("Only the rep's manager or an admin does this.", {"rep_id": ["Managers only."]})
    rep = db.session.get(User, rep_id)
    if rep is None or rep.role != "rep" or not may_manage_user(principal, rep):
        raise NotFound("No such rep in your team.", {"rep_id": ["Unknown rep or not in your team."]})
    return rep


def managed_team(principal, team_id):
    """A team the caller manages (its manager or an admin): reps 403, another's team 404."""
    if principal.is_rep:
        raise Forbidden("Only the team's manager or an admin does this.", {"team_id": ["Managers only."]})
    team = db.session.get(Team, team_id)
    if team is None or not may_manage_team(principal, team):
        raise NotFound("No such team among yours.", {"team_id": ["Unknown team or not yours."]})
    return team


def self_or_managed_rep(principal, rep_id):
    """The caller themselves (a rep), or a rep they manage: anything else is not found (404)."""
    rep = db.session.get(User, rep_id or principal.id)
    if rep is None or rep.role != "rep" or not may_manage_user(principal, rep):
        raise NotFound("No such rep among those you may see (yourself; managers: their team).",
                       {"rep_id": ["Unknown rep or not in your team."]})
    return rep


def require_manager(principal, message, field=None):
    """Managers and admins only: a rep is refused (403) with `message` (and the field it is about)."""
    if principal.is_rep:
        raise Forbidden(message, {field: ["Managers only."]} if field else None)
