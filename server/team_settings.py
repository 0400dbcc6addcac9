"""The one reader of a team's settings of the method: the A/B/C cadence, the first appointment (8:45),
service minutes per class, the lunch break, the check-in radius, the working days, the visit presets,
the phone's reminder minutes (before leaving for the next stop, before an appointment), the working day's end
(the method's, for every team: no visit is planned after it, and today is not planned or edited once it has
passed), the map's
tile source (with 天地图's key; server/tiles.py gives its datum and attribution) and whether a visit's
photos come from the camera only (no album).

A team's row (models/settings.py) holds what it chose; a team without one, or a user without a team,
works by the method's values (`METHOD`, from METHOD.md). Every caller (the planner, the reports, the
cadence rule and its SQL, the API the phone reads after login) asks here; nothing else keeps a copy.
Within one app context a team's settings are read once (`flask.g`), and a user's team once; a write through `save`,
or a user moved to another team, forgets them.
"""

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, time

from flask import g, has_app_context

from .extensions import db
from .models.users import DEFAULT_ZONE
from .models.vocab import ACCOUNT_CLASSES, VISIT_PHRASES

# Each setting, as the API names it, against the columns of `team_settings`.
PRESET_FIELDS = ("visit_purposes", "visit_outcomes")


@dataclass(frozen=True)
class Settings:
    """One team's settings as plain values (routing/ and the reports take them as arguments)."""

    team_id: uuid.UUID | None = None
    timezone: str = DEFAULT_ZONE
    cadence_days: dict = field(default_factory=lambda: {"A": 7, "B": 14, "C": 30})
    first_appointment_time: time = time(8, 45)
    service_minutes: dict = field(default_factory=lambda: {"A": 60, "B": 45, "C": 30})
    lunch_earliest: time = time(12, 0)
    lunch_latest: time = time(13, 0)
    lunch_minutes: int = 45
    day_end: time = time(19, 0)
    checkin_radius_m: float = 300.0
    working_days: tuple = (1, 2, 3, 4, 5)
    visit_purposes: tuple = tuple(dict(p) for p in VISIT_PHRASES["visit_purpose"])
    visit_outcomes: tuple = tuple(dict(p) for p in VISIT_PHRASES["visit_outcome"])
    map_tiles: str = "osm"
    map_tile_key: str | None = None
    leave_reminder_minutes: int = 10
    appointment_reminder_minutes: int = 15
    photo_camera_only: bool = False
    changed_by: uuid.UUID | None = None
    changed_at: object = None

    def cadence(self, account_class):
        """Days after the last contact an account of this class is due again (an unknown class: the longest)."""
        return self.cadence_days.get(account_class, max(self.cadence_days.values()))

    @property
    def longest_cadence(self):
        return max(self.cadence_days.values())

    def service(self, account_class):
        """Minutes the planner gives a visit to an account of this class (an unknown class: the shortest)."""
        return self.service_minutes.get(account_class, min(self.service_minutes.values()))

    def lunch_seconds(self):
        """(earliest start, latest start, duration) in seconds from midnight, for routing.Lunch."""
        return (_seconds(self.lunch_earliest), _seconds(self.lunch_latest), self.lunch_minutes * 60)

    def first_appointment(self, rep=None):
        """The rep's own first-appointment time, else the team's."""
        own = getattr(rep, "first_appointment_time", None)
        return own if own is not None else self.first_appointment_time

    def day_end_seconds(self):
        """The working day's end in seconds from midnight, for routing.Day."""
        return _seconds(self.day_end)

    def day_over(self, at_seconds):
        """Whether `at_seconds` (from the day's midnight) is at or after the working day's end."""
        return at_seconds >= self.day_end_seconds()

    def is_working_day(self, day: date):
        return day.isoweekday() in self.working_days

    def map(self, config):
        """The tile source the team's phones draw with: URL, datum, attribution (server/tiles.py)."""
        from . import tiles

        return tiles.resolve(config, self.map_tiles, self.map_tile_key)

    def phrases(self):
        return {"visit_purpose": list(self.visit_purposes), "visit_outcome": list(self.visit_outcomes)}


def _seconds(at):
    return at.hour * 3600 + at.minute * 60 + at.second


METHOD = Settings()


def _from_row(team, row):
    base = replace(
        METHOD, team_id=team.id if team else None, timezone=(team.timezone if team else None) or DEFAULT_ZONE
    )
    if row is None:
        return base
    return replace(
        base,
        cadence_days={"A": row.cadence_a, "B": row.cadence_b, "C": row.cadence_c},
        first_appointment_time=row.first_appointment_time,
        service_minutes={"A": row.service_a, "B": row.service_b, "C": row.service_c},
        lunch_earliest=row.lunch_earliest,
        lunch_latest=row.lunch_latest,
        lunch_minutes=row.lunch_minutes,
        checkin_radius_m=float(row.checkin_radius_m),
        working_days=tuple(sorted(row.working_days)),
        visit_purposes=tuple(row.visit_purposes) if row.visit_purposes is not None else METHOD.visit_purposes,
        visit_outcomes=tuple(row.visit_outcomes) if row.visit_outcomes is not None else METHOD.visit_outcomes,
        map_tiles=row.map_tiles or METHOD.map_tiles,
        map_tile_key=row.map_tile_key,
        leave_reminder_minutes=row.leave_reminder_minutes,
        appointment_reminder_minutes=row.appointment_reminder_minutes,
        photo_camera_only=bool(row.photo_camera_only),
        changed_by=row.changed_by,
        changed_at=row.changed_at,
    )


def _cache():
    if not has_app_context():
        return {}
    if "team_settings" not in g:
        g.team_settings = {}
    return g.team_settings


def forget():
    """Read every team's settings afresh (after a write)."""
    if has_app_context():
        g.pop("team_settings", None)


def for_team(team):
    """The settings of `team` (a Team, its id, or None: the method's)."""
    from .models import Team, TeamSettings

    if team is None:
        return METHOD
    team_id = team if isinstance(team, uuid.UUID) else team.id
    cache = _cache()
    if team_id not in cache:
        team = db.session.get(Team, team_id) if isinstance(team, uuid.UUID) else team
        cache[team_id] = _from_row(team, db.session.get(TeamSettings, team_id)) if team is not None else METHOD
    return cache[team_id]


def for_user(user):
    """The settings of the user's team (the method's for a user without one)."""
    return for_team(getattr(user, "team_id", None))


def for_user_id(user_id):
    """The settings of the team of the user with this id, looked up once per user within an app context (a
    snapshot's page asks for each of a thousand accounts' owner's); a user moved to another team forgets it."""
    if user_id is None:
        return METHOD
    cache = _cache()
    key = ("user", user_id)
    if key not in cache:
        from .models import User

        cache[key] = for_user(db.session.get(User, user_id))
    return cache[key]


def for_teams(team_ids):
    """{team id: Settings} for these teams."""
    return {team_id: for_team(team_id) for team_id in set(team_ids) if team_id is not None}


def customised():
    """{team id: Settings} of every team with a row of its own (the SQL cadence rule lists them)."""
    from .models import TeamSettings

    return for_teams(db.session.scalars(db.select(TeamSettings.team_id)).all())


def first_appointment(rep):
    """The time a rep's planned day starts: their own, else their team's default (8:45 by the method)."""
    return for_user(rep).first_appointment(rep)


def save(team, values, by):
    """Store `values` (the API's names) as the team's settings, saying who changed them and when."""
    from . import clock
    from .models import TeamSettings, TeamSettingsChange

    before = for_team(team)
    row = db.session.get(TeamSettings, team.id)
    if row is None:
        row = TeamSettings(team_id=team.id)
        db.session.add(row)
    for name, value in values.items():
        if name == "timezone":
            team.timezone = value
        elif name == "cadence_days":
            for cls in ACCOUNT_CLASSES:
                setattr(row, f"cadence_{cls.lower()}", value.get(cls, getattr(row, f"cadence_{cls.lower()}", None)))
        elif name == "service_minutes":
            for cls in ACCOUNT_CLASSES:
                setattr(row, f"service_{cls.lower()}", value.get(cls, getattr(row, f"service_{cls.lower()}", None)))
        elif name == "working_days":
            row.working_days = sorted(set(value))
        elif name in PRESET_FIELDS:
            setattr(row, name, [dict(p) for p in value] if value is not None else None)
        else:
            setattr(row, name, value)
    # A new row's unset columns take the method's values before they are read back.
    for column, default in _row_defaults().items():
        if getattr(row, column) is None:
            setattr(row, column, default)
    row.changed_by, row.changed_at = by, clock.stamp()
    db.session.flush()
    forget()
    changes = _differences(before, for_team(team), values)
    if changes:
        db.session.add(TeamSettingsChange(team_id=team.id, changed_by=by, changed_at=row.changed_at, changes=changes))
        db.session.flush()
    return row


def _plain(value):
    """A setting's value as JSON keeps it and the API writes it (times as HH:MM, tuples as lists)."""
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _differences(before, after, names):
    """{name: [before, after]} of the settings among `names` whose value changed."""
    out = {}
    for name in names:
        old, new = _plain(getattr(before, name)), _plain(getattr(after, name))
        if old != new:
            out[name] = [old, new]
    return out


def history(team_id, page=1, per_page=50):
    """(total, the team's changes newest first, one page)."""
    from sqlalchemy import func, select

    from .models import TeamSettingsChange

    where = TeamSettingsChange.team_id == team_id
    total = db.session.scalar(select(func.count()).select_from(TeamSettingsChange).where(where))
    rows = db.session.scalars(
        select(TeamSettingsChange)
        .where(where)
        .order_by(TeamSettingsChange.changed_at.desc(), TeamSettingsChange.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return total, rows


def _row_defaults():
    m = METHOD
    return {
        "cadence_a": m.cadence_days["A"],
        "cadence_b": m.cadence_days["B"],
        "cadence_c": m.cadence_days["C"],
        "first_appointment_time": m.first_appointment_time,
        "service_a": m.service_minutes["A"],
        "service_b": m.service_minutes["B"],
        "service_c": m.service_minutes["C"],
        "lunch_earliest": m.lunch_earliest,
        "lunch_latest": m.lunch_latest,
        "lunch_minutes": m.lunch_minutes,
        "checkin_radius_m": m.checkin_radius_m,
        "working_days": list(m.working_days),
        "map_tiles": m.map_tiles,
        "leave_reminder_minutes": m.leave_reminder_minutes,
        "appointment_reminder_minutes": m.appointment_reminder_minutes,
        "photo_camera_only": m.photo_camera_only,
    }
