"""Notifications: what is sent to whom through which channel and how it went, each team's channel with
its credentials, each user's choice of kinds, and the WeCom / DingTalk user ids people sign in with
(server/notify/ sends them)."""

import uuid
from datetime import datetime, time

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import Timestamped, UTCDateTime, UUIDPrimaryKey

CHANNELS = ("inapp", "wecom", "dingtalk")
PROVIDERS = ("wecom", "dingtalk")
NOTIFICATION_STATES = ("queued", "sent", "failed")
DEFAULT_HOURS = (time(8, 0), time(20, 0))  # a team's working hours unless it set its own


class TeamChannel(db.Model):
    """The channel a team's notices go out on, beside the in-app list everyone has, with its credentials
    (never answered by the API nor logged) and the hours in which notices may go out."""

    __tablename__ = "team_channels"

    team_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), default="inapp", server_default="inapp")
    # WeCom: the corp id, the application's agent id and its secret.
    wecom_corp_id: Mapped[str | None] = mapped_column(String(64))
    wecom_agent_id: Mapped[str | None] = mapped_column(String(32))
    wecom_secret: Mapped[str | None] = mapped_column(String(128))
    # DingTalk: the corp id (the phone asks for its sign-in code with it), the app's key, secret and agent id.
    dingtalk_corp_id: Mapped[str | None] = mapped_column(String(64))
    dingtalk_app_key: Mapped[str | None] = mapped_column(String(64))
    dingtalk_app_secret: Mapped[str | None] = mapped_column(String(128))
    dingtalk_agent_id: Mapped[str | None] = mapped_column(String(32))
    # The address the message cards link to (the app as registered in WeCom / DingTalk).
    app_url: Mapped[str | None] = mapped_column(String(300))
    # The team's working hours (its own time zone) on its working days: notices wait for them.
    hours_from: Mapped[time] = mapped_column(Time, default=DEFAULT_HOURS[0], server_default="08:00:00")
    hours_until: Mapped[time] = mapped_column(Time, default=DEFAULT_HOURS[1], server_default="20:00:00")
    changed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotifyPrefs(db.Model):
    """A user's choice per kind: {kind: {"on": bool, "any_time": bool}}; a kind not named is on,
    within the team's hours."""

    __tablename__ = "notify_prefs"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kinds: Mapped[dict] = mapped_column(JSON, default=dict)


class ImLink(UUIDPrimaryKey, Timestamped, db.Model):
    """A Fieldday user's id in WeCom or DingTalk, unique within the company (corp) that issued it."""

    __tablename__ = "im_links"
    __table_args__ = (
        UniqueConstraint("provider", "corp_id", "external_id", name="uq_im_links_provider_corp_external"),
        UniqueConstraint("user_id", "provider", name="uq_im_links_user_provider"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(16))
    corp_id: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(64))


class Notification(UUIDPrimaryKey, Timestamped, db.Model):
    """One notice to one user: always in their in-app list; sent on the team's channel by the worker."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_due", "state", "not_before"),
        Index("ix_notifications_user_sent", "user_id", "channel", "sent_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # The same notice is queued once (e.g. one summary per manager per day).
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    any_time: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    failure: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Web Push beside the in-app list (server/notify/webpush.py): queued, sent or failed; None: not pushed.
    push_state: Mapped[str | None] = mapped_column(String(16))


class PushSubscription(UUIDPrimaryKey, Timestamped, db.Model):
    """A browser's Web Push subscription (RFC 8030 push resource with its RFC 8291 keys) for one user."""

    __tablename__ = "push_subscriptions"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(120))
    auth: Mapped[str] = mapped_column(String(40))
