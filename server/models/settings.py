"""A team's settings of the method: cadence, the day's timings, the check-in radius, working days, the
visit presets, the map's tiles, the phone's reminders and whether photos come from the camera only. One
row per team at most; a team without one works by the method's values (server/team_settings.py holds
those and is the one reader)."""

import uuid
from datetime import datetime, time

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Time, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime


class TeamSettings(db.Model):
    __tablename__ = "team_settings"

    team_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    # A/B/C cadence: days after the last face-to-face contact an account is due again.
    cadence_a: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    cadence_b: Mapped[int] = mapped_column(Integer, default=14, server_default="14")
    cadence_c: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # The first appointment of the day a rep gets unless their own time is set (the 8:45 habit).
    first_appointment_time: Mapped[time] = mapped_column(Time, default=time(8, 45), server_default="08:45:00")
    # Minutes the planner gives a visit to an account of each class.
    service_a: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    service_b: Mapped[int] = mapped_column(Integer, default=45, server_default="45")
    service_c: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # The lunch break starts between these two times and lasts lunch_minutes.
    lunch_earliest: Mapped[time] = mapped_column(Time, default=time(12, 0), server_default="12:00:00")
    lunch_latest: Mapped[time] = mapped_column(Time, default=time(13, 0), server_default="13:00:00")
    lunch_minutes: Mapped[int] = mapped_column(Integer, default=45, server_default="45")
    # A check-in farther than this from the account is flagged "away from the account".
    checkin_radius_m: Mapped[float] = mapped_column(Float, default=300.0, server_default="300")
    # ISO weekdays (1 Monday .. 7 Sunday) the team works.
    working_days: Mapped[list] = mapped_column(JSON, default=lambda: [1, 2, 3, 4, 5])
    # The presets a visit's purpose and outcome offer, [{en, zh-CN}]; None: the method's.
    visit_purposes: Mapped[list | None] = mapped_column(JSON)
    visit_outcomes: Mapped[list | None] = mapped_column(JSON)
    # The map's tile source (server/tiles.py: osm, tianditu, amap, tencent) and 天地图's browser key.
    map_tiles: Mapped[str] = mapped_column(String(16), default="osm", server_default="osm")
    map_tile_key: Mapped[str | None] = mapped_column(String(64))
    # The phone's reminders while the app is open: this many minutes before the leave-by time of the next
    # stop, and before an appointment starts (the method's habit: a quarter of an hour).
    leave_reminder_minutes: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    appointment_reminder_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    # Photos at visits from the camera only, never picked from the album (a photo then proves the visit).
    photo_camera_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Who changed the settings last and when (a user id kept as it was: the name is looked up to show it).
    changed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TeamSettingsChange(db.Model):
    """One change of a team's settings: who, when, and each setting's value before and after
    ({name: [before, after]}, as the API writes them). The settings screen lists them, newest first."""

    __tablename__ = "team_settings_changes"

    # In the order the changes were made (two within one clock tick too).
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("teams.id", ondelete="CASCADE"))
    # A user id kept as it was (a deleted user's changes stay); the name is looked up to show it.
    changed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changes: Mapped[dict] = mapped_column(JSON)

    __table_args__ = (Index("ix_team_settings_changes_team_at", "team_id", "changed_at"),)
