"""Sales targets: a monthly amount per rep, broken down to weeks and working days in reports."""
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import Timestamped, UUIDPrimaryKey


class SalesTarget(UUIDPrimaryKey, Timestamped, db.Model):
    __tablename__ = "sales_targets"
    __table_args__ = (
        UniqueConstraint("rep_id", "month", name="uq_sales_targets_rep_month"),
        CheckConstraint("amount >= 0", name="amount_positive"),
    )

    rep_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)  # the first day of the month
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
