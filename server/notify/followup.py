"""A follow-up due from a visit's next step: the visit's rep hears of it once, on the day the visit set as its
`next_step_due`, from the start of the team's working hours. Written by the periodic tick, and only within
that day's hours, so that a server that was down all day does not send stale news. A cancelled visit, a rep
no longer active and an account no longer in the rep's territory are skipped."""

from datetime import datetime

from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import Account, Team, User, Visit
from ..models.users import team_zone
from .queue import channel_row, enqueue, hours_of

TEXT_MOST = 300  # a long next step is cut in the notice (the visit holds all of it)


def _due_visits(team_id, day):
    """(visit, rep, account name) of the follow-ups due on `day` for the team's active reps (None: no team)."""
    in_team = User.team_id == team_id if team_id is not None else User.team_id.is_(None)
    return db.session.execute(
        select(Visit, User, Account.name)
        .join(User, User.id == Visit.rep_id)
        .join(Account, Account.id == Visit.account_id)
        .where(
            Visit.next_step_due == day,
            Visit.cancelled_at.is_(None),
            User.active.is_(True),
            in_team,
            Account.owner_id == Visit.rep_id,
        )
        .order_by(User.username, Visit.check_in_at, Visit.id)
    ).all()


def _cut(text):
    text = (text or "").strip()
    return text if len(text) <= TEXT_MOST else text[: TEXT_MOST - 1] + "…"


def write_follow_ups(now=None):
    """Queue a notice to each rep for each of their visits whose next step is due today; how many."""
    now = now or clock.now()
    queued = 0
    teams = [(team.id, team) for team in db.session.scalars(select(Team))] + [(None, None)]
    for team_id, team in teams:
        tz = team_zone(team)
        local = now.astimezone(tz)
        start, until = hours_of(channel_row(team_id))
        day = local.date()
        if not datetime.combine(day, start, tz) <= now < datetime.combine(day, until, tz):
            continue
        for visit, rep, account in _due_visits(team_id, day):
            params = {
                "date": day.isoformat(),
                "account": account,
                "next_step": _cut(visit.next_step),
                "purpose": _cut(visit.purpose),
                "visit_id": str(visit.id),
            }
            key = f"follow_up_due:{visit.id}:{day.isoformat()}"
            if enqueue(rep, "follow_up_due", params, dedupe_key=key):
                queued += 1
    db.session.commit()
    return queued
