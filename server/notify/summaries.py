"""The manager's end-of-day summary of the team's daily reports: one notice per manager per day, written
half an hour before the team's working hours end (so that it goes out within them)."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import DailyReview, User, Visit
from .queue import channel_row, enqueue, hours_of
from .teamday import managed_working_days

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
    for team, tz, day, manager in managed_working_days(now):
        _, until = hours_of(channel_row(team.id))
        ends = datetime.combine(day, until, tz)
        if not ends - BEFORE_END <= now < ends:
            continue
        params = summary_params(team, day, tz)
        if enqueue(manager, "day_summary", params, dedupe_key=f"day_summary:{team.id}:{day.isoformat()}"):
            queued += 1
    db.session.commit()
    return queued
