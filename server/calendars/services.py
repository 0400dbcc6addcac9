"""The calendar feed's token (made, rotated, revoked; only its hash is kept) and the events it shows: the
token owner's own planned stops and appointments of the coming days, nobody else's."""

import hashlib
import secrets
from datetime import datetime, time, timedelta

from sqlalchemy.exc import IntegrityError

from .. import clock
from ..errors import NotFound
from ..extensions import db
from ..models import Account, Appointment, CalendarEvent, CalendarFeed, RoutePlan, User
from ..models.users import team_zone
from . import ics

FEED_DAYS = 14  # the feed's window: today and the 13 days after it, in the team's time zone
# What an event said is forgotten this long after it last changed, once it is no longer in the feed.
FORGET_AFTER = timedelta(days=60)


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def feed_state(user_id):
    """Whether the user has a live feed, and since when (the token itself is never kept to show again)."""
    feed = db.session.get(CalendarFeed, user_id)
    live = feed is not None and feed.token_hash is not None
    return {"active": live, "created_at": feed.created_at if live else None}


def new_token(user_id):
    """A new feed token for the user; the one before it (if any) stops working. Returns the token."""
    token = secrets.token_urlsafe(32)
    feed = db.session.get(CalendarFeed, user_id)
    if feed is None:
        feed = CalendarFeed(user_id=user_id)
        db.session.add(feed)
    feed.token_hash, feed.created_at, feed.revoked_at = _hash(token), clock.stamp(), None
    db.session.commit()
    return token, feed.created_at


def revoke(user_id):
    """The feed's URL answers 404 from now on."""
    feed = db.session.get(CalendarFeed, user_id)
    if feed is None or feed.token_hash is None:
        raise NotFound("No calendar feed to revoke.")
    feed.token_hash, feed.revoked_at = None, clock.stamp()
    db.session.commit()


def owner(token):
    """The active user a feed token belongs to; 404 for an unknown, revoked or inactive one."""
    feed = db.session.scalar(db.select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token or "")))
    user = db.session.get(User, feed.user_id) if feed is not None else None
    if user is None or not user.active:
        raise NotFound("No such calendar feed.")
    return user


def _window(zone):
    first = clock.today(zone)
    start = datetime.combine(first, time.min, zone)
    return first, first + timedelta(days=FEED_DAYS - 1), start, start + timedelta(days=FEED_DAYS)


def plan_events(user):
    """The user's own planned stops and appointments of the feed's window, as plain events."""
    zone = team_zone(user.team)
    first, last, start, end = _window(zone)
    appointments = db.session.scalars(
        db.select(Appointment)
        .where(Appointment.rep_id == user.id, Appointment.starts_at >= start, Appointment.starts_at < end)
        .order_by(Appointment.starts_at)
    ).all()
    plans = db.session.scalars(
        db.select(RoutePlan).where(RoutePlan.rep_id == user.id, RoutePlan.plan_date.between(first, last))
    ).all()
    account_ids = {a.account_id for a in appointments} | {s.account_id for p in plans for s in p.stops}
    accounts = {a.id: a for a in db.session.scalars(db.select(Account).where(Account.id.in_(account_ids)))}
    events = [ics.appointment_event(a, accounts[a.account_id], user.locale) for a in appointments]
    shown = {a.id for a in appointments}
    for plan in plans:
        for stop in plan.stops:
            # A stop kept for an appointment is that appointment's event (its own time and purpose). A stop of an
            # account given to another rep since the day was planned is theirs now: its name and address are not
            # shown outside its territory (the phone's sync leaves the account out too).
            if stop.appointment_id in shown or accounts[stop.account_id].owner_id != user.id:
                continue
            events.append(ics.stop_event(plan, stop, accounts[stop.account_id], user.locale))
    return events, zone


def numbered(rep_id, events):
    """Each event with its SEQUENCE and when it last changed: a new event is 0, one that says something
    new since the feed was last read goes up by one (kept in calendar_events)."""
    for attempt in range(2):
        try:
            return _numbered(rep_id, events)
        except IntegrityError:
            # Two reads of the feed numbered a new event at once: the other's numbers stand; read them.
            db.session.rollback()
            if attempt:
                raise
    return None


def _numbered(rep_id, events):
    uids = [e["uid"] for e in events]
    known = {row.uid: row for row in db.session.scalars(db.select(CalendarEvent).where(CalendarEvent.uid.in_(uids)))}
    out = []
    for event in events:
        fingerprint = ics.digest(event)
        row = known.get(event["uid"])
        if row is None:
            row = CalendarEvent(uid=event["uid"], rep_id=rep_id, digest=fingerprint, sequence=0)
            row.changed_at = clock.stamp()
            db.session.add(row)
        elif row.digest != fingerprint:
            row.digest, row.sequence, row.changed_at = fingerprint, row.sequence + 1, clock.stamp()
        out.append({**event, "sequence": row.sequence, "changed_at": row.changed_at})
    db.session.execute(
        db.delete(CalendarEvent).where(
            CalendarEvent.rep_id == rep_id,
            CalendarEvent.changed_at < clock.stamp() - FORGET_AFTER,
            CalendarEvent.uid.not_in(uids),
        )
    )
    db.session.commit()
    return out


def feed(token):
    """The ICS text of the token owner's coming days."""
    user = owner(token)
    events, zone = plan_events(user)
    return ics.calendar(numbered(user.id, events), zone, user.locale)


def appointment_file(principal, appointment_id):
    """One appointment the caller may read, as a `.ics` calendar of one event; with its start for the name."""
    from ..appointments.services import appointments

    appointment = appointments.get(principal, appointment_id)
    rep = db.session.get(User, appointment.rep_id)
    viewer = db.session.get(User, principal.id)
    event = ics.appointment_event(appointment, appointment.account, viewer.locale)
    zone = team_zone(rep.team)
    return ics.calendar(numbered(rep.id, [event]), zone, viewer.locale), appointment.starts_at.astimezone(zone)
