"""What managers set and write: monthly sales targets, and comments on daily reports."""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Numeric, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import Timestamped, UTCDateTime, UUIDPrimaryKey, Versioned


class SalesTarget(UUIDPrimaryKey, Timestamped, db.Model):
    __tablename__ = "sales_targets"
    __table_args__ = (
        UniqueConstraint("rep_id", "month", name="uq_sales_targets_rep_month"),
        CheckConstraint("amount >= 0", name="amount_positive"),
    )

    rep_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)  # the first day of the month
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    # Who set it last, and when: the Team screen says so beside the figure.
    set_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DailyReview(UUIDPrimaryKey, Timestamped, db.Model):
    """The rep's own look back at a day (当天拜访工作总结) and the manager's comment on it."""

    __tablename__ = "daily_reviews"
    __table_args__ = (UniqueConstraint("rep_id", "day", name="uq_daily_reviews_rep_day"),)

    rep_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    went_well: Mapped[str] = mapped_column(Text, default="")
    to_improve: Mapped[str] = mapped_column(Text, default="")
    manager_comment: Mapped[str] = mapped_column(Text, default="")
    commented_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))


class WeeklyReview(UUIDPrimaryKey, Timestamped, Versioned, db.Model):
    """The act of a rep's weekly PDCA review: up to three focus points for the next week, written by
    the rep or their manager. Synced to the rep's phone (read-only there)."""

    __tablename__ = "weekly_reviews"
    __table_args__ = (UniqueConstraint("rep_id", "week", name="uq_weekly_reviews_rep_week"),)

    rep_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    week: Mapped[date] = mapped_column(Date)  # the Monday the reviewed week starts on
    # [{"text", "account_id"?}]: what to do next week; an account named is one of the rep's.
    focus: Mapped[list] = mapped_column(JSON, default=list)
    written_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    written_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
