"""The rep's calendar feed: a private token per user (kept hashed) and what each event of the feed last said.

A feed's events are the rep's planned stops and appointments; a calendar that subscribed to the feed keeps
each by its UID and takes a changed copy only when its SEQUENCE rises. So the server remembers, per UID, a
digest of what the event said last and its sequence: an event that says something new is numbered up once,
however often the feed is read."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class CalendarFeed(db.Model):
    """A user's calendar feed token: only its SHA-256 is kept; NULL when revoked (the URL answers 404)."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CalendarEvent(db.Model):
    """What the feed said last about one event (by UID), and how many times it has changed."""

    __tablename__ = "calendar_events"

    uid: Mapped[str] = mapped_column(String(160), primary_key=True)
    rep_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # When the event last changed: its DTSTAMP and LAST-MODIFIED.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
