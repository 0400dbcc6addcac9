"""The teams a clock-driven writer goes through for their manager: those with an active manager whose day
(in the team's own zone) is one of its working days."""

from sqlalchemy import select

from .. import team_settings
from ..extensions import db
from ..models import Team, User
from ..models.users import team_zone


def managed_working_days(now):
    """(team, its zone, its local date, its manager) for each team whose manager is active and whose local
    date at `now` is a working day."""
    for team in db.session.scalars(select(Team).where(Team.manager_id.is_not(None))):
        tz = team_zone(team)
        day = now.astimezone(tz).date()
        manager = db.session.get(User, team.manager_id)
        if manager is None or not manager.active or not team_settings.for_team(team).is_working_day(day):
            continue
        yield team, tz, day, manager
