"""The manager's end-of-day summary of the team's daily reports: one notice per manager per day, written
half an hour before the team's working hours end (so that it goes out within them)."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from .. import clock, team_settings
from ..extensions import db
from ..models import DailyReview, Team, User, Visit
from ..models.users import team_zone
from .queue import channel_row, enqueue, hours_of

BEFORE_END = timedelta(minutes=30)


def summary_params(team, day, tz):
    reps = db.session.scalars(
        select(User.id).where(User.team_id == team.id, User.role == "rep", User.active.is_(True))
    ).all()
    start = datetime.combine(day, datetime.min.time(), tz)
    written = db.session.scalar(
        select(func.count())
        .select_from(DailyReview)
        .where(
            DailyReview.rep_id.in_(reps),
            DailyReview.day == day,
            (DailyReview.went_well != "") | (DailyReview.to_improve != ""),
        )
    )
    visits = db.session.scalar(
        select(func.count())
        .select_from(Visit)
        .where(
            Visit.rep_id.in_(reps),
            Visit.check_in_at >= start,
            Visit.check_in_at < start + timedelta(days=1),
            Visit.cancelled_at.is_(None),
        )
    )
    return {"date": day.isoformat(), "written": written, "reps": len(reps), "visits": visits}


def write_due(now=None):
    """Queue today's summary for each team's manager whose day is about to end; how many were queued."""
    now = now or clock.now()
    queued = 0
    for team in db.session.scalars(select(Team).where(Team.manager_id.is_not(None))):
        tz = team_zone(team)
        local = now.astimezone(tz)
        _, until = hours_of(channel_row(team.id))
        ends = datetime.combine(local.date(), until, tz)
        if not team_settings.for_team(team).is_working_day(local.date()) or not (ends - BEFORE_END <= now < ends):
            continue
        manager = db.session.get(User, team.manager_id)
        if manager is None or not manager.active:
            continue
        params = summary_params(team, local.date(), tz)
        if enqueue(manager, "day_summary", params, dedupe_key=f"day_summary:{team.id}:{local.date().isoformat()}"):
            queued += 1
    db.session.commit()
    return queued
