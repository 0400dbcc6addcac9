"""Web Push beside the in-app list, where it works: a notice for a user of a team on the in-app channel also goes
to each browser the user subscribed (the Me screen), through the browser's push service: the message encrypted
for the subscription (RFC 8291, aes128gcm) and signed with the server's VAPID key (RFC 8292), POSTed to the
subscription's push resource (RFC 8030). Not relied upon: Chrome's push service depends on FCM, blocked in
China; WeCom and DingTalk are the channels that reach people there, and a team on one of them gets no push.

Sent by the same worker as the channels, within the team's working hours unless the user asked for the kind at
any time, once; a push service that says the subscription is gone (404, 410) has it deleted; any other refusal
marks the push failed (the notice stays in the in-app list). Off unless VAPID_PRIVATE_KEY and VAPID_SUBJECT
are set."""

import ipaddress
import json
import logging
import socket
from datetime import datetime
from urllib.parse import urlparse

import requests
from cryptography.hazmat.primitives import serialization
from flask import current_app
from py_vapid import Vapid
from py_vapid.utils import b64urlencode
from pywebpush import WebPushException, webpush
from sqlalchemy import select

from ..extensions import db
from ..models import Notification, PushSubscription, User
from .queue import channel_row, next_in_hours, words

log = logging.getLogger(__name__)

TTL_S = 3600  # how long a push service keeps a message for a browser that is not reachable now
TIMEOUT_S = 10
BATCH = 200
GONE = (404, 410)  # RFC 8030 §7.3: the subscription expired or was removed


def vapid(config):
    """The server's VAPID key, or None: Web Push off (no key or no subject, or a key that does not read)."""
    key, subject = config.get("VAPID_PRIVATE_KEY"), config.get("VAPID_SUBJECT")
    if not key or not subject:
        return None
    if not subject.startswith(("mailto:", "https:")):  # RFC 8292 §2.1: a contact the push service can use
        log.warning("VAPID_SUBJECT is neither a mailto: nor an https: address: Web Push is off")
        return None
    try:
        return Vapid.from_string(private_key=key)
    except Exception:  # noqa: BLE001 - any unreadable key: the setting is wrong, say so, push stays off
        log.warning("VAPID_PRIVATE_KEY does not read as a P-256 key (base64url raw or DER): Web Push is off")
        return None


def public_key(config):
    """The VAPID public key as browsers take it (`applicationServerKey`): base64url of the uncompressed point."""
    key = vapid(config)
    if key is None:
        return None
    raw = key.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64urlencode(raw)


def wanted(user):
    """Whether a notice for `user` is to be pushed too: Web Push on and the user has a subscription."""
    if vapid(current_app.config) is None:
        return False
    mine = select(PushSubscription.id).where(PushSubscription.user_id == user.id).limit(1)
    return db.session.scalar(mine) is not None


def subscribed(user_ids):
    """The users among `user_ids` whose notices are to be pushed too (as `wanted`), read in one query."""
    if vapid(current_app.config) is None or not user_ids:
        return set()
    query = select(PushSubscription.user_id).where(PushSubscription.user_id.in_(user_ids)).distinct()
    return set(db.session.scalars(query))


def push_due(now):
    """Push every due notice queued for Web Push; {"pushed": n, "push_failed": n, "push_held": n} (zeros left out)."""
    key = vapid(current_app.config)
    ids = db.session.scalars(
        select(Notification.id)
        .where(Notification.push_state == "queued", Notification.not_before <= now)
        .order_by(Notification.not_before)
        .limit(BATCH)
    ).all()
    db.session.rollback()
    counts = {}
    for notice_id in ids:
        try:
            outcome = _push_one(notice_id, key, now)
        except Exception:
            db.session.rollback()
            log.exception("notice %s could not be pushed", notice_id)
            outcome = "push_error"
        if outcome:
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _push_one(notice_id, key, now):
    query = select(Notification).where(Notification.id == notice_id, Notification.push_state == "queued")
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # another worker pushing it skips it
    notice = db.session.scalar(query)
    if notice is None:
        db.session.rollback()
        return None
    outcome = _attempt(notice, key, now)
    db.session.commit()
    return outcome


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def endpoint_ok(endpoint):
    """Whether a browser's push service may be at `endpoint`: https (plain http only on this machine), a port that
    is one, and no address of a private, link-local or reserved network, written as one or named (a name is
    resolved, and every address it has must be allowed). The server posts to the endpoint, so one reaching such
    an address would make it a way into its own network (the cloud's metadata address, a database port); this
    machine stays allowed, as it is for plain http (a local push service). Checked when a browser subscribes and
    again before each push: a name may point elsewhere by then."""
    try:
        url = urlparse(endpoint)
        host, _port = url.hostname, url.port  # a port out of range (or not a number) is a ValueError
    except ValueError:  # a bracketed host that is no IPv6 address, a bad port
        return False
    if not host or url.scheme not in ("https", "http") or (url.scheme == "http" and host not in LOCAL_HOSTS):
        return False
    address = _address(host)
    addresses = [address] if address is not None else _resolved(host)
    return all(a.is_global or a.is_loopback for a in addresses)


def _address(host):
    """The IP address `host` names, written in any form a resolver takes (0x0a000001 is 10.0.0.1); None: a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _resolved(host):
    """The addresses a host name has (none when it does not resolve: nothing can be posted to it then)."""
    try:
        answers = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [ipaddress.ip_address(answer[4][0].split("%")[0]) for answer in answers]


def _no_redirects():
    """A session that follows no redirect: a push service's 307 to another address (its own network's, say) would
    be followed with the POST and its body, past the check of the endpoint; a redirect is a failed push instead."""
    session = requests.Session()
    session.max_redirects = 0
    return session


def _attempt(notice, key, now):
    user = db.session.get(User, notice.user_id)
    until = (notice.params or {}).get("until")
    if key is None or user is None or not user.active or (until and now >= datetime.fromisoformat(until)):
        notice.push_state = "failed"
        return "push_failed"
    if not notice.any_time:
        opens = next_in_hours(now, notice.team_id, channel_row(notice.team_id))
        if opens > now:
            notice.not_before = opens
            return "push_held"
    title, text = words(notice, user, now)
    # A reminder's tag is the one the open app shows its own with (one notification of the two); others, the notice's.
    tag = (notice.params or {}).get("tag") or str(notice.id)
    data = json.dumps({"title": title, "body": text, "tag": tag, "url": "/#/me"}, ensure_ascii=False)
    subject = current_app.config["VAPID_SUBJECT"]
    delivered = 0
    for subscription in db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == user.id)):
        info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
        if not endpoint_ok(subscription.endpoint):
            log.warning("push subscription %s names a private address now: not posted to", subscription.id)
            continue
        try:
            webpush(
                info,
                data=data,
                vapid_private_key=key,
                vapid_claims={"sub": subject},
                ttl=TTL_S,
                timeout=TIMEOUT_S,
                requests_session=_no_redirects(),
            )
            delivered += 1
        except WebPushException as exc:
            if exc.status_code in GONE:
                db.session.delete(subscription)
                log.info("push subscription %s is gone (%s): deleted", subscription.id, exc.status_code)
            else:
                log.warning("push of notice %s refused: HTTP %s", notice.id, exc.status_code)
        except requests.RequestException as exc:
            log.warning("push service of subscription %s not reached: %s", subscription.id, type(exc).__name__)
    notice.push_state = "sent" if delivered else "failed"
    return "pushed" if delivered else "push_failed"
