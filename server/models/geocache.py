"""Addresses a geocoder has answered, kept across imports (server/transfer/geocoding.py).

One row per (provider, normalised address, city): the coordinate as the provider gave it, in its
datum (高德 GCJ-02, 百度 BD-09, Nominatim WGS-84), and the WGS-84 point Fieldday stores, so a second
import of the same addresses asks the provider nothing. An address the provider answered it does not
know is kept too, without coordinates, and trusted for GEOCODER_NOT_FOUND_DAYS after `created_at` (then
asked again: the provider may know it by then). A refusal (key, quota) or a failure is never kept.
"""

from datetime import datetime

from sqlalchemy import Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class GeocodeCache(db.Model):
    __tablename__ = "geocode_cache"
    __table_args__ = (UniqueConstraint("provider", "address", "city"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    # The address as normalised (geocoding.normalise_address) and the city asked in ("" for none).
    address: Mapped[str] = mapped_column(String(500))
    city: Mapped[str] = mapped_column(String(64), default="")
    raw_longitude: Mapped[float | None] = mapped_column(Float)  # None: not found
    raw_latitude: Mapped[float | None] = mapped_column(Float)  # None: not found
    datum: Mapped[str] = mapped_column(String(8))  # wgs84, gcj02, bd09 (server/datum.py)
    longitude: Mapped[float | None] = mapped_column(Float)  # WGS-84; None: not found
    latitude: Mapped[float | None] = mapped_column(Float)
    formatted_address: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
