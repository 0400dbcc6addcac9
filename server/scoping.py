"""Who may see what, as SQL clauses: territory rules for queries (the predicates on one record or
person are in policy.py).

A rep's territory is the accounts they own; a manager's is every account owned
by a member of their team; an admin sees everything. Records hanging off an
account (contacts, devices, opportunities, appointments, visits) follow it.
"""

from sqlalchemy import false, or_, select, true

from .models import Account, User


def team_member_ids(principal):
    """A subquery of the user ids in the caller's team."""
    return select(User.id).where(User.team_id == principal.team_id)


def owner_scope(principal, column):
    """Clause limiting a user-id column (owner_id, rep_id) to what the caller may read."""
    if principal.is_admin:
        return true()
    if principal.is_manager:
        if principal.team_id is None:
            return false()
        return column.in_(team_member_ids(principal))
    return column == principal.id


def account_scope(principal):
    """Clause limiting Account rows to the caller's territory."""
    return owner_scope(principal, Account.owner_id)


def account_ids_in_scope(principal):
    return select(Account.id).where(account_scope(principal))


def child_scope(principal, account_id_column):
    """Clause for records that hang off an account."""
    if principal.is_admin:
        return true()
    return account_id_column.in_(account_ids_in_scope(principal))


def visible_to_rep_or_account(principal, rep_column, account_column):
    """Rep-authored records: visible to their author and to whoever sees the account."""
    if principal.is_admin:
        return true()
    return or_(owner_scope(principal, rep_column), child_scope(principal, account_column))
