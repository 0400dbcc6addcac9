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
        raise NotFound(
            "No such rep among those you may see (yourself; managers: their team).",
            {"rep_id": ["Unknown rep or not in your team."]},
        )
    return rep


def require_manager(principal, message, field=None):
    """Managers and admins only: a rep is refused (403) with `message` (and the field it is about)."""
    if principal.is_rep:
        raise Forbidden(message, {field: ["Managers only."]} if field else None)


# --- what a user may record, as the phone records it ------------------------------------------------------
# One rule per kind of record, read by the services that enforce it and published with the user (login,
# /api/auth/me, `may`): the phone offers only what these say the server will keep, and keeps no rule itself.


def may_own_new_account(principal, owner_id=None):
    """Whether an account created by the caller for `owner_id` (None: as the phone's new prospect, which
    names no owner) is kept: a rep's own prospect is theirs; a manager's must name a rep of their team (the
    owner check then refuses another team's); an admin may leave it unowned."""
    if principal.is_rep:
        return owner_id is None or owner_id == principal.id
    return principal.is_admin or owner_id is not None


def may_record_for(principal, rep_id=None):
    """Whether the caller may record a rep's own work (visits, day-clock activities) for `rep_id` (None: as
    the phone records it, for the caller). A rep records their own; a manager never (they go along: the
    rep's visit names them as accompanying, see `accompanying_manager`); an admin enters one for a named rep."""
    if principal.is_rep:
        return rep_id is None or rep_id == principal.id
    return principal.is_admin and rep_id is not None


def may_book_for(principal, rep_id=None):
    """Whether the caller may book an appointment for `rep_id` (None: as the phone books it, for the
    caller): a rep for themselves, a manager or an admin for a rep they name."""
    if principal.is_rep:
        return rep_id is None or rep_id == principal.id
    return rep_id is not None


def may_join_visit(principal, rep_id):
    """Whether the caller may name themselves on a rep's visit as having gone along (a joint visit, 陪访), or
    take it back: a manager of the rep's team. The visit stays the rep's: that is all such a caller changes."""
    if not principal.is_manager:
        return False
    rep = db.session.get(User, rep_id) if rep_id is not None else None
    return rep is not None and rep.role == "rep" and may_manage_user(principal, rep)


def refuse_visit_change(principal, visit, changes):
    """A manager who is not the visit's author changes only whether they went along: `accompanied_by` set to
    themselves, or cleared while it names them. Anything else is the rep's (403)."""
    if may_record_for(principal, visit.rep_id):
        return
    own = principal.id
    joining = set(changes) <= {"accompanied_by"} and (
        changes.get("accompanied_by") == own or (changes.get("accompanied_by") is None and visit.accompanied_by == own)
    )
    if not (may_join_visit(principal, visit.rep_id) and joining):
        raise Forbidden(
            "A visit is changed by the rep who made it; a manager only says whether they went along "
            "(accompanied_by: yourself, or null).",
            {"accompanied_by": ["Only yourself or null."]} if "accompanied_by" in changes else None,
        )


def phone_permissions(principal):
    """What the phone may create as it sends it (no owner, no rep named: the user's own), from the rules above.
    Edits follow the records' own rules: a visit or activity is changed only by its rep, as the phone shows."""
    return {
        "create_account": may_own_new_account(principal),
        "record_visit": may_record_for(principal),
        "record_activity": may_record_for(principal),
        "book_appointment": may_book_for(principal),
        # On a rep's visit already recorded (the manager's phone holds the team's): "I went along".
        "join_visit": principal.is_manager,
        # An account's owner changed to another rep of the team (the new rep's territory grows): not a rep's.
        "reassign_account": not principal.is_rep,
    }


def refuse_recording(principal, rep_id, kind):
    """Forbidden unless `may_record_for`: the same words for REST and sync."""
    if not may_record_for(principal, rep_id):
        if principal.is_manager:
            raise Forbidden(
                f"{kind.capitalize()}s are recorded by the rep who makes them; a manager going along is named on "
                "the rep's visit as accompanying."
            )
        if principal.is_rep:
            raise Forbidden("A rep records only their own work.", {"rep_id": ["Must be yourself."]})
        raise ValidationFailed("Say which rep this is for.", {"rep_id": ["Missing data for required field."]})


def team_manager(rep):
    """The manager a rep's joint visits name: their team's manager (None without one)."""
    team = db.session.get(Team, rep.team_id) if rep is not None and rep.team_id else None
    manager = db.session.get(User, team.manager_id) if team is not None and team.manager_id else None
    return manager if manager is not None and manager.role == "manager" and manager.active else None


def accompanying_manager(rep_id, manager_id, field="accompanied_by"):
    """Check a joint visit's accompanying manager: the rep's team's manager (or a manager of the rep's team).
    Anyone else is a 422 naming the field."""
    if manager_id is None:
        return None
    rep = db.session.get(User, rep_id) if rep_id is not None else None
    manager = db.session.get(User, manager_id)
    ok = (
        rep is not None
        and manager is not None
        and manager.role == "manager"
        and manager.active
        and rep.team_id is not None
        and (manager.team_id == rep.team_id or (team_manager(rep) is not None and team_manager(rep).id == manager.id))
    )
    if not ok:
        raise ValidationFailed(
            "Only a manager of the rep's team can be named as accompanying the visit.",
            {field: ["Not a manager of the rep's team."]},
        )
    return manager
