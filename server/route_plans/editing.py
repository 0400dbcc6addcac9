"""The rep's own changes to a stored day, made on the phone (perhaps offline): a stop dropped, an
account inserted, a stop moved. The order is the rep's; the arrivals are timed again by the same
pass the phone ran (routing/retime.py), with the server's travel model.

The same rules through REST (`PATCH /api/routes/<rep>/<day>`) and sync (`route_plan` update):
only the plan's rep edits it this way (a manager re-plans instead); every account is the rep's; an
appointment's stop stays (move or cancel the appointment itself); a change made after the day (or after its
working day's end, team_settings' `day_end`) is refused. The rep's choices follow: a stop
dropped is left out of later re-plans of that day, an account inserted is kept in them.
"""

from datetime import datetime, time, timedelta

from sqlalchemy import select

from routing.retime import Leg, retime

from .. import clock, team_settings
from ..errors import Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..models import Account, Appointment, RouteStop, User, Visit
from .planner import Choices, _lunch, _provider, _seconds, _tz, clear_stops, day_over, day_visits, with_left_out

MAX_STOPS = 60
ADDED = "rep_added"  # the reason of a stop the rep inserted by hand


def edit_stops(principal, plan, stops, changed_at=None):
    """Store the rep's order of `stops` ([{account_id, appointment_id?}]) for `plan`, timed again."""
    if principal.id != plan.rep_id:
        raise Forbidden(
            "Only the rep changes their day's stops by hand; a manager re-plans the day.", {"stops": ["Not yours."]}
        )
    rep = db.session.get(User, plan.rep_id)
    tz = _tz(rep)
    now = min(changed_at or clock.now(), clock.now())
    if now.astimezone(tz).date() > plan.plan_date:
        # An order changed on the day (offline, sent later) is kept; one changed after the day is refused:
        # the day's plan is what the reports measured it against.
        raise ValidationFailed(
            "A past day's stops stay as the day left them: change today's or a later day's.", {"date": ["A past day."]}
        )
    settings = team_settings.for_user(rep)
    if now.astimezone(tz).date() == plan.plan_date and settings.day_over(_seconds(now, plan.plan_date, tz)):
        # Once the working day has ended, what is left of it is not timed into the night: plan tomorrow.
        raise day_over(settings, "stops")
    before = sorted(plan.stops, key=lambda s: s.position)
    by_account = {s.account_id: s for s in before}
    accounts = _checked(rep, plan, stops, before)
    visited = _visits(rep, plan.plan_date, tz)
    pins = Choices.from_json(plan.choices).pins
    lunch = _lunch(settings)
    legs = []
    for item, account in zip(stops, accounts):
        old = by_account.get(account.id)
        appointment = db.session.get(Appointment, item["appointment_id"]) if item.get("appointment_id") else None
        fixed = appointment.starts_at if appointment else _pinned_at(pins, account.id, old, plan.plan_date, tz)
        service = old.service_minutes if old is not None else settings.service(account.account_class)
        point = None if None in (account.latitude, account.longitude) else (account.latitude, account.longitude)
        legs.append(Leg(point, service * 60, fixed, visited.get(account.id)))
    origin = _origin(rep, plan)
    day_start = datetime.combine(plan.plan_date, settings.first_appointment(rep), tz)
    depart = (before[0].planned_arrival - timedelta(minutes=before[0].travel_minutes)) if before else day_start
    noon = datetime.combine(plan.plan_date, time(0), tz) + timedelta(seconds=lunch.earliest)
    late_lunch = datetime.combine(plan.plan_date, time(0), tz) + timedelta(seconds=lunch.latest)
    travel = _travel([origin, *(leg.point for leg in legs), _end(rep)])
    due = now <= late_lunch and not _lunch_before_leaving(plan, depart, noon, lunch.duration)
    timed = retime(origin, depart, legs, now, travel, lunch_at=noon if due else None, lunch_s=lunch.duration)

    clear_stops(plan)
    for position, (item, account, leg, t) in enumerate(zip(stops, accounts, legs, timed)):
        old = by_account.get(account.id)
        plan.stops.append(
            RouteStop(
                position=position,
                account_id=account.id,
                appointment_id=item.get("appointment_id"),
                planned_arrival=t.arrival,
                service_minutes=leg.service_s // 60,
                travel_minutes=round(t.travel_s / 60),
                reason=old.reason if old is not None else ADDED,
                pinned=old.pinned if old is not None else False,
            )
        )
    last = next((leg.point for leg in reversed(legs) if leg.point is not None), origin)
    home = _end(rep)
    plan.total_travel_s = sum(t.travel_s for t in timed) + (travel(last, home) if last and home else 0)
    plan.choices = _choices_after(plan.choices, before, accounts)
    now_in = {str(a.id) for a in accounts}
    plan.dropped = with_left_out(
        [d for d in plan.dropped or [] if d["id"] not in now_in], Choices.from_json(plan.choices).exclude
    )
    plan.changed_by, plan.changed_at = rep.id, now
    db.session.flush()
    return plan


def _checked(rep, plan, stops, before):
    if len(stops) > MAX_STOPS:
        raise ValidationFailed(f"A day holds at most {MAX_STOPS} stops.", {"stops": [f"At most {MAX_STOPS}."]})
    ids = [item["account_id"] for item in stops]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("An account stands in the day twice.", {"stops": ["An account appears twice."]})
    found = {
        a.id: a for a in db.session.scalars(select(Account).where(Account.id.in_(ids), Account.owner_id == rep.id))
    }
    missing = {
        str(i): {"account_id": ["Unknown account or not in your territory."]}
        for i, account_id in enumerate(ids)
        if account_id not in found
    }
    if missing:
        raise NotFound("A stop names an account outside your territory.", {"stops": missing})
    booked = {s.appointment_id: s.account_id for s in before if s.appointment_id is not None}
    named = {item["appointment_id"]: item["account_id"] for item in stops if item.get("appointment_id")}
    if set(booked) - set(named):
        raise ValidationFailed(
            "An appointment stays in the day: move or cancel the appointment itself.",
            {"stops": ["An appointment's stop cannot be left out."]},
        )
    if any(booked.get(a) != account for a, account in named.items()):
        raise ValidationFailed(
            "A stop names an appointment this day does not hold.", {"stops": ["Unknown appointment."]}
        )
    return [found[i] for i in ids]


def _pinned_at(pins, account_id, old, day, tz):
    """The time a pinned stop keeps: the rep's pin for the day, else the time it was pinned at."""
    pin = pins.get(str(account_id))
    if pin is not None:
        return datetime.combine(day, pin, tz)
    return old.planned_arrival if old is not None and old.pinned else None


def _visits(rep, day, tz):
    """{account id: (check-in, check-out)} of the rep's visits that day (the first of each account)."""
    out = {}
    for visit in db.session.scalars(day_visits(rep.id, day, tz, Visit).order_by(Visit.check_in_at)):
        out.setdefault(visit.account_id, (visit.check_in_at, visit.check_out_at))
    return out


def _lunch_before_leaving(plan, depart, noon, lunch_s):
    """Whether the day's lunch break lies before its first departure: a day re-planned from here and now at lunchtime
    has it there (the planner put it between the plan's start and the first drive), so an edit does not add it again.
    A minute's slack for the stored minutes of travel."""
    at = (plan.start or {}).get("at")
    if at is None:
        return False
    started = datetime.fromisoformat(at) if isinstance(at, str) else at
    return depart >= noon and (depart - max(started, noon)).total_seconds() >= lunch_s - 60


def _origin(rep, plan):
    """Where the day starts: where the plan was made from (a re-plan from here and now), else home."""
    if plan.start and plan.start.get("latitude") is not None:
        return (plan.start["latitude"], plan.start["longitude"])
    return (rep.start_lat, rep.start_lng) if rep.start_lat is not None else None


def _end(rep):
    if rep.end_lat is not None:
        return (rep.end_lat, rep.end_lng)
    return (rep.start_lat, rep.start_lng) if rep.start_lat is not None else None


def _travel(points):
    """travel_s(a, b) over the app's travel model, for the points of this day."""
    unique = list(dict.fromkeys(p for p in points if p is not None))
    if len(unique) < 2:
        return lambda a, b: 0
    matrix = _provider()(unique)
    index = {p: i for i, p in enumerate(unique)}
    return lambda a, b: matrix[index[a]][index[b]]


def _choices_after(stored, before, accounts):
    """The rep's choices with this edit in: dropped stops left out, inserted accounts kept."""
    choices = Choices.from_json(stored)
    now_in = {str(a.id) for a in accounts}
    was_in = {str(s.account_id) for s in before}
    dropped, added = was_in - now_in, now_in - was_in
    include = ({str(a) for a in choices.include} | added) - dropped
    exclude = ({str(a) for a in choices.exclude} | dropped) - now_in
    pins = {str(k): v for k, v in choices.pins.items() if str(k) not in dropped}
    return Choices(include=tuple(sorted(include)), exclude=tuple(sorted(exclude)), pins=pins).as_json()
