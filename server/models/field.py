"""The rep's day: visits, day-clock activities, appointments and route plans."""

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Timestamped, UTCDateTime, UUIDPrimaryKey, Versioned
from .vocab import ACTIVITY_CATEGORIES


class Visit(UUIDPrimaryKey, Timestamped, Versioned, db.Model):
    """A visit to an account: purpose set before, outcome and next step after (拜访)."""

    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint("check_out_at IS NULL OR check_in_at IS NOT NULL", name="out_needs_in"),
        CheckConstraint("check_out_at IS NULL OR check_out_at >= check_in_at", name="out_after_in"),
        # With the distance and cancellation it covers the activity report's visits away from their account.
        Index("ix_visits_rep_check_in", "rep_id", "check_in_at", "check_in_distance_m", "cancelled_at"),
        # The rep-days a write touches read the rep's visits that ended on or after a day, whenever they
        # started (server/reports/repdays.py): without it, the rep's whole history before the day.
        Index("ix_visits_rep_check_out", "rep_id", "check_out_at"),
        # Covers the reports' counts of an account's visits (not cancelled, met) without reading the rows.
        Index("ix_visits_account_check_in", "account_id", "check_in_at", "cancelled_at", "met"),
        # The periodic tick finds the follow-ups due on a day (server/notify/followup.py).
        Index("ix_visits_next_step_due", "next_step_due"),
        # The few joint visits (陪访) of a team's period for the time split, without reading every visit of it.
        Index(
            "ix_visits_rep_joint",
            "rep_id",
            "check_in_at",
            postgresql_where=text("accompanied_by IS NOT NULL"),
            sqlite_where=text("accompanied_by IS NOT NULL"),
        ),
        # The rep's visits in two parts, with and without an opportunity: the hunting and farming report counts
        # the unlinked ones week by week from the index alone (opportunity_id in it too, or SQLite reads the
        # rows) and reads the linked ones without passing over the others.
        Index(
            "ix_visits_rep_unlinked",
            "rep_id",
            "check_in_at",
            "cancelled_at",
            "met",
            "opportunity_id",
            postgresql_where=text("opportunity_id IS NULL"),
            sqlite_where=text("opportunity_id IS NULL"),
        ),
        Index(
            "ix_visits_rep_linked",
            "rep_id",
            "check_in_at",
            postgresql_where=text("opportunity_id IS NOT NULL"),
            sqlite_where=text("opportunity_id IS NOT NULL"),
        ),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"))
    rep_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("opportunities.id", ondelete="SET NULL"))
    planned_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purpose: Mapped[str] = mapped_column(String(500))
    check_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_in_lat: Mapped[float | None] = mapped_column(Float)
    check_in_lng: Mapped[float | None] = mapped_column(Float)
    check_in_accuracy_m: Mapped[float | None] = mapped_column(Float)
    # How far from the account's position the check-in was (the server measures it; None: unknown).
    check_in_distance_m: Mapped[float | None] = mapped_column(Float)
    check_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_out_lat: Mapped[float | None] = mapped_column(Float)
    check_out_lng: Mapped[float | None] = mapped_column(Float)
    check_out_accuracy_m: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str] = mapped_column(Text, default="")
    # When the next step is due (the rep's own day, no time): the rep hears of it that morning. None: no date.
    next_step_due: Mapped[date | None] = mapped_column(Date)
    # False: the customer was not met (absent). An unsuccessful call: no contact, no face time.
    met: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # A visit recorded by mistake is cancelled with a reason, never deleted: the manager still sees it.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A joint visit (陪访): the rep's manager went along. The visit stays the rep's; the rep names the
    # manager, and it counts in the manager's own time and in the rep's coaching figures.
    accompanied_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))

    account = relationship("Account")


class Activity(UUIDPrimaryKey, Timestamped, Versioned, db.Model):
    """A stretch of the day on the day clock: face-to-face, travel, admin or meeting."""

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="end_after_start"),
        Index("ix_activities_rep_started", "rep_id", "started_at"),
        Index("ix_activities_rep_ended", "rep_id", "ended_at"),  # as ix_visits_rep_check_out
    )

    rep_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(
        Enum(*ACTIVITY_CATEGORIES, name="activity_category", native_enum=False, create_constraint=True)
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("visits.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, default="")


class Appointment(UUIDPrimaryKey, Timestamped, Versioned, db.Model):
    """A fixed time window at an account; the route planner must keep it."""

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        Index("ix_appointments_rep_starts", "rep_id", "starts_at"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"))
    rep_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    purpose: Mapped[str] = mapped_column(String(500), default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    account = relationship("Account")


class RoutePlan(UUIDPrimaryKey, Timestamped, Versioned, db.Model):
    """A rep's ordered stops for one day."""

    __tablename__ = "route_plans"
    __table_args__ = (UniqueConstraint("rep_id", "plan_date", name="uq_route_plans_rep_date"),)

    rep_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    plan_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    total_travel_s: Mapped[int] = mapped_column(Integer, default=0)
    # Stops left out of the day, with the reason for each: the planner's, and the rep's own leave-outs
    # ("left_out_by_rep").
    dropped: Mapped[list] = mapped_column(JSON, default=list)
    # Where the plan starts when it is not the rep's home: a re-plan from here and now
    # ({"latitude", "longitude", "at"}); None: from home.
    start: Mapped[dict | None] = mapped_column(JSON)
    # The rep's own choices for the day ({"include", "exclude", "pins": {account: "HH:MM"}}): a manager's
    # re-plan keeps them unless the manager overrides them.
    choices: Mapped[dict | None] = mapped_column(JSON)
    # Who planned it last (a manager, the rep, or None for the evening batch) and when.
    changed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The accounts planned as the plan stood at the day's first check-in: plan-vs-done compares with it.
    snapshot: Mapped[list | None] = mapped_column(JSON)

    stops: Mapped[list["RouteStop"]] = relationship(
        back_populates="plan", order_by="RouteStop.position", cascade="all, delete-orphan"
    )


class RouteStop(UUIDPrimaryKey, db.Model):
    __tablename__ = "route_stops"
    __table_args__ = (UniqueConstraint("route_plan_id", "position", name="uq_route_stops_plan_position"),)

    route_plan_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("route_plans.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"))
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("appointments.id", ondelete="SET NULL"))
    planned_arrival: Mapped[datetime] = mapped_column(UTCDateTime)
    service_minutes: Mapped[int] = mapped_column(Integer, default=30)
    travel_minutes: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(40), default="")
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)

    plan: Mapped[RoutePlan] = relationship(back_populates="stops")


class Photo(UUIDPrimaryKey, Timestamped, Versioned, db.Model):
    """A photo taken at a visit: its metadata syncs like any record; its bytes are kept in the photo store
    (server/photos/storage.py) and travel only by PUT/GET under the photo's id."""

    __tablename__ = "photos"
    __table_args__ = (
        Index("ix_photos_visit", "visit_id"),
        Index("ix_photos_account_taken", "account_id", "taken_at"),
        CheckConstraint("size > 0", name="photo_size_positive"),
    )

    visit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("visits.id", ondelete="CASCADE"))
    # The visit's account and rep, copied from it: the photo sits in the visit's territory and scope.
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"))
    rep_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    caption: Mapped[str] = mapped_column(Text, default="", server_default="")
    # What the phone declared: the bytes' length and SHA-256 (hex). An upload must match them.
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Set when the bytes are stored (None: still on the phone).
    content_type: Mapped[str | None] = mapped_column(String(20))
    uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RepDay(db.Model):
    """A rep's recorded day in figures, kept with the visits, activities and plans it is made of (written in
    the same transaction: server/reports/repdays.py). The reports read these rows instead of every visit and
    activity; they are exactly what the reports would work out from the rows themselves."""

    __tablename__ = "rep_days"

    rep_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # the local date in `tz`
    tz: Mapped[str] = mapped_column(String(64))  # the rep's team's zone when it was written
    # Any visit or activity started or ended that day (a working day of the first-appointment report).
    worked: Mapped[bool] = mapped_column(Boolean, default=False)
    # A record from two days before or earlier runs into this day: a report reads this day from the rows.
    odd: Mapped[bool] = mapped_column(Boolean, default=False)
    # The visits checked in that day (not cancelled): all, customer not met, met and checked out, with a purpose,
    # still open; the first check-in (epoch seconds).
    visits: Mapped[int] = mapped_column(Integer, default=0)
    not_met: Mapped[int] = mapped_column(Integer, default=0)
    face_to_face_visits: Mapped[int] = mapped_column(Integer, default=0)
    with_purpose: Mapped[int] = mapped_column(Integer, default=0)
    open_visits: Mapped[int] = mapped_column(Integer, default=0)
    open_activities: Mapped[int] = mapped_column(Integer, default=0)
    first_check_in: Mapped[float | None] = mapped_column(Float)
    # The time split of the day (server/reports/timesplit.py); split: the day has recorded time at all.
    split: Mapped[bool] = mapped_column(Boolean, default=False)
    face_to_face_min: Mapped[float] = mapped_column(Float, default=0.0)
    travel_min: Mapped[float] = mapped_column(Float, default=0.0)
    admin_min: Mapped[float] = mapped_column(Float, default=0.0)
    meeting_min: Mapped[float] = mapped_column(Float, default=0.0)
    unrecorded_min: Mapped[float] = mapped_column(Float, default=0.0)
    span_min: Mapped[float] = mapped_column(Float, default=0.0)
    # The day's plan (its snapshot at the first check-in, else its stops) and the stops visited that day.
    planned: Mapped[int] = mapped_column(Integer, default=0)
    planned_done: Mapped[int] = mapped_column(Integer, default=0)
