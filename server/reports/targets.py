"""Sales targets: each rep's month broken down to weeks and working days against orders won, and the writes
of a target and of the team's face-time goal."""

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import or_, select

from .. import clock
from ..extensions import db
from ..fastpaths import epoch as _epoch
from ..models import (
    Opportunity,
    SalesTarget,
    TeamSettingsChange,
    utcnow,
)
from . import history
from .asof import as_of as accounts_as_of
from .asof import rules_as_of
from .reads import set_by
from .rows import held_by, rep_keys
from .rows import raw_text as _raw
from .rows import rep_row as _rep_row
from .timesplit import week_start


def months_of(start, end):
    month = start.replace(day=1)
    while month <= end:
        yield month
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def working_days(first, last, settings):
    """The days from `first` to `last` that are the team's working days (server/team_settings.py)."""
    return [
        first + timedelta(days=i)
        for i in range((last - first).days + 1)
        if settings.is_working_day(first + timedelta(days=i))
    ]


def month_settings(scope, month):
    """The scope's team's settings as they stood at the end of `month` (the month so far: now): a change of the
    working days since changes no past month's breakdown."""
    return rules_as_of(scope, min(datetime.combine(next_month(month), time(0), scope.tz), clock.now()))


def targets(scope):
    """Each rep's monthly target, broken down to weeks and working days, against orders won."""
    months = list(months_of(scope.start, scope.end))
    records = {
        (t.rep_id, t.month): t
        for t in db.session.scalars(
            select(SalesTarget).where(SalesTarget.rep_id.in_(scope.rep_ids), SalesTarget.month.in_(months))
        )
    }
    stored = {key: t.amount for key, t in records.items()}
    first_utc = datetime.combine(months[0], time(0), scope.tz)
    last_utc = datetime.combine(next_month(months[-1]), time(0), scope.tz)
    won = defaultdict(lambda: defaultdict(Decimal))  # rep -> local date -> amount
    # Orders as they stood at the end of the months (their stage history): a win reopened since still counts.
    as_of = min(last_utc, clock.now())
    then = accounts_as_of(scope, as_of)  # orders count for their account's holder at the end
    candidates = (
        *held_by(scope.rep_ids, then),
        Opportunity.opened_at < last_utc,
        or_(Opportunity.closed_at.is_(None), Opportunity.closed_at >= first_utc),
    )
    states = history.states_as_of(candidates, as_of)
    keys = rep_keys(scope.rep_ids)
    for opp_id, owner_id, status, closed_at, amount in db.session.execute(
        select(
            _raw(Opportunity.id),
            _raw(then.owner),
            Opportunity.status,
            _epoch(Opportunity.closed_at),
            Opportunity.amount,
        ).where(*candidates)
    ):
        state = states.get(opp_id)
        if state is not None:
            status, closed_at = state.status, state.closed_at
        if status == "won" and closed_at is not None and first_utc.timestamp() <= closed_at < last_utc.timestamp():
            won[keys[owner_id]][datetime.fromtimestamp(closed_at, scope.tz).date()] += amount or 0
    rows = []
    for rep in scope.reps:
        for month in months:
            last = next_month(month) - timedelta(days=1)
            working = working_days(month, last, month_settings(scope, month))
            target = stored.get((rep.id, month))
            per_day = (target / len(working)) if target is not None and working else None
            weeks = []
            for monday in sorted({week_start(d) for d in working}):
                in_week = [d for d in working if week_start(d) == monday]
                won_week = sum(
                    (
                        a
                        for d, a in won[rep.id].items()
                        if monday <= d < monday + timedelta(days=7) and month <= d <= last
                    ),
                    Decimal(0),
                )
                weeks.append(
                    {
                        "week_start": monday.isoformat(),
                        "working_days": len(in_week),
                        "target": money(per_day * len(in_week)) if per_day is not None else None,
                        "won": money(won_week),
                    }
                )
            won_month = sum((a for d, a in won[rep.id].items() if month <= d <= last), Decimal(0))
            rows.append(
                {
                    **_rep_row(rep),
                    "month": month.strftime("%Y-%m"),
                    "target": money(target),
                    "working_days": len(working),
                    "target_per_day": money(per_day),
                    "won": money(won_month),
                    "attainment_pct": round(float(won_month / target * 100), 1) if target else None,
                    **set_by(records.get((rep.id, month))),
                    "weeks": weeks,
                }
            )
    team = {
        "target": money(sum((stored.get((r.id, m)) or 0 for r in scope.reps for m in months), Decimal(0))),
        "won": sum(r["won"] for r in rows),
    }
    return {"rows": rows, "team": team}


def next_month(month):
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def money(value):
    return None if value is None else round(float(value), 2)


def set_target(rep, month, amount, by=None):
    """Store (or replace) a rep's target for a month, noting who set it and when."""
    target = db.session.scalar(select(SalesTarget).where(SalesTarget.rep_id == rep.id, SalesTarget.month == month))
    if target is None:
        target = SalesTarget(rep_id=rep.id, month=month, amount=amount)
        db.session.add(target)
    target.amount = amount
    target.set_by, target.set_at = by, utcnow()
    db.session.commit()
    return target


def set_face_time_target(team, pct, by=None):
    """Store a team's goal for the face-to-face share of the day, noting who set it and when, and a change of
    it in the settings' history (`team_settings_changes`): a past period is judged by the goal it had."""
    before = team.face_time_target_pct
    team.face_time_target_pct = pct
    team.face_time_target_set_by, team.face_time_target_set_at = by, utcnow()
    if before != pct:
        change = {"face_time_target_pct": [before, pct]}
        db.session.add(
            TeamSettingsChange(team_id=team.id, changed_by=by, changed_at=team.face_time_target_set_at, changes=change)
        )
    db.session.commit()
    return team
