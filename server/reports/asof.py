"""Accounts as they stood at an instant: who held each one and its A/B/C class, read back from the
territory's history (`AccountReassignment`) and the classes' (`AccountClassChange`).

An account changed after the instant had, then, the value the last change at or before it left (`to_`),
else the one the first change after it found (`from_`); an account not changed since has its value now.
Each history is read with one query for the changes after the instant (none for a period that ends now),
and what the reports read becomes SQL: `owner` and `account_class` in place of the columns, `held` in
place of `Account.owner_id.in_(rep_ids)`. Deals go with their account: they count for its holder then."""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import time

from sqlalchemy import Uuid, and_, case, literal, or_, select

from ..extensions import db
from ..models import Account, AccountClassChange, AccountReassignment, TeamSettingsChange, UserChange


def _then(rows, instant):
    """{account: its value at `instant`} from rows (account, before, after, at) in order of time, per account."""
    then, settled = {}, set()
    for account_id, before, after, at in rows:
        if account_id in settled:
            continue
        if at <= instant:
            then[account_id] = after
        else:
            if account_id not in then:
                then[account_id] = before
            settled.add(account_id)
    return then


def _changed_since(history, instant, *columns):
    later = select(history.account_id).where(history.at > instant)
    return db.session.execute(
        select(history.account_id, *columns, history.at)
        .where(history.account_id.in_(later))
        .order_by(history.account_id, history.at, history.id)
    ).all()


@dataclass(frozen=True)
class AsOf:
    """The accounts of `rep_ids` as they stood at `instant`."""

    rep_ids: list
    instant: object
    owners: dict = field(default_factory=dict)  # account id -> its holder then, where it differs from now's
    classes: dict = field(default_factory=dict)  # account id -> its class then, where it differs from now's
    gone: list = field(default_factory=list)  # the reps' accounts now that another held then
    came: list = field(default_factory=list)  # accounts the reps held then that another holds now

    @classmethod
    def read(cls, rep_ids, instant):
        reps = set(rep_ids)
        owners, gone, came = {}, [], []
        rows = _changed_since(
            AccountReassignment, instant, AccountReassignment.from_owner_id, AccountReassignment.to_owner_id
        )
        current = (
            dict(
                db.session.execute(
                    select(Account.id, Account.owner_id).where(Account.id.in_({r[0] for r in rows}))
                ).all()
            )
            if rows
            else {}
        )
        for account_id, owner in _then(rows, instant).items():
            now = current.get(account_id)
            if account_id not in current or owner == now:
                continue
            owners[account_id] = owner
            if now in reps and owner not in reps:
                gone.append(account_id)
            elif owner in reps and now not in reps:
                came.append(account_id)
        classes = {}
        rows = _changed_since(AccountClassChange, instant, AccountClassChange.from_class, AccountClassChange.to_class)
        if rows:
            current = dict(
                db.session.execute(
                    select(Account.id, Account.account_class).where(Account.id.in_({r[0] for r in rows}))
                ).all()
            )
            classes = {a: c for a, c in _then(rows, instant).items() if a in current and c and c != current[a]}
        return cls(list(rep_ids), instant, owners, classes, gone, came)

    @property
    def held(self):
        """The clause for the accounts the reps held at the instant."""
        clause = Account.owner_id.in_(self.rep_ids)
        if self.gone:
            clause = and_(clause, Account.id.not_in(self.gone))
        if self.came:
            clause = or_(clause, Account.id.in_(self.came))
        return clause

    @property
    def owner(self):
        """The account's holder at the instant, as SQL in place of `Account.owner_id` (for the accounts `held`
        picks: one per holder then, each an IN list the database looks up, not one WHEN per account)."""
        reps = set(self.rep_ids)
        return _by_value({a: o for a, o in self.owners.items() if o in reps}, Account.owner_id, Uuid)

    @property
    def account_class(self):
        """The account's class at the instant, as SQL in place of `Account.account_class`."""
        return _by_value(self.classes, Account.account_class)


def _by_value(then, column, type_=None):
    """`column`, but for the accounts in `then` ({account id: value}) their value there."""
    if not then:
        return column
    groups = defaultdict(list)
    for account_id, value in then.items():
        groups[value].append(account_id)
    whens = [(Account.id.in_(ids), literal(value, type_) if type_ else value) for value, ids in groups.items()]
    if len(whens) == 1:
        return case(*whens, else_=column)
    # One look-up for the accounts that did not change (most), the values' lists only for those that did.
    return case((Account.id.in_(list(then)), case(*whens, else_=column)), else_=column)


# The settings a past period's figures read, each from the value the settings' history wrote before a change
# (the API's form: server/team_settings.py `_plain`) to the value `Settings` holds.
_THEN = {
    "cadence_days": lambda settings, before: {**settings.cadence_days, **before},
    "checkin_radius_m": lambda settings, before: float(before),
    "working_days": lambda settings, before: tuple(before),
}


def _befores(team_id, instant):
    """{setting: its value before the first change of it after `instant`} from the team's settings' history
    (the API's forms): what the team had then, for each setting changed since."""
    before = {}
    for changes in db.session.scalars(
        select(TeamSettingsChange.changes)
        .where(TeamSettingsChange.team_id == team_id, TeamSettingsChange.changed_at > instant)
        .order_by(TeamSettingsChange.changed_at, TeamSettingsChange.id)
    ):
        for name, (value, _) in changes.items():
            before.setdefault(name, value)
    return before


def _settings_before(scope, team_id, instant):
    return scope.once(("settings changed", team_id, instant), lambda: _befores(team_id, instant))


def _settings_then(settings, before):
    """`settings` with the A/B/C days, the check-in radius and the working days the team had at the instant
    whose `before` (`_befores`) is given."""
    then = {name: _THEN[name](settings, value) for name, value in before.items() if name in _THEN}
    return replace(settings, **then) if then else settings


def rules_as_of(scope, instant):
    """The scope's team's settings (the team its reps were in at the period's end) with the cadence, the
    check-in radius and the working days as they stood at `instant` (a change made since changes no past
    period's overdue, away check-ins or working days), read once per instant in the scope."""
    settings = scope.settings
    if settings.team_id is None:
        return settings
    key = ("rules", settings.team_id, instant)
    return scope.once(key, lambda: _settings_then(settings, _settings_before(scope, settings.team_id, instant)))


def face_time_goal(scope, instant):
    """The scope's team's goal for the face-to-face share at `instant`, with who set it and when:
    (percent, set by, set at). A goal set since was not the period's: its figures are judged by the one
    before, set by whoever the history says set it (nobody known when it was set before the history began)."""
    team = scope.team
    if team is None:
        return 30.0, None, None
    before = _settings_before(scope, team.id, instant)
    if "face_time_target_pct" not in before:
        return team.face_time_target_pct, team.face_time_target_set_by, team.face_time_target_set_at
    for by, at, changes in db.session.execute(
        select(TeamSettingsChange.changed_by, TeamSettingsChange.changed_at, TeamSettingsChange.changes)
        .where(TeamSettingsChange.team_id == team.id, TeamSettingsChange.changed_at <= instant)
        .order_by(TeamSettingsChange.changed_at.desc(), TeamSettingsChange.id.desc())
    ):
        if "face_time_target_pct" in changes:
            return before["face_time_target_pct"], by, at
    return before["face_time_target_pct"], None, None


def _users_then(name, instant, user_ids=None):
    """{user id: the value of their `name` at `instant`, as the users' history (`user_changes`) wrote it} for
    the users who changed it since (of `user_ids`, or any): one query."""
    where = [UserChange.changed_at > instant]
    if user_ids is not None:
        where.append(UserChange.user_id.in_(user_ids))
    then = {}
    for user_id, changes in db.session.execute(
        select(UserChange.user_id, UserChange.changes).where(*where).order_by(UserChange.changed_at, UserChange.id)
    ):
        if name in changes and user_id not in then:
            then[user_id] = changes[name][0]
    return then


def own_times_then(rep_ids, instant):
    """{rep id: their own first-appointment time at `instant` (None: unset)} for the reps who changed it since."""
    then = _users_then("first_appointment_time", instant, rep_ids)
    return {rep_id: time.fromisoformat(before) if before else None for rep_id, before in then.items()}


def teams_then(instant):
    """{user id: their team's id at `instant` (None: none)} for the users moved to another team since."""
    then = _users_then("team_id", instant)
    return {user_id: uuid.UUID(before) if before else None for user_id, before in then.items()}


def as_of(scope, instant):
    """The scope's accounts at `instant` (the period's end, or now), read once per scope and instant."""
    return scope.once(("as_of", instant), lambda: AsOf.read(scope.rep_ids, instant))
