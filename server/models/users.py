"""People, teams and authentication state."""

import uuid
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    Uuid,
    event,
    false,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Timestamped, UTCDateTime, UUIDPrimaryKey, utcnow
from .vocab import ROLES

DEFAULT_ZONE = "Asia/Shanghai"


class Team(UUIDPrimaryKey, Timestamped, db.Model):
    __tablename__ = "teams"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_ZONE)
    # The manager's goal for the share of the working day spent face-to-face, in percent.
    face_time_target_pct: Mapped[float] = mapped_column(Float, default=30.0, server_default="30")
    # Who set that goal last and when (a user id kept as it was: the name is looked up to show it).
    face_time_target_set_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    face_time_target_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    manager_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", use_alter=True, ondelete="SET NULL")
    )

    members: Mapped[list["User"]] = relationship(
        back_populates="team", foreign_keys="User.team_id", order_by="User.username"
    )
    manager: Mapped["User | None"] = relationship(foreign_keys=[manager_id], post_update=True)


def team_zone(team):
    """The time zone a team works in (reports and plans are dated in it); without a team, the
    installation's (FIELDDAY_TIMEZONE)."""
    if team is not None and team.timezone:
        return ZoneInfo(team.timezone)
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"] if has_app_context() else DEFAULT_ZONE)


class User(UUIDPrimaryKey, Timestamped, db.Model):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(Enum(*ROLES, name="user_role", native_enum=False, create_constraint=True))
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("teams.id", ondelete="SET NULL"), active_history=True
    )
    locale: Mapped[str] = mapped_column(String(8), default="zh-CN")
    active: Mapped[bool] = mapped_column(default=True)
    # Set by a password reset: the password is a temporary one the user must replace at their next login.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Where the rep's day starts and ends (home or office) and the 8:45 habit.
    start_label: Mapped[str] = mapped_column(String(200), default="")
    start_lat: Mapped[float | None] = mapped_column(Float)
    start_lng: Mapped[float | None] = mapped_column(Float)
    end_lat: Mapped[float | None] = mapped_column(Float)
    end_lng: Mapped[float | None] = mapped_column(Float)
    # Unset when created: the team's default (team_settings.first_appointment_time, 8:45 by the method).
    first_appointment_time: Mapped[time] = mapped_column(Time, active_history=True)

    team: Mapped[Team | None] = relationship(back_populates="members", foreign_keys=[team_id])


@event.listens_for(User, "before_insert")
def _first_appointment_by_team(_mapper, connection, user):
    """A user created without a first-appointment time takes their team's default (the method's 8:45
    without a team or team settings); each rep's own time may differ afterwards."""
    if user.first_appointment_time is not None:
        return
    from ..team_settings import METHOD
    from .settings import TeamSettings

    chosen = None
    if user.team_id is not None:
        chosen = connection.scalar(
            select(TeamSettings.first_appointment_time).where(TeamSettings.team_id == user.team_id)
        )
    user.first_appointment_time = chosen or METHOD.first_appointment_time


class UserChange(db.Model):
    """One change of what a past period's reports read of a user ({name: [before, after]}: the first-appointment
    time as HH:MM, the team as its id's text), written on every path that changes it (the listener below):
    a past period counts the rep's days by the time they had then."""

    __tablename__ = "user_changes"

    # In the order the changes were made (two within one clock tick too).
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changes: Mapped[dict] = mapped_column(JSON)

    __table_args__ = (Index("ix_user_changes_user_at", "user_id", "changed_at"),)


# The user's fields with a history, each with the form it is written in.
HISTORY_FIELDS = {
    "first_appointment_time": lambda value: value.strftime("%H:%M"),
    "team_id": str,
}


@event.listens_for(db.session, "before_flush")
def _user_history(session, _context, _instances):
    """A user's first-appointment time or team changed is written to `user_changes` in the same flush."""
    for user in [obj for obj in session.dirty if isinstance(obj, User)]:
        state, changes = inspect(user), {}
        for name, form in HISTORY_FIELDS.items():
            history = state.attrs[name].history
            if not history.has_changes():
                continue
            before = next(iter(history.deleted), None)
            after = next(iter(history.added), None)
            if before != after:
                changes[name] = [None if v is None else form(v) for v in (before, after)]
        if changes:
            session.add(UserChange(user_id=user.id, changes=changes))


class RevokedToken(db.Model):
    """A logged-out token; kept in the database so revocation survives a restart."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_type: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TokenFamily(db.Model):
    """One login's tokens: each refresh replaces the refresh token, and presenting one already
    replaced (a stolen copy) ends the whole family, the thief's and the owner's tokens alike."""

    __tablename__ = "token_families"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    current_jti: Mapped[str] = mapped_column(String(64))
    previous_jti: Mapped[str | None] = mapped_column(String(64))
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginFailure(db.Model):
    """One login attempt not (yet) known to have succeeded, counted per client address and per
    address and username, to throttle password guessing without letting a stranger lock a rep out."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64), default="", server_default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
