"""A team's settings through the API: read by its members, changed by its manager or an admin
(server/team_settings.py reads and stores them)."""

from flask import current_app
from sqlalchemy import select

from .. import team_settings
from ..errors import Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..models import Team, User
from ..policy import may_manage_team
from ..tiles import SOURCES


def _shown(settings):
    """The settings as the API answers them (who changed them, by name)."""
    out = {
        name: getattr(settings, name)
        for name in (
            "team_id",
            "timezone",
            "cadence_days",
            "first_appointment_time",
            "service_minutes",
            "lunch_earliest",
            "lunch_latest",
            "lunch_minutes",
            "day_end",
            "checkin_radius_m",
            "working_days",
            "visit_purposes",
            "visit_outcomes",
            "map_tiles",
            "map_tile_key",
            "leave_reminder_minutes",
            "appointment_reminder_minutes",
            "photo_camera_only",
            "changed_by",
            "changed_at",
        )
    }
    out["map"] = settings.map(current_app.config)
    who = db.session.get(User, settings.changed_by) if settings.changed_by else None
    out["changed_by_name"] = (who.display_name or who.username) if who else None
    return out


def _team(principal, team_id):
    """The team if the caller belongs to it or manages it (an admin: any); else 404."""
    team = db.session.get(Team, team_id)
    if team is None or not (principal.is_admin or principal.team_id == team.id):
        raise NotFound(f"No team {team_id} among yours.", {"team_id": ["Unknown team or not yours."]})
    return team


def _names(user_ids):
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return {}
    users = db.session.scalars(select(User).where(User.id.in_(ids))).all()
    return {user.id: user.display_name or user.username for user in users}


def settings_history(principal, team_id, args):
    """The team's settings changes, newest first (its members; an admin: any team)."""
    team = _team(principal, team_id)
    page, per_page = args.get("page", 1), args.get("per_page", 50)
    total, rows = team_settings.history(team.id, page, per_page)
    names = _names(row.changed_by for row in rows)
    items = [
        {
            "changed_at": row.changed_at,
            "changed_by": row.changed_by,
            "changed_by_name": names.get(row.changed_by),
            "changes": [{"field": name, "before": pair[0], "after": pair[1]} for name, pair in row.changes.items()],
        }
        for row in rows
    ]
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def get_settings(principal, team_id):
    return _shown(team_settings.for_team(_team(principal, team_id)))


def my_settings(principal):
    """The caller's team's settings (the method's without a team) and their own first appointment."""
    user = db.session.get(User, principal.id)
    settings = team_settings.for_user(user)
    return {**_shown(settings), "my_first_appointment_time": settings.first_appointment(user)}


def check(team, data):
    """Refuse values that contradict each other or the team's current ones (422 naming the field)."""
    current = team_settings.for_team(team)
    earliest = data.get("lunch_earliest", current.lunch_earliest)
    latest = data.get("lunch_latest", current.lunch_latest)
    if earliest > latest:
        field = "lunch_latest" if "lunch_latest" in data else "lunch_earliest"
        raise ValidationFailed(
            "The lunch break's latest start is before its earliest.",
            {field: [f"Must be after {earliest:%H:%M}." if field == "lunch_latest" else "Not after lunch_latest."]},
        )
    source = data.get("map_tiles", current.map_tiles)
    key = data.get("map_tile_key", current.map_tile_key)
    if SOURCES[source].needs_key and not key:
        field = "map_tile_key" if "map_tile_key" in data or "map_tiles" not in data else "map_tiles"
        raise ValidationFailed(
            f"The tile source {source} needs its key (map_tile_key).",
            {field: [f"{source} needs a key: send map_tile_key with it."]},
        )


def update_settings(principal, team_id, data):
    team = _team(principal, team_id)
    if not may_manage_team(principal, team):
        raise Forbidden("Only the team's manager or an admin changes its settings.")
    if not data:
        raise ValidationFailed(
            "Send the settings to change; the body changed nothing.", {"_schema": ["No field to change."]}
        )
    check(team, data)
    team_settings.save(team, data, by=principal.id)
    db.session.commit()
    return _shown(team_settings.for_team(team))
