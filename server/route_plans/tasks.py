"""The evening batch on Celery workers: one task per rep, and a beat schedule that plans tomorrow.

Used only when CELERY_BROKER_URL is set (a Redis URL; the Celery app is made in server/background.py).
Start the workers and the schedule with

    celery -A server.worker:celery worker        # one process per CPU by default
    celery -A server.worker:celery beat          # sends the evening run at PLAN_EVENING_AT

`plan-day` then fans the reps out as tasks and waits for their outcomes; without a broker it
plans in local processes (planner.plan_team).
"""

import uuid
from datetime import date, timedelta

from celery import group
from flask import current_app

from .. import clock, team_settings
from ..background import celery_for
from ..errors import AppError
from ..extensions import db
from ..models.users import team_zone
from .planner import active_reps, batch_outcome, plan_day

PLAN_REP = "fieldday.plan_rep"
PLAN_TOMORROW = "fieldday.plan_tomorrow"


def plan_rep(rep_id, day_iso, time_limit_s=2.0):
    """Plan and store one rep's day; the number of stops, or why it could not be planned as
    "<code>: <message>": `unplannable` (proven) or `no_plan_found` (not found within the time limit)."""
    try:
        return len(plan_day(uuid.UUID(rep_id), date.fromisoformat(day_iso), time_limit_s).stops)
    except AppError as exc:
        db.session.rollback()
        return batch_outcome(exc)


def plan_tomorrow(time_limit_s=2.0):
    """The beat's evening run: send one task per active rep for tomorrow, tomorrow as the rep's team
    counts it (a team works in its own time zone), when tomorrow is one of the team's working days;
    return how many were sent."""
    celery = celery_for(current_app._get_current_object())
    sent = 0
    for rep in active_reps(None):
        day = clock.today(team_zone(rep.team)) + timedelta(days=1)
        if team_settings.for_user(rep).is_working_day(day):
            celery.send_task(PLAN_REP, args=(str(rep.id), day.isoformat(), time_limit_s))
            sent += 1
    return sent


def fan_out(app, reps, day, time_limit_s, timeout_s):
    """Send one task per rep and wait for all: {username: stops or reason}."""
    celery = celery_for(app)
    job = group(celery.signature(PLAN_REP, args=(str(rep.id), day.isoformat(), time_limit_s)) for rep in reps)
    outcomes = job.apply_async().get(timeout=timeout_s)
    return {rep.username: outcome for rep, outcome in zip(reps, outcomes)}
