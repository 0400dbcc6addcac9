"""Whose numbers a caller may see: a rep their own, a manager their team's, an admin anyone's."""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from .. import clock
from ..errors import Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..models import Team, User
from ..models.users import team_zone
from ..policy import may_manage_team, may_manage_user
from .asof import teams_then
from .rows import rep_order

MAX_DAYS = 400


def default_period(today):
    """The month so far, or the last full month while fewer than 7 days of this one have passed."""
    if today.day <= 7:
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    return today.replace(day=1), today


@dataclass(frozen=True)
class Scope:
    team: Team | None
    reps: list  # [User], the reps reported on
    tz: ZoneInfo
    start: date  # first local date, inclusive
    end: date  # last local date, inclusive
    # What the reports read for this scope, kept for the request: a report built from others (the
    # weekly review) reads the period's visits and activities once.
    reads: dict = field(default_factory=dict, compare=False, repr=False)

    def once(self, key, read):
        """`read()`, the first time `key` is asked for in this scope; the same rows after."""
        if key not in self.reads:
            self.reads[key] = read()
        return self.reads[key]

    @property
    def start_utc(self):
        return datetime.combine(self.start, time(0), self.tz)

    @property
    def end_utc(self):
        return datetime.combine(self.end + timedelta(days=1), time(0), self.tz)

    @property
    def rep_ids(self):
        return [r.id for r in self.reps]

    @property
    def settings(self):
        """The team's settings (server/team_settings.py): the team's, else the first rep's team's."""
        from .. import team_settings

        if self.team is not None:
            return team_settings.for_team(self.team)
        return team_settings.for_user(self.reps[0]) if self.reps else team_settings.METHOD


def report_teams(principal):
    """The teams the caller may report on as a team: an admin all, a manager their own, a rep none."""
    if principal.is_rep:
        return []
    return [team for team in db.session.scalars(select(Team).order_by(Team.name)) if may_manage_team(principal, team)]


def resolve_scope(principal, team_id=None, rep_id=None, start=None, end=None, today=None):
    """The reps and period a report covers, or Forbidden when the caller may not see them."""
    if rep_id is not None:
        rep = db.session.get(User, rep_id)
        # Another team's rep gets the same answer as no rep at all: a report tells nothing of who exists.
        if rep is None or rep.role != "rep" or not may_manage_user(principal, rep):
            raise NotFound(
                "No such rep among those you may see (yourself; managers: their team).",
                {"rep_id": ["Unknown rep or not in your team."]},
            )
        if team_id is not None and rep.team_id != team_id:
            raise ValidationFailed("That rep is not in that team.", {"rep_id": ["Not in the team."]})
        team = db.session.get(Team, rep.team_id) if rep.team_id else None
        reps = [rep]
    else:
        if principal.role == "rep":
            if team_id is not None:
                raise Forbidden("A rep sees their own figures only.", {"team_id": ["Reps see themselves only."]})
            return resolve_scope(principal, None, principal.id, start, end, today)
        team_id = team_id or principal.team_id
        if team_id is None:
            raise ValidationFailed("Name a team or a rep.", {"team_id": ["Required."]})
        team = db.session.get(Team, team_id)
        if team is None or not may_manage_team(principal, team):
            raise NotFound(
                "No such team among those you may see (managers: their own).",
                {"team_id": ["Unknown team or not yours."]},
            )
        reps = None  # the team's at the period's end, once the period is known
    tz = team_zone(team)
    today = today or clock.today(tz)
    if start is None and end is None:
        start, end = default_period(today)
    start = start or end.replace(day=1)
    end = end or today
    if end < start:
        raise ValidationFailed("The period ends before it starts.", {"to": ["Before `from`."]})
    if (end - start).days >= MAX_DAYS:
        raise ValidationFailed(f"A report covers at most {MAX_DAYS} days.", {"to": [f"At most {MAX_DAYS} days."]})
    scope = Scope(team, reps or [], tz, start, end)
    return scope if reps is not None else replace(scope, reps=team_reps(team, scope.end_utc))


def team_reps(team, end):
    """The reps `team` had at `end`, by name as people read it (rep2 before rep10): taken on by then, and in
    the team then (the users' history): a rep taken on or moved to another team since leaves a past period's
    rows as they were."""
    moved = teams_then(end)
    joined = [user_id for user_id, then in moved.items() if then == team.id]
    candidates = db.session.scalars(
        select(User).where(User.role == "rep", or_(User.team_id == team.id, User.id.in_(joined)))
    ).all()
    return sorted(
        (rep for rep in candidates if moved.get(rep.id, rep.team_id) == team.id and rep.created_at < end),
        key=rep_order,
    )
