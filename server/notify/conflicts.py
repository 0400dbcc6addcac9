"""A conflict the rep left unresolved: a push answered an account edit with `conflict` (the office changed a
field meanwhile) and the rep has not chosen on the phone which value stays (the phone says so through
POST /api/sync/conflicts/resolved). The rep's manager hears of it once a day per rep, not once per conflict,
when a conflict has been open for `OPEN_AFTER` within the team's working hours on a working day. Conflicts
older than `LOOK_BACK` (a phone logged out, its choices lost) and those already told of are not counted
again. Written by the periodic tick."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import Notification, SyncClient, SyncMutation, User
from .queue import channel_row, enqueue, hours_of
from .teamday import managed_working_days

KIND = "conflict_unresolved"
OPEN_AFTER = timedelta(hours=2)
LOOK_BACK = timedelta(days=3)


def _open_conflicts(rep_id, since, until):
    """(how many, the earliest) of the rep's conflicts raised after `since` and by `until`, still open."""
    return db.session.execute(
        select(func.count(), func.min(SyncMutation.conflict_at))
        .join(SyncClient, SyncClient.id == SyncMutation.client_id)
        .where(
            SyncClient.user_id == rep_id,
            SyncMutation.conflict_at > since,
            SyncMutation.conflict_at <= until,
            SyncMutation.resolved_at.is_(None),
        )
    ).one()


def _last_told(manager_id, rep_id):
    """When the manager was last told of this rep's open conflicts (None: never)."""
    return db.session.scalar(
        select(func.max(Notification.created_at)).where(
            Notification.user_id == manager_id,
            Notification.kind == KIND,
            Notification.dedupe_key.like(f"{KIND}:{rep_id}:%"),
        )
    )


def write_unresolved(now=None):
    """Queue a notice to each team's manager for each rep with a conflict open for `OPEN_AFTER`; how many."""
    now = now or clock.now()
    queued = 0
    for team, tz, day, manager in managed_working_days(now):
        start, until = hours_of(channel_row(team.id))
        if not datetime.combine(day, start, tz) <= now < datetime.combine(day, until, tz):
            continue
        reps = db.session.scalars(
            select(User)
            .where(User.team_id == team.id, User.role == "rep", User.active.is_(True))
            .order_by(User.username)
        )
        for rep in reps:
            key = f"{KIND}:{rep.id}:{day.isoformat()}"
            if db.session.scalar(select(Notification.id).where(Notification.dedupe_key == key)):
                continue
            told = _last_told(manager.id, rep.id)  # what was raised by then, less OPEN_AFTER, was counted
            since = max(now - LOOK_BACK, told - OPEN_AFTER) if told else now - LOOK_BACK
            count, first = _open_conflicts(rep.id, since, now - OPEN_AFTER)
            if not count:
                continue
            first_local = first.astimezone(tz)
            params = {
                "date": day.isoformat(),
                "rep": rep.display_name or rep.username,
                "count": count,
                "since": first_local.strftime("%H:%M"),
                "since_date": first_local.date().isoformat(),
            }
            if enqueue(manager, KIND, params, dedupe_key=key):
                queued += 1
    db.session.commit()
    return queued
