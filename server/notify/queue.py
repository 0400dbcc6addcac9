"""The notice queue: a notice is stored with the change that caused it (same transaction), then sent
by the background worker (runner.py) on the team's channel, within the provider's per-user limits and
the team's working hours, retried with backoff on a passing failure. Each notice says its state:
queued, sent, or failed with why.

The in-app list needs no sending: a team on the in-app channel has its notices sent when stored.
"""

import hashlib
import logging
import threading
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import event, func, select
from sqlalchemy import text as sql

from .. import clock, team_settings
from ..extensions import db
from ..models import ImLink, Notification, NotifyPrefs, Team, TeamChannel, User
from ..models.notify import DEFAULT_HOURS
from ..models.users import team_zone
from .kinds import KINDS, render
from .providers import ProviderError, client_for

log = logging.getLogger(__name__)

# Per-user limits of each provider (CHINA.md): WeCom 30 a minute and 1,000 an hour per member, the
# excess dropped without a word; DingTalk 500 work notices a day per user and app, the same content
# once a day. Notices over a limit wait for it rather than being sent into the void.
WINDOW_LIMITS = {"wecom": ((timedelta(minutes=1), 30), (timedelta(hours=1), 1000))}
DAILY_LIMITS = {"dingtalk": 500}
PROVIDER_ZONE = "Asia/Shanghai"  # the day DingTalk counts in
PROVIDER_NAMES = {"wecom": "WeCom", "dingtalk": "DingTalk"}
DRAIN_BATCH = 200


def _prefs(row):
    kinds = dict(row.kinds or {}) if row else {}
    return {kind: {"on": True, "any_time": False, **kinds.get(kind, {})} for kind in KINDS}


def prefs_of(user_id):
    return _prefs(db.session.get(NotifyPrefs, user_id))


def prefs_of_many(user_ids):
    """{user id: prefs} of several users, read in one query."""
    rows = {
        row.user_id: row for row in db.session.scalars(select(NotifyPrefs).where(NotifyPrefs.user_id.in_(user_ids)))
    }
    return {user_id: _prefs(rows.get(user_id)) for user_id in user_ids}


def channel_row(team_id):
    return db.session.get(TeamChannel, team_id) if team_id else None


def configured(row):
    """The team's outside channel when its credentials are all there, else "inapp"."""
    if row is None:
        return "inapp"
    if row.channel == "wecom" and row.wecom_corp_id and row.wecom_secret and row.wecom_agent_id:
        return "wecom"
    if row.channel == "dingtalk" and all(
        (row.dingtalk_corp_id, row.dingtalk_app_key, row.dingtalk_app_secret, row.dingtalk_agent_id)
    ):
        return "dingtalk"
    return "inapp"


def corp_of(row, provider):
    """The corp (company) id of a team's WeCom or DingTalk: the user ids it issues are unique within it."""
    if row is None:
        return None
    return row.wecom_corp_id if provider == "wecom" else row.dingtalk_corp_id if provider == "dingtalk" else None


def enqueue(user, kind, params, dedupe_key=None):
    """Store a notice for `user` in the current transaction (none when they switched the kind off, or
    when one with the same `dedupe_key` exists); it is sent once the transaction commits."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind}")
    pref = prefs_of(user.id)[kind]
    if not pref["on"]:
        return None
    if dedupe_key and db.session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)):
        return None
    now = clock.stamp()  # when it was written: the worker decides from its own clock when it may go out
    channel = configured(channel_row(user.team_id))
    notice = Notification(
        user_id=user.id,
        team_id=user.team_id,
        kind=kind,
        params=params,
        dedupe_key=dedupe_key,
        channel=channel,
        any_time=pref["any_time"],
        attempts=0,
        not_before=now,
        state="sent" if channel == "inapp" else "queued",
        sent_at=now if channel == "inapp" else None,
    )
    if channel == "inapp" and has_app_context():
        from .webpush import wanted

        if wanted(user):  # Web Push beside the in-app list, where the user's browser subscribed (webpush.py)
            notice.push_state = "queued"
    db.session.add(notice)
    if channel != "inapp" or notice.push_state:
        db.session.info["notify_dispatch"] = True
    return notice


@event.listens_for(db.session, "after_commit")
def _after_commit(session):
    if session.info.pop("notify_dispatch", False) and has_app_context():
        from .runner import dispatch

        dispatch(current_app._get_current_object())


@event.listens_for(db.session, "after_rollback")
def _after_rollback(session):
    session.info.pop("notify_dispatch", None)


def hours_of(row):
    return (row.hours_from, row.hours_until) if row is not None else DEFAULT_HOURS


def next_in_hours(now, team_id, row):
    """`now` when it is within the team's working hours on one of its working days, else when they next start."""
    settings = team_settings.for_team(team_id)
    tz = team_zone(db.session.get(Team, team_id) if team_id else None)
    start, end = hours_of(row)
    local = now.astimezone(tz)
    if settings.is_working_day(local.date()) and start <= local.time() < end:
        return now
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        opens = datetime.combine(day, start, tz)
        if settings.is_working_day(day) and opens > now:
            return opens
    return now + timedelta(days=1)  # no working day at all: try again tomorrow


def _limit_wait(notice, now):
    """When the user may next receive a notice on this channel (None: now)."""
    sent = select(Notification.sent_at).where(
        Notification.user_id == notice.user_id, Notification.channel == notice.channel, Notification.state == "sent"
    )
    wait = None
    for window, most in WINDOW_LIMITS.get(notice.channel, ()):
        times = db.session.scalars(
            sent.where(Notification.sent_at > now - window).order_by(Notification.sent_at.desc()).limit(most)
        ).all()
        if len(times) >= most:
            free = min(times) + window + timedelta(seconds=1)
            wait = max(wait or free, free)
    most = DAILY_LIMITS.get(notice.channel)
    if most:
        midnight, tomorrow = _provider_day(now)
        count = db.session.scalar(
            select(func.count()).select_from(sent.where(Notification.sent_at >= midnight).subquery())
        )
        if count >= most:
            wait = max(wait or tomorrow, tomorrow)
    return wait


def _provider_day(now):
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(PROVIDER_ZONE)
    midnight = datetime.combine(now.astimezone(tz).date(), datetime.min.time(), tz)
    return midnight, midnight + timedelta(days=1)


def _sent_today_alike(notice, content_hash, now):
    midnight, _ = _provider_day(now)
    return db.session.scalar(
        select(Notification.id).where(
            Notification.user_id == notice.user_id,
            Notification.channel == notice.channel,
            Notification.state == "sent",
            Notification.content_hash == content_hash,
            Notification.sent_at >= midnight,
            Notification.id != notice.id,
        )
    )


def words(notice, user, at=None, locale=None):
    """(title, text) of a notice for its user as said at `at` ("tomorrow" is the day after it): by default as
    it went out, or will go out, so the in-app copy says what the channel said; in `locale` (the language the
    app shows) or the user's own."""
    at = at or notice.sent_at or notice.not_before
    today = at.astimezone(team_zone(user.team)).date()
    return render(notice.kind, notice.params or {}, locale or user.locale, today)


def _fail(notice, why):
    notice.state, notice.failure = "failed", why
    log.warning("notice %s (%s) failed: %s", notice.id, notice.channel, why)


def send_one(notice_id):
    """Send one queued notice if it is due: "sent", "failed", "retry", "held" (hours or limits) or None.

    Two drains never send the same notice: on PostgreSQL the row is locked (another worker skips it);
    SQLite has no row locks, so the drains of this process take turns (SQLite serves one process)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return _send_locked(notice_id, skip_locked=True)
    with _local_turn:
        return _send_locked(notice_id, skip_locked=False)


_local_turn = threading.Lock()


def _send_locked(notice_id, skip_locked):
    now = clock.now()
    query = select(Notification).where(Notification.id == notice_id, Notification.state == "queued")
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    notice = db.session.scalar(query)
    if notice is None or notice.not_before > now:
        db.session.rollback()
        return None
    if skip_locked:
        # One user's sends take turns across workers until committed, so each counts the others' against the limits.
        key = int.from_bytes(notice.user_id.bytes[:8], "big", signed=True)
        db.session.execute(sql("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    outcome = _attempt(notice, now)
    db.session.commit()
    return outcome


def _attempt(notice, now):
    user = db.session.get(User, notice.user_id)
    row = channel_row(notice.team_id)
    name = PROVIDER_NAMES.get(notice.channel, notice.channel)
    if user is None or not user.active:
        _fail(notice, "The user is no longer active.")
        return "failed"
    until = (notice.params or {}).get("until")  # a reminder's moment (an arrival, a start): never sent after it
    if until and now >= datetime.fromisoformat(until):
        _fail(notice, "Its moment passed before it could be sent.")
        return "failed"
    if not notice.any_time:
        opens = next_in_hours(now, notice.team_id, row)
        if opens > now:
            notice.not_before = opens
            return "held"
    if configured(row) != notice.channel:
        _fail(notice, f"The team's {name} channel is no longer set up (its channel or credentials changed).")
        return "failed"
    link = db.session.scalar(
        select(ImLink).where(
            ImLink.user_id == user.id, ImLink.provider == notice.channel, ImLink.corp_id == corp_of(row, notice.channel)
        )
    )
    if link is None:
        _fail(notice, f"No {name} user id is linked to this user.")
        return "failed"
    wait = _limit_wait(notice, now)
    if wait is not None:
        notice.not_before = wait
        return "held"
    title, text = words(notice, user, now)
    content_hash = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
    if notice.channel == "dingtalk" and _sent_today_alike(notice, content_hash, now):
        _fail(notice, "DingTalk delivers the same content to a user once a day, and this was sent today already.")
        return "failed"
    client = client_for(current_app.config, row)
    url = row.app_url or current_app.config["APP_URL"] or "/"
    try:
        client.send(link.external_id, title, text, url)
    except ProviderError as exc:
        notice.attempts += 1
        if exc.retry and notice.attempts < current_app.config["NOTIFY_MAX_ATTEMPTS"]:
            notice.failure = f"Attempt {notice.attempts}: {exc}"
            notice.not_before = now + timedelta(
                seconds=current_app.config["NOTIFY_RETRY_BASE_S"] * 2 ** (notice.attempts - 1)
            )
            log.info("notice %s will be tried again at %s: %s", notice.id, notice.not_before.isoformat(), exc)
            return "retry"
        _fail(notice, f"{exc} (after {notice.attempts} attempt{'s' if notice.attempts > 1 else ''})")
        return "failed"
    notice.attempts += 1
    notice.state, notice.sent_at, notice.content_hash, notice.failure = "sent", now, content_hash, None
    return "sent"


def drain(limit=DRAIN_BATCH):
    """Send every due notice (a failing one never holds the others up); {outcome: count}."""
    now = clock.now()
    due = db.session.scalars(
        select(Notification.id)
        .where(Notification.state == "queued", Notification.not_before <= now)
        .order_by(Notification.not_before, Notification.created_at)
        .limit(limit)
    ).all()
    db.session.rollback()
    counts = {}
    for notice_id in due:
        try:
            outcome = send_one(notice_id)
        except Exception:
            db.session.rollback()
            log.exception("notice %s could not be sent", notice_id)
            outcome = "error"
        if outcome:
            counts[outcome] = counts.get(outcome, 0) + 1
    from .webpush import push_due

    for outcome, count in push_due(now).items():
        counts[outcome] = counts.get(outcome, 0) + count
    return counts


def next_due():
    """When the earliest queued notice (or Web Push) is due (None: nothing queued)."""
    return db.session.scalar(
        select(func.min(Notification.not_before)).where(
            (Notification.state == "queued") | (Notification.push_state == "queued")
        )
    )
