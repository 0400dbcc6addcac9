"""Administering people: create and edit users, reset passwords, deactivate with a hand-over.

Admins act for everyone; a manager for the members of their own team (another team's users are not
found, 404); reps are refused (403). Nobody deactivates themselves, and the last active admin stays."""

import secrets

from sqlalchemy import false, func, or_, select, true, update

from .. import clock, team_settings
from ..accounts.services import accounts
from ..auth.services import hash_password, holder_of
from ..changelog import recorded
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..messages import geo_reason
from ..models import Account, Appointment, Opportunity, Team, TokenFamily, User
from ..models.users import team_zone
from ..policy import require_manager
from ..reports import repdays

ADMINS_ONLY = "Admins only."


def user_scope(principal):
    """Clause limiting User rows to those the caller administers."""
    if principal.is_admin:
        return true()
    if principal.is_manager and principal.team_id is not None:
        return User.team_id == principal.team_id
    return false()


def _managers_only(principal):
    require_manager(principal, "Only a manager or an admin administers users.")


def list_users(principal, args):
    _managers_only(principal)
    args = dict(args)
    page, per_page = args.pop("page", 1), args.pop("per_page", 50)
    stmt = select(User).where(user_scope(principal))
    if args.get("q"):
        needle = args["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{needle}%"
        stmt = stmt.where(or_(User.username.ilike(like, escape="\\"), User.display_name.ilike(like, escape="\\")))
    for key in ("role", "team_id", "active"):
        if args.get(key) is not None:
            stmt = stmt.where(getattr(User, key) == args[key])
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = db.session.scalars(stmt.order_by(User.username).limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def get_user(principal, user_id, for_update=False):
    _managers_only(principal)
    stmt = select(User).where(User.id == user_id, user_scope(principal))
    if for_update:
        stmt = stmt.with_for_update(of=User).execution_options(populate_existing=True)
    user = db.session.scalars(stmt).first()
    if user is None:
        raise NotFound(f"No user {user_id} among those you administer.")
    return user


def _team_for(principal, team_id, field="team_id"):
    """The team a user is put in: any team for an admin; a manager only their own (another's is 404)."""
    if team_id is None:
        return None
    team = db.session.get(Team, team_id)
    if team is None or not (principal.is_admin or team.id == principal.team_id):
        raise NotFound(f"No team {team_id} among yours.", {field: ["Unknown team or not yours."]})
    return team


def _check_positions(user):
    problems = {}
    for prefix in ("start", "end"):
        lat, lng = getattr(user, f"{prefix}_lat"), getattr(user, f"{prefix}_lng")
        if (lat is None) != (lng is None):
            problems[f"{prefix}_lng" if lng is None else f"{prefix}_lat"] = ["Give latitude and longitude together."]
    if problems:
        raise ValidationFailed("A position needs both its latitude and its longitude.", problems)


NO_GEOCODER = geo_reason("no_geocoder")


def locate(address, geocoder):
    """(lat, lng) of an address through the configured geocoder, or LookupError saying why not."""
    if geocoder is None:
        raise LookupError(NO_GEOCODER)
    return geocoder.lookup(address)


def _apply_addresses(data, geocoder):
    """Turn `start_address`/`end_address` into positions (WGS-84, as the geocoder answers), unless the
    position itself is given; an address that cannot be found is a 422 on its field."""
    problems = {}
    for prefix in ("start", "end"):
        address = (data.pop(f"{prefix}_address", None) or "").strip()
        if not address or data.get(f"{prefix}_lat") is not None or data.get(f"{prefix}_lng") is not None:
            continue
        try:
            data[f"{prefix}_lat"], data[f"{prefix}_lng"] = locate(address, geocoder)
        except LookupError as exc:
            problems[f"{prefix}_address"] = [f"Not geocoded ({exc})."]
            continue
        if prefix == "start" and not data.get("start_label"):
            data["start_label"] = address[:200]
    if problems:
        raise ValidationFailed("An address could not be placed on the map; give the position instead.", problems)


def _active_admins():
    return db.session.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.active))


def _keep_an_admin(user, field):
    if user.role == "admin" and user.active and _active_admins() <= 1:
        raise Conflict(
            "This is the last active admin; make another admin first.", {field: ["The last active admin stays."]}
        )


def create_user(principal, data, geocoder=None):
    _managers_only(principal)
    data = dict(data)
    if principal.is_manager:
        if data["role"] != "rep":
            raise Forbidden("A manager creates reps only.", {"role": ["Admins only."]})
        data.setdefault("team_id", principal.team_id)
        if data["team_id"] is None:
            raise ValidationFailed("Say which team.", {"team_id": ["Missing data for required field."]})
    team = _team_for(principal, data.get("team_id"))
    if holder_of(data["username"]) is not None:
        raise Conflict(f"The username {data['username']} is taken.", {"username": ["Already exists."]})
    _apply_addresses(data, geocoder)
    password = data.pop("password")
    must_change = data.pop("must_change_password", True)
    user = User(
        **{key: value for key, value in data.items() if key != "team_id"},
        team_id=team.id if team else None,
        password_hash=hash_password(password),
        must_change_password=must_change,
    )
    if not user.display_name:
        user.display_name = user.username
    _check_positions(user)
    db.session.add(user)
    db.session.flush()
    if team is not None and user.role == "manager" and team.manager_id is None:
        team.manager_id = user.id
    db.session.commit()
    return user


def update_user(principal, user_id, data, geocoder=None):
    user = get_user(principal, user_id, for_update=True)
    data = dict(data)
    if not principal.is_admin:
        refused = {key: [ADMINS_ONLY] for key in ("role", "team_id") if key in data}
        if refused:
            raise Forbidden("Only an admin changes a user's role or team.", refused)
    if "role" in data and data["role"] != user.role:
        _keep_an_admin(user, "role")
    if "team_id" in data and data["team_id"] != user.team_id:
        _team_for(principal, data["team_id"])
    _apply_addresses(data, geocoder)
    before_team, before_role = user.team_id, user.role
    for key, value in data.items():
        setattr(user, key, value)
    _check_positions(user)
    if before_team != user.team_id:
        team_settings.forget()  # the user's team was looked up by their id (for_user_id)
    if before_team != user.team_id or (before_role == "manager" and user.role != "manager"):
        _leave_management(user, before_team)
    if user.role == "manager" and user.team_id is not None:
        team = db.session.get(Team, user.team_id)
        if team.manager_id is None:
            team.manager_id = user.id
    if before_team != user.team_id and _zone_of(before_team) != _zone_of(user.team_id):
        repdays.rezone(db.session, [user.id])  # their recorded days, dated in the new team's zone
    db.session.commit()
    return user


def _zone_of(team_id):
    team = db.session.get(Team, team_id) if team_id is not None else None
    return team_zone(team).key


def _leave_management(user, team_id):
    """A manager who leaves their team (or stops being a manager) no longer manages it."""
    team = db.session.get(Team, team_id) if team_id is not None else None
    if team is not None and team.manager_id == user.id:
        team.manager_id = None


def end_sessions(user_id, keep_family=None):
    """Every login of the user ends: their refresh tokens stop working (and so do their access tokens,
    which belong to the same families)."""
    stmt = update(TokenFamily).where(TokenFamily.user_id == user_id, TokenFamily.revoked_at.is_(None))
    if keep_family is not None:
        stmt = stmt.where(TokenFamily.id != keep_family)
    db.session.execute(stmt.values(revoked_at=clock.real_now()))


def reset_password(principal, user_id, temporary=None):
    """Set a temporary password the user must change at their next login; their sessions end."""
    user = get_user(principal, user_id, for_update=True)
    temporary = temporary or secrets.token_urlsafe(9)
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    end_sessions(user.id)
    db.session.commit()
    return {"user_id": user.id, "temporary_password": temporary, "must_change_password": True}


def _successor(leaver, rep_id):
    rep = db.session.get(User, rep_id)
    if (
        rep is None
        or rep.id == leaver.id
        or rep.role != "rep"
        or not rep.active
        or leaver.team_id is None
        or rep.team_id != leaver.team_id
    ):
        raise NotFound(
            f"No active rep {rep_id} in the same team to hand over to.",
            {"hand_over_to": ["Not an active rep of the same team."]},
        )
    return rep


def deactivate(principal, user_id, hand_over_to=None):
    """Deactivate a user and, in the same transaction, hand their accounts (through the account service,
    so the sync change log and the territory history are written), open opportunities and future
    appointments to another active rep of the same team."""
    user = get_user(principal, user_id, for_update=True)
    if user.id == principal.id:
        raise Conflict("You cannot deactivate yourself.", {"user_id": ["Must not be yourself."]})
    _keep_an_admin(user, "user_id")
    successor = _successor(user, hand_over_to) if hand_over_to is not None else None
    counts = {"accounts": 0, "opportunities": 0, "appointments": 0}
    with recorded(db.session):
        if successor is not None:
            account_ids = db.session.scalars(
                select(Account.id).where(Account.owner_id == user.id).order_by(Account.id)
            ).all()
            for account_id in account_ids:
                accounts.apply_update(principal, account_id, {"owner_id": successor.id})
            counts["accounts"] = len(account_ids)
            # Deals on the accounts moved with them; open ones of the leaver elsewhere follow too.
            open_deals = db.session.scalars(
                select(Opportunity).where(Opportunity.owner_id == user.id, Opportunity.status == "open")
            ).all()
            for deal in open_deals:
                deal.owner_id = successor.id
            moved_with_accounts = db.session.scalar(
                select(func.count())
                .select_from(Opportunity)
                .where(Opportunity.account_id.in_(account_ids), Opportunity.status == "open")
            )
            counts["opportunities"] = moved_with_accounts + len(open_deals)
            future = db.session.scalars(
                select(Appointment).where(Appointment.rep_id == user.id, Appointment.starts_at >= clock.now())
            ).all()
            for appointment in future:
                appointment.rep_id = successor.id
            counts["appointments"] = len(future)
        user.active = False
        if user.team_id is not None:
            _leave_management(user, user.team_id)
        end_sessions(user.id)
        db.session.flush()
        left = db.session.scalar(select(func.count()).select_from(Account).where(Account.owner_id == user.id))
        db.session.commit()
    return {"user": user, "hand_over_to": successor.id if successor else None, "accounts_left": left, **counts}


def reactivate(principal, user_id):
    user = get_user(principal, user_id, for_update=True)
    user.active = True
    db.session.commit()
    return user
