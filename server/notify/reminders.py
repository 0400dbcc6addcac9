"""Leave-by and appointment-soon from the server: the reminders the phone shows while the app is open
(pwa/js/reminders.js), sent through the team's channel so that they reach a rep whose app is closed.

Written by the periodic tick, once per stop and leave-by time and once per appointment and start time, from
the team's minutes before (`leave_reminder_minutes`, `appointment_reminder_minutes`) until the arrival or the
start; within the team's working hours unless the rep asked for the kind at any time; only where they reach
a closed app: a team on WeCom or DingTalk, or (in-app teams) a rep whose browser takes Web Push, else the
phone's own reminder is all (a server copy would only be a second banner in the open app). The next stop is the
phone's: today's first stop not yet visited after the stop visited last (stops passed by are not reminded
of), at an account the rep still holds or booked by appointment: an account reassigned away since the plan was
made is not theirs to visit, nor named to them. A notice still unsent when its moment has passed (held by a
provider's limit) is marked failed, never sent late (queue.py, `until`)."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import clock, team_settings
from ..extensions import db
from ..models import Account, Appointment, RoutePlan, Team, User, Visit
from ..models.users import team_zone
from .queue import channel_row, configured, enqueue, next_in_hours, prefs_of_many
from .webpush import subscribed


def _next_stop(plan, visits, held):
    """(the stop, its number) of the plan's next stop after the visits so far, or None; a stop counts when its
    account is one the rep holds (`held`) or its appointment the rep's."""
    stops = sorted(plan.stops, key=lambda stop: stop.position)
    visited = {visit.account_id for visit in visits}
    last = -1
    if visits:
        latest = max(visits, key=lambda visit: visit.check_in_at).account_id
        last = next((i for i, stop in enumerate(stops) if stop.account_id == latest), -1)
    for index, stop in enumerate(stops):
        theirs = stop.account_id in held or stop.appointment_id is not None
        if index > last and stop.account_id not in visited and theirs:
            return stop, index + 1
    return None


def _may_write(prefs, kind, in_hours):
    pref = prefs[kind]
    return pref["on"] and (in_hours or pref["any_time"])


def reminder_tag(kind, record_id, moment):
    """The tag a pushed reminder is shown with: the open app's own reminder of the same stop or appointment
    (pwa/js/reminders.js) is shown with the same, so the phone keeps one notification, not two."""
    return f"{kind}:{record_id}:{round(moment.timestamp() * 1000)}"


def _leave_by(rep, plan, found, names, tz, now, minutes):
    """Queue the rep's leave-by for the plan's next stop (`found`, from _next_stop) when it is due now; 1 when
    queued, else 0."""
    if found is None:
        return 0
    stop, number = found
    leave = stop.planned_arrival - timedelta(minutes=stop.travel_minutes or 0)
    if not leave - timedelta(minutes=minutes) <= now < stop.planned_arrival:
        return 0
    params = {
        "date": plan.plan_date.isoformat(),
        "leave_by": leave.astimezone(tz).strftime("%H:%M"),
        "n": number,
        "account": names.get(stop.account_id) or "?",
        "arrive": stop.planned_arrival.astimezone(tz).strftime("%H:%M"),
        "until": stop.planned_arrival.isoformat(),
        "tag": reminder_tag("leave", stop.account_id, leave),
    }
    key = f"leave_by:{rep.id}:{stop.account_id}:{leave.isoformat()}"
    return 1 if enqueue(rep, "leave_by", params, dedupe_key=key) else 0


def _appointment_soon(rep, appointment, account, tz):
    params = {
        "date": appointment.starts_at.astimezone(tz).date().isoformat(),
        "at": appointment.starts_at.astimezone(tz).strftime("%H:%M"),
        "account": account,
        "purpose": appointment.purpose or "",
        "until": appointment.starts_at.isoformat(),
        "tag": reminder_tag("appointment", appointment.id, appointment.starts_at),
    }
    key = f"appointment_soon:{appointment.id}:{appointment.starts_at.isoformat()}"
    return 1 if enqueue(rep, "appointment_soon", params, dedupe_key=key) else 0


# Reps read at a time: each team's reps are looked at in groups, a handful of queries a group, never a query a rep.
GROUP = 500


def write_reminders(now=None):
    """Queue each active rep's leave-by and appointment-soon notices that are due now; how many."""
    now = now or clock.now()
    queued = 0
    teams = [(team.id, team) for team in db.session.scalars(select(Team))] + [(None, None)]
    for team_id, team in teams:
        tz = team_zone(team)
        settings = team_settings.for_team(team)
        row = channel_row(team_id)
        in_hours = next_in_hours(now, team_id, row) == now
        in_team = User.team_id == team_id if team_id is not None else User.team_id.is_(None)
        reps = db.session.scalars(
            select(User).where(in_team, User.role == "rep", User.active.is_(True)).order_by(User.username)
        ).all()
        if configured(row) == "inapp":  # the open app reminds by itself; a server copy would only be a second banner
            pushed = subscribed([rep.id for rep in reps])
            reps = [rep for rep in reps if rep.id in pushed]
        for start in range(0, len(reps), GROUP):
            queued += _write_group(reps[start : start + GROUP], tz, now, settings, in_hours)
    db.session.commit()
    return queued


def _write_group(reps, tz, now, settings, in_hours):
    """The due reminders of a group of one team's reps, read with one query a kind of record."""
    ids = [rep.id for rep in reps]
    prefs = prefs_of_many(ids)
    leaving = [i for i in ids if _may_write(prefs[i], "leave_by", in_hours)]
    meeting = [i for i in ids if _may_write(prefs[i], "appointment_soon", in_hours)]
    by_id = {rep.id: rep for rep in reps}
    queued = 0
    day = now.astimezone(tz).date()
    if leaving:
        plans = db.session.scalars(
            select(RoutePlan)
            .where(RoutePlan.rep_id.in_(leaving), RoutePlan.plan_date == day)
            .options(selectinload(RoutePlan.stops))
        ).all()
        plans = [plan for plan in plans if plan.stops]
        midnight = datetime.combine(day, datetime.min.time(), tz)
        visits = {}
        if plans:
            for visit in db.session.execute(
                select(Visit.rep_id, Visit.account_id, Visit.check_in_at).where(
                    Visit.rep_id.in_([plan.rep_id for plan in plans]),
                    Visit.check_in_at >= midnight,
                    Visit.check_in_at < midnight + timedelta(days=1),
                    Visit.cancelled_at.is_(None),
                )
            ):
                visits.setdefault(visit.rep_id, []).append(visit)
        stopping = {stop.account_id for plan in plans for stop in plan.stops}
        accounts = (
            db.session.execute(select(Account.id, Account.owner_id, Account.name).where(Account.id.in_(stopping)))
            if stopping
            else []
        )
        names, held = {}, {}
        for account_id, owner_id, name in accounts:
            names[account_id] = name
            held.setdefault(owner_id, set()).add(account_id)
        nexts = {
            plan.rep_id: _next_stop(plan, visits.get(plan.rep_id, []), held.get(plan.rep_id, set())) for plan in plans
        }
        for plan in plans:
            rep = by_id[plan.rep_id]
            queued += _leave_by(rep, plan, nexts[plan.rep_id], names, tz, now, settings.leave_reminder_minutes)
    if meeting:
        rows = db.session.execute(
            select(Appointment, Account.name)
            .join(Account, Account.id == Appointment.account_id)
            .where(
                Appointment.rep_id.in_(meeting),
                Appointment.starts_at > now,
                Appointment.starts_at <= now + timedelta(minutes=settings.appointment_reminder_minutes),
            )
            .order_by(Appointment.starts_at)
        ).all()
        for appointment, account in rows:
            queued += _appointment_soon(by_id[appointment.rep_id], appointment, account, tz)
    return queued
