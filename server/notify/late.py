"""A rep's first visit late: the manager hears of it once a day per rep, when the rep's first-appointment
time (8:45 by the method) plus the first-appointment report's tolerance has passed on a planned working
day and no visit that began by then has reached the server. Checked by the periodic tick, and only within
a few hours of that moment, so that a server that was down all morning does not send stale news."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from .. import clock, team_settings
from ..extensions import db
from ..models import RoutePlan, RouteStop, User, Visit
from .queue import enqueue
from .teamday import managed_working_days

TOLERANCE = timedelta(minutes=10)  # as server/reports/firstvisit.py counts a first visit on time
STALE_AFTER = timedelta(hours=3)


def _planned_reps(team_id, day):
    """The team's active reps with at least one stop planned on `day`."""
    return db.session.scalars(
        select(User)
        .join(RoutePlan, RoutePlan.rep_id == User.id)
        .join(RouteStop, RouteStop.route_plan_id == RoutePlan.id)
        .where(User.team_id == team_id, User.role == "rep", User.active.is_(True), RoutePlan.plan_date == day)
        .distinct()
        .order_by(User.username)
    ).all()


def _first_check_in(rep_id, start, end):
    return db.session.scalar(
        select(func.min(Visit.check_in_at)).where(
            Visit.rep_id == rep_id,
            Visit.check_in_at >= start,
            Visit.check_in_at < end,
            Visit.cancelled_at.is_(None),
        )
    )


def write_late(now=None):
    """Queue a notice to each team's manager for each rep whose first visit is late today; how many."""
    now = now or clock.now()
    queued = 0
    for team, tz, day, manager in managed_working_days(now):
        midnight = datetime.combine(day, datetime.min.time(), tz)
        for rep in _planned_reps(team.id, day):
            target = datetime.combine(day, team_settings.first_appointment(rep), tz)
            due = target + TOLERANCE
            if not due <= now < due + STALE_AFTER:
                continue
            first = _first_check_in(rep.id, midnight, midnight + timedelta(days=1))
            if first is not None and first <= due:
                continue
            params = {
                "date": day.isoformat(),
                "rep": rep.display_name or rep.username,
                "target": target.strftime("%H:%M"),
                "at": first.astimezone(tz).strftime("%H:%M") if first is not None else None,
                "checked": now.astimezone(tz).strftime("%H:%M"),
            }
            if enqueue(manager, "first_visit_late", params, dedupe_key=f"first_visit_late:{rep.id}:{day.isoformat()}"):
                queued += 1
    db.session.commit()
    return queued
