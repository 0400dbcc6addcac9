"""The customer side: accounts, their contacts, installed base and opportunities."""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .. import clock
from ..extensions import db
from ..pinyin import pinyin_keys
from .base import Timestamped, UTCDateTime, UUIDPrimaryKey, Versioned, utcnow
from .vocab import (
    ACCOUNT_CLASSES,
    DEVICE_COLOUR,
    DEVICE_OWNERSHIP,
    EMPLOYEE_BANDS,
    FUNNEL_STAGES,
    LOSS_REASONS,
    OPPORTUNITY_KINDS,
    OPPORTUNITY_STATUSES,
    ORG_TYPES,
    PURCHASE_ROLES,
)


def _enum(values, name):
    return Enum(*values, name=name, native_enum=False, create_constraint=True)


class Account(UUIDPrimaryKey, Timestamped, Versioned, db.Model):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude_range"),
        Index("ix_accounts_owner_class", "owner_id", "account_class"),
    )

    name: Mapped[str] = mapped_column(String(200), index=True)
    address: Mapped[str] = mapped_column(String(400), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    region: Mapped[str] = mapped_column(String(80), default="")
    industry: Mapped[str] = mapped_column(String(80), default="")
    employee_band: Mapped[str | None] = mapped_column(_enum(EMPLOYEE_BANDS, "employee_band"))
    org_type: Mapped[str] = mapped_column(_enum(ORG_TYPES, "org_type"), default="head_office")
    account_class: Mapped[str] = mapped_column(_enum(ACCOUNT_CLASSES, "account_class"), default="C")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    last_year_sales: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    notes: Mapped[str] = mapped_column(Text, default="")
    external_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    # Last face-to-face contact, kept current by the visit service; drives the A/B/C cadence.
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The name's search keys (server/pinyin.py), derived from the name whoever writes it, synced read-only.
    name_pinyin: Mapped[str] = mapped_column(String(1200), default="", server_default="")
    name_initials: Mapped[str] = mapped_column(String(400), default="", server_default="")

    owner = relationship("User", foreign_keys=[owner_id])

    @validates("name")
    def _keys_follow_name(self, _key, name):
        self.name_pinyin, self.name_initials = pinyin_keys(name)
        return name

    contacts: Mapped[list["Contact"]] = relationship(back_populates="account", passive_deletes=True)
    devices: Mapped[list["Device"]] = relationship(back_populates="account", passive_deletes=True)
    opportunities: Mapped[list["Opportunity"]] = relationship(back_populates="account", passive_deletes=True)

    @property
    def team_settings(self):
        """The settings of the owner's team (server/team_settings.py)."""
        from .. import team_settings

        return team_settings.for_user_id(self.owner_id)

    @property
    def cadence_days(self):
        return self.team_settings.cadence(self.account_class)

    @property
    def days_since_contact(self):
        from ..cadence import days_since

        return days_since(self.last_contact_at, clock.now())

    @property
    def overdue(self):
        """Past its A/B/C cadence (the owner's team's days) since the last face-to-face contact, or since
        it was created when never visited (server/cadence.py)."""
        from ..cadence import is_overdue

        return is_overdue(self.last_contact_at, self.account_class, clock.now(), self.created_at, self.team_settings)


class AccountChild(UUIDPrimaryKey, Timestamped, Versioned):
    """A record that hangs off one account and shares its territory."""

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)


class Contact(AccountChild, db.Model):
    __tablename__ = "contacts"

    name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(120), default="")
    department: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    purchase_role: Mapped[str | None] = mapped_column(_enum(PURCHASE_ROLES, "purchase_role"))
    notes: Mapped[str] = mapped_column(Text, default="")

    account: Mapped[Account] = relationship(back_populates="contacts")


class Device(AccountChild, db.Model):
    """A machine in field (MIF), ours or a competitor's."""

    __tablename__ = "devices"
    __table_args__ = (CheckConstraint("monthly_volume >= 0", name="monthly_volume_positive"),)

    ownership: Mapped[str] = mapped_column(_enum(DEVICE_OWNERSHIP, "device_ownership"))
    brand: Mapped[str] = mapped_column(String(80))
    model: Mapped[str] = mapped_column(String(80), default="")
    colour: Mapped[str] = mapped_column(_enum(DEVICE_COLOUR, "device_colour"), default="mono")
    installed_on: Mapped[date | None] = mapped_column(Date)
    monthly_volume: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")

    account: Mapped[Account] = relationship(back_populates="devices")


class Opportunity(AccountChild, db.Model):
    __tablename__ = "opportunities"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_positive"),
        CheckConstraint("status <> 'won' OR stage = 'O'", name="won_is_order"),
        CheckConstraint("status <> 'lost' OR loss_reason IS NOT NULL", name="lost_has_reason"),
    )

    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(_enum(OPPORTUNITY_KINDS, "opportunity_kind"), default="replacement")
    stage: Mapped[str] = mapped_column(_enum(FUNNEL_STAGES, "funnel_stage"), default="S", index=True)
    status: Mapped[str] = mapped_column(_enum(OPPORTUNITY_STATUSES, "opportunity_status"), default="open")
    # M-A-N qualification: Money, Authority, Need.
    man_money: Mapped[bool] = mapped_column(Boolean, default=False)
    man_authority: Mapped[bool] = mapped_column(Boolean, default=False)
    man_need: Mapped[bool] = mapped_column(Boolean, default=False)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    expected_close: Mapped[date | None] = mapped_column(Date)
    loss_reason: Mapped[str | None] = mapped_column(_enum(LOSS_REASONS, "loss_reason"))
    loss_note: Mapped[str] = mapped_column(Text, default="")
    # When the rep opened the opportunity (on the phone, perhaps offline): the funnel's period key.
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    stage_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    # The machine a replacement deal would replace (the installed base, MIF).
    device_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("devices.id", ondelete="SET NULL"))

    account: Mapped[Account] = relationship(back_populates="opportunities")
    stage_changes: Mapped[list["StageChange"]] = relationship(
        back_populates="opportunity", order_by="StageChange.changed_at", passive_deletes=True
    )


class StageChange(db.Model):
    """One move of an opportunity through the funnel, for conversion and days-in-stage."""

    __tablename__ = "stage_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    opportunity_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("opportunities.id", ondelete="CASCADE"), index=True
    )
    from_stage: Mapped[str | None] = mapped_column(String(1))
    to_stage: Mapped[str] = mapped_column(String(1))
    status: Mapped[str] = mapped_column(String(8), default="open")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))

    opportunity: Mapped[Opportunity] = relationship(back_populates="stage_changes")


class AccountReassignment(db.Model):
    """One change of an account's owner: the territory's history, which decides what an ex-owner may
    still record (a visit made while they held it) and when the new owner took it (coverage)."""

    __tablename__ = "account_reassignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    from_owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)  # kept as it was, like the log
    to_owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)  # reports: moves after an instant
    by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class AccountClassChange(db.Model):
    """One change of an account's A/B/C class: what it was, what it became, when and by whom. A past
    period's reports read the class as it stood at the period's end from it."""

    __tablename__ = "account_class_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    from_class: Mapped[str | None] = mapped_column(String(1))
    to_class: Mapped[str] = mapped_column(String(1))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    by: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # a user id kept as it was, like the reassignments'
