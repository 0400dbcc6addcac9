"""The notices through the API: a user's own list, the outbox a manager watches, a team's channel
(credentials write-only), each user's kinds, and the ids an admin links."""

import hmac

from flask import current_app
from sqlalchemy import delete, select

from .. import clock
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models import ImLink, Notification, NotifyPrefs, PushSubscription, TeamChannel, User
from ..models.notify import DEFAULT_HOURS
from ..policy import managed_team, may_manage_user, require_manager
from .kinds import KINDS
from .queue import configured, corp_of, prefs_of, words
from .signin import link
from .webpush import endpoint_ok, public_key

SECRETS = ("wecom_secret", "dingtalk_app_secret")


def channel_answer(team_id, row):
    out = {
        "team_id": team_id,
        "channel": row.channel if row else "inapp",
        "hours_from": row.hours_from if row else DEFAULT_HOURS[0],
        "hours_until": row.hours_until if row else DEFAULT_HOURS[1],
        "ready": configured(row) == (row.channel if row else "inapp"),
    }
    for name in ("wecom_corp_id", "wecom_agent_id", "dingtalk_corp_id", "dingtalk_app_key", "dingtalk_agent_id"):
        out[name] = getattr(row, name) if row else None
    for name in ("app_url", "changed_by", "changed_at"):
        out[name] = getattr(row, name) if row else None
    for name in SECRETS:
        out[f"{name}_set"] = bool(row and getattr(row, name))
    return out


def get_channel(principal, team_id):
    team = managed_team(principal, team_id)
    return channel_answer(team.id, db.session.get(TeamChannel, team.id))


def update_channel(principal, team_id, data):
    """Change a team's channel: a secret left out is kept, one sent as null is removed."""
    team = managed_team(principal, team_id)
    row = db.session.get(TeamChannel, team.id)
    if row is None:
        row = TeamChannel(team_id=team.id, channel="inapp", hours_from=DEFAULT_HOURS[0], hours_until=DEFAULT_HOURS[1])
        db.session.add(row)
    for name, value in data.items():
        setattr(row, name, value.strip() if isinstance(value, str) else value)
    if row.hours_from >= row.hours_until:
        raise ValidationFailed("The working hours must end after they start.", {"hours_until": ["Invalid value."]})
    if row.channel != "inapp" and configured(row) != row.channel:
        missing = [
            name
            for name in (
                ("wecom_corp_id", "wecom_agent_id", "wecom_secret")
                if row.channel == "wecom"
                else ("dingtalk_corp_id", "dingtalk_app_key", "dingtalk_app_secret", "dingtalk_agent_id")
            )
            if not getattr(row, name)
        ]
        raise ValidationFailed(
            f"The {row.channel} channel needs {', '.join(missing)}.", {name: ["Required."] for name in missing}
        )
    row.changed_by, row.changed_at = principal.id, clock.stamp()
    db.session.commit()
    return channel_answer(team.id, row)


def _shown(notice, user, lang=None):
    title, text = words(notice, user, locale=lang)
    return {
        **{
            name: getattr(notice, name)
            for name in (
                "id",
                "kind",
                "params",
                "channel",
                "state",
                "failure",
                "attempts",
                "not_before",
                "sent_at",
                "read_at",
                "created_at",
            )
        },
        "title": title,
        "text": text,
        "user_id": user.id,
        "username": user.username,
        "display_name": user.display_name,
    }


def mine(principal, unread=False, limit=50, lang=None):
    user = db.session.get(User, principal.id)
    query = select(Notification).where(Notification.user_id == user.id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    notices = db.session.scalars(query.order_by(Notification.created_at.desc()).limit(limit)).all()
    return [_shown(n, user, lang) for n in notices]


def mark_read(principal, notice_id):
    notice = db.session.get(Notification, notice_id)
    if notice is None or notice.user_id != principal.id:
        raise NotFound("No such notice of yours.", {"id": ["Unknown."]})
    if notice.read_at is None:
        notice.read_at = clock.stamp()
        db.session.commit()
    return _shown(notice, db.session.get(User, principal.id))


def outbox(principal, team_id=None, state=None, limit=100):
    """The notices of the caller's team (an admin: any team, or all) with their states, newest first."""
    if principal.is_rep:
        managed_team(principal, team_id or principal.team_id)  # answers 403
    query = select(Notification, User).join(User, User.id == Notification.user_id)
    if team_id is not None or not principal.is_admin:
        team = managed_team(principal, team_id or principal.team_id)
        query = query.where(Notification.team_id == team.id)
    if state:
        query = query.where(Notification.state == state)
    rows = db.session.execute(query.order_by(Notification.created_at.desc()).limit(limit)).all()
    return [_shown(n, u) for n, u in rows]


def get_prefs(principal):
    user = db.session.get(User, principal.id)
    return {"kinds": prefs_of(user.id), "mine": [k for k, role in KINDS.items() if role == user.role]}


def set_prefs(principal, data):
    row = db.session.get(NotifyPrefs, principal.id)
    if row is None:
        row = NotifyPrefs(user_id=principal.id, kinds={})
        db.session.add(row)
    row.kinds = {**(row.kinds or {}), **{k: dict(v) for k, v in data["kinds"].items()}}
    db.session.commit()
    return get_prefs(principal)


def _linked(user):
    links = {
        link.provider: link.external_id for link in db.session.scalars(select(ImLink).where(ImLink.user_id == user.id))
    }
    return {"wecom_userid": links.get("wecom"), "dingtalk_userid": links.get("dingtalk")}


def _managed_user(principal, user_id):
    user = db.session.get(User, user_id)
    if user is None or not may_manage_user(principal, user):
        raise NotFound(f"No user {user_id} among yours.", {"user_id": ["Unknown user or not yours."]})
    return user


def get_links(principal, user_id):
    return _linked(_managed_user(principal, user_id))


def set_links(principal, user_id, data):
    """Link (or, with null, unlink) a user's WeCom / DingTalk ids, in the corp of the user's team."""
    require_manager(principal, "Only an admin or the team's manager links WeCom / DingTalk ids.")
    user = _managed_user(principal, user_id)
    row = db.session.get(TeamChannel, user.team_id) if user.team_id else None
    for provider in ("wecom", "dingtalk"):
        field = f"{provider}_userid"
        if field not in data:
            continue
        if data[field] is None:
            db.session.execute(ImLink.__table__.delete().where(ImLink.user_id == user.id, ImLink.provider == provider))
            continue
        corp = corp_of(row, provider)
        if not corp:
            raise ValidationFailed(
                f"The user's team has no {provider} corp id set (the team's channel settings).",
                {field: ["Invalid value."]},
            )
        link(user, provider, corp, data[field].strip())
    db.session.commit()
    return _linked(user)


# --- Web Push subscriptions (webpush.py sends) ---------------------------------------


def push_key():
    key = public_key(current_app.config)
    return {"enabled": key is not None, "public_key": key}


def _checked_subscription(data):
    from base64 import urlsafe_b64decode

    errors = {}
    if not endpoint_ok(data["endpoint"]):
        errors["endpoint"] = ["Invalid value."]

    def raw(text):
        try:
            return urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except ValueError:
            return b""

    keys = {}
    p256dh, auth = raw(data["keys"]["p256dh"]), raw(data["keys"]["auth"])
    if len(p256dh) != 65 or p256dh[:1] != b"\x04":  # an uncompressed P-256 point (RFC 8291)
        keys["p256dh"] = ["Invalid value."]
    if len(auth) != 16:  # the 16-octet authentication secret
        keys["auth"] = ["Invalid value."]
    if keys:
        errors["keys"] = keys
    if errors:
        raise ValidationFailed("The push subscription is not one a browser gives.", errors)


def _same_keys(row, keys):
    """Whether `keys` are the row's own: the auth secret is known only to the browser and this server."""
    return hmac.compare_digest(row.p256dh.encode(), keys["p256dh"].encode()) & hmac.compare_digest(
        row.auth.encode(), keys["auth"].encode()
    )


def subscribe_push(principal, data):
    """Keep the caller's browser subscription. One endpoint belongs to one user: the user who subscribed it last,
    and another user takes it over only with the same keys, which only that browser has (a shared phone's next
    login; the one before then gets no more pushes there). The endpoint's address alone takes nothing."""
    if not push_key()["enabled"]:
        raise NotFound("Web Push is not set up on this server.")
    _checked_subscription(data)
    row = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == data["endpoint"]))
    if row is None:
        row = PushSubscription(endpoint=data["endpoint"])
        db.session.add(row)
    elif row.user_id != principal.id and not _same_keys(row, data["keys"]):
        raise Conflict(
            "This push endpoint is another browser subscription's; subscribe this browser again.",
            {"endpoint": ["Already exists."]},
            code="push_endpoint_taken",
        )
    row.user_id, row.p256dh, row.auth = principal.id, data["keys"]["p256dh"], data["keys"]["auth"]
    db.session.commit()
    return row


def unsubscribe_push(principal, endpoint):
    """Forget the caller's subscription at `endpoint` (none there: nothing to do)."""
    db.session.execute(
        delete(PushSubscription).where(PushSubscription.endpoint == endpoint, PushSubscription.user_id == principal.id)
    )
    db.session.commit()
