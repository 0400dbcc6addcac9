"""Teams: admins create and edit them; a manager sees their own and sets its time zone."""

from sqlalchemy import false, func, select, true

from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..models import Team, User
from ..policy import require_manager
from ..reports import repdays


def team_scope(principal):
    if principal.is_admin:
        return true()
    if principal.is_manager and principal.team_id is not None:
        return Team.id == principal.team_id
    return false()


def _with_members(teams):
    ids = [team.id for team in teams]
    counts = dict(
        db.session.execute(
            select(User.team_id, func.count()).where(User.team_id.in_(ids), User.active).group_by(User.team_id)
        ).all()
    )
    for team in teams:
        team.members_count = counts.get(team.id, 0)
    return teams


def list_teams(principal, args):
    require_manager(principal, "Only a manager or an admin sees teams.")
    page, per_page = args.get("page", 1), args.get("per_page", 50)
    stmt = select(Team).where(team_scope(principal))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = db.session.scalars(stmt.order_by(Team.name, Team.id).limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": _with_members(items), "page": page, "per_page": per_page, "total": total}


def get_team(principal, team_id):
    require_manager(principal, "Only a manager or an admin sees teams.")
    team = db.session.scalars(select(Team).where(Team.id == team_id, team_scope(principal))).first()
    if team is None:
        raise NotFound(f"No team {team_id} among yours.")
    return _with_members([team])[0]


def _name_free(name, team_id=None):
    taken = db.session.scalar(select(Team.id).where(Team.name == name))
    if taken is not None and taken != team_id:
        raise Conflict(f"A team named {name} exists.", {"name": ["Already exists."]})


def _new_manager(manager_id):
    manager = db.session.get(User, manager_id)
    if manager is None or manager.role != "manager" or not manager.active:
        raise NotFound("No active manager by that id.", {"manager_id": ["Not an active manager."]})
    return manager


def create_team(principal, data):
    """A new team in one step: its name and time zone, its manager (an active manager, who moves to it and
    stops managing their old team) and its settings of the method (recorded as its first change)."""
    from .. import team_settings
    from ..settings.services import check

    if not principal.is_admin:
        raise Forbidden("Only an admin creates teams.")
    data = dict(data)
    manager_id, settings = data.pop("manager_id", None), data.pop("settings", None)
    _name_free(data["name"])
    manager = _new_manager(manager_id) if manager_id is not None else None
    team = Team(**data)
    db.session.add(team)
    db.session.flush()
    if manager is not None:
        old = db.session.get(Team, manager.team_id) if manager.team_id is not None else None
        if old is not None and old.manager_id == manager.id:
            old.manager_id = None
        manager.team_id, team.manager_id = team.id, manager.id
    if settings:
        try:
            check(team, settings)
        except ValidationFailed as exc:  # named as the request named it: within `settings`
            raise ValidationFailed(exc.message, {"settings": exc.fields}) from exc
        team_settings.save(team, settings, by=principal.id)
    db.session.commit()
    return _with_members([team])[0]


def update_team(principal, team_id, data):
    team = get_team(principal, team_id)
    if not principal.is_admin:
        refused = {key: ["Admins only."] for key in ("name", "manager_id") if key in data}
        if refused:
            raise Forbidden("A manager changes only their team's time zone.", refused)
    if "name" in data:
        _name_free(data["name"], team.id)
    if data.get("manager_id") is not None:
        manager = db.session.get(User, data["manager_id"])
        if manager is None or manager.role != "manager" or manager.team_id != team.id or not manager.active:
            raise NotFound(
                "No active manager of this team by that id.", {"manager_id": ["Not an active manager of the team."]}
            )
    old_zone = team.timezone
    for key, value in data.items():
        setattr(team, key, value)
    if team.timezone != old_zone:  # the reps' recorded days are dated again in the new zone
        repdays.rezone(db.session, db.session.scalars(select(User.id).where(User.team_id == team.id)))
    db.session.commit()
    return _with_members([team])[0]
