"""Tomorrow's route for a rep: pick candidate stops from the method's rules, order them, store the plan."""
import os
import random
import time as time_module
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm.exc import StaleDataError

from ..errors import NotFound, ValidationFailed
from ..changelog import lock_counter, recorded
from ..extensions import db
from ..models import Account, Appointment, Opportunity, RoutePlan, RouteStop, Team, User, Visit, utcnow
from ..models.users import team_zone
from ..cadence import cadence_days, days_since, is_overdue
from routing import Day, Lunch, Stop, Unplannable, solve
from routing.matrix import provider_from_config
from routing.solver import travel_points

SERVICE_MINUTES = {"A": 60, "B": 45, "C": 30}
CLASS_PRIORITY = {"A": 4, "B": 3, "C": 2}
STAGE_PRIORITY = {"P": 2, "A": 3, "D": 4, "C": 5}
STORE_ATTEMPTS = 6  # a re-plan that meets a concurrent change of the same day is planned again
MAX_OPTIONAL = 25  # the most valuable candidates the solver considers
LUNCH = Lunch(12 * 3600, 13 * 3600, 45 * 60)


def _provider():
    """The app's travel-time provider, made once per app (its cache lives with it)."""
    app = current_app._get_current_object()
    if "fieldday.matrix" not in app.extensions:
        app.extensions["fieldday.matrix"] = provider_from_config(app.config)
    return app.extensions["fieldday.matrix"]


def _tz(rep):
    return team_zone(db.session.get(Team, rep.team_id) if rep.team_id else None)


def _seconds(moment, day, tz):
    local = moment.astimezone(tz)
    return (local.date() - day).days * 86400 + local.hour * 3600 + local.minute * 60 + local.second


def candidates(rep, day, tz, choices=None, after=None):
    """Stops for `day`: fixed appointments (mandatory), then accounts due by cadence, with open
    opportunities in stages P to C, or never visited, each with why it is there; then the rep's
    own choices (`Choices`: accounts picked, left out, or pinned to a time). With `after` (the rest
    of the day from then), appointments before it and accounts already visited that day are left out."""
    choices = choices or Choices()
    start = datetime.combine(day, time(0), tz)
    stops, appointed = {}, set()
    visited = set()
    if after is not None:
        visited = {str(a) for a in db.session.scalars(select(Visit.account_id).where(
            Visit.rep_id == rep.id, Visit.check_in_at >= start, Visit.check_in_at < start + timedelta(days=1),
            Visit.cancelled_at.is_(None)))}
        choices = Choices(include=tuple(a for a in choices.include if str(a) not in visited),
                          exclude=choices.exclude,
                          pins={k: v for k, v in choices.pins.items()
                                if str(k) not in visited and datetime.combine(day, v, tz) >= after})
    for appt in db.session.scalars(select(Appointment).where(
            Appointment.rep_id == rep.id, Appointment.starts_at >= (after or start),
            Appointment.starts_at < start + timedelta(days=1))):
        if str(appt.account_id) in visited:
            continue
        account = db.session.get(Account, appt.account_id)
        at = _seconds(appt.starts_at, day, tz)
        stops[str(appt.id)] = Stop(str(appt.id), account.latitude, account.longitude,
                                   service_s=int((appt.ends_at - appt.starts_at).total_seconds()),
                                   window=(at, at), mandatory=True, priority=10, reason="appointment")
        appointed.add(str(account.id))
    accounts = db.session.scalars(select(Account).where(Account.owner_id == rep.id)).all()
    open_stage = dict(db.session.execute(
        select(Opportunity.account_id, Opportunity.stage).where(
            Opportunity.status == "open", Opportunity.stage.in_(tuple(STAGE_PRIORITY)),
            Opportunity.account_id.in_([a.id for a in accounts]))).all())
    for account in accounts:
        if str(account.id) in appointed or str(account.id) in visited:
            continue  # the appointment is that account's visit today; or it was visited already
        why, weight = [], 0
        if account.last_contact_at is None:
            why.append("first_visit")
            weight = max(weight, 2)
        else:
            days = days_since(account.last_contact_at, start)
            cadence = cadence_days(account.account_class)
            if is_overdue(account.last_contact_at, account.account_class, start):
                why.append("cadence_due")
                weight = max(weight, CLASS_PRIORITY.get(account.account_class, 2) + (days >= 2 * cadence))
        stage = open_stage.get(account.id)
        if stage:
            why.append(f"opportunity_{stage}")
            weight = max(weight, STAGE_PRIORITY[stage])
        if why:
            stops[str(account.id)] = Stop(str(account.id), account.latitude, account.longitude,
                                          service_s=SERVICE_MINUTES.get(account.account_class, 30) * 60,
                                          priority=weight, reason=",".join(why))
    stops = _apply_choices(choices, rep, stops, appointed)
    # Every mandatory stop (appointments, the rep's picks and pins), then the most valuable others.
    optional = sorted((s for s in stops.values() if not s.mandatory), key=lambda s: (-s.priority, s.id))
    return [s for s in stops.values() if s.mandatory] + optional[:MAX_OPTIONAL]


@dataclass(frozen=True)
class Start:
    """Where and when the rest of a day starts: the rep's position now, or the end of the open visit."""

    latitude: float
    longitude: float
    at: datetime


@dataclass(frozen=True)
class Choices:
    """What the rep decided on the phone: accounts to add, to leave out, and times to keep."""

    include: tuple = ()
    exclude: tuple = ()
    pins: dict = field(default_factory=dict)  # account id -> datetime.time

    def as_json(self):
        return {"include": sorted(map(str, self.include)), "exclude": sorted(map(str, self.exclude)),
                "pins": {str(k): v.strftime("%H:%M") for k, v in sorted(self.pins.items(), key=lambda kv: str(kv[0]))}}

    @classmethod
    def from_json(cls, data):
        data = data or {}
        return cls(include=tuple(data.get("include", ())), exclude=tuple(data.get("exclude", ())),
                   pins={k: time.fromisoformat(v) for k, v in (data.get("pins") or {}).items()})

    def keeping(self, rep):
        """These choices (a manager's) on top of the rep's own: the rep's leave-outs and pins stand."""
        excluded = {str(a) for a in rep.exclude}
        pins = {str(k): v for k, v in self.pins.items() if str(k) not in excluded}
        pins.update({str(k): v for k, v in rep.pins.items()})
        include = {str(a) for a in (*rep.include, *self.include)} - excluded
        return Choices(include=tuple(sorted(include)), exclude=tuple(sorted(excluded | {str(a) for a in self.exclude}
                                                                             - {str(a) for a in rep.include} - set(rep.pins))),
                       pins=pins)


def _apply_choices(choices, rep, stops, appointed):
    """The candidate stops ({id: Stop}) with the rep's choices made: left out, picked (mandatory),
    pinned to a time; `appointed` accounts have an appointment that day and cannot be pinned."""
    named = {str(a) for a in (*choices.include, *choices.exclude, *choices.pins)}
    if not named:
        return stops
    owned = {str(a.id): a for a in db.session.scalars(select(Account).where(
        Account.owner_id == rep.id, Account.id.in_([uuid.UUID(a) for a in named])))}
    unknown = sorted(named - set(owned))
    if unknown:
        raise ValidationFailed("Only accounts of the rep's own territory can be picked, left out or pinned.",
                               {"accounts": [f"Not in the territory: {a}" for a in unknown]})
    fixed = sorted({str(a) for a in choices.pins} & appointed)
    if fixed:
        raise ValidationFailed("These accounts have a fixed appointment that day; its time cannot be pinned.",
                               {"pins": [f"Has an appointment: {a}" for a in fixed]})
    excluded = set(map(str, choices.exclude))
    stops = {k: s for k, s in stops.items() if k not in excluded}
    for account_id in sorted({str(a) for a in (*choices.include, *choices.pins)} - appointed):
        account = owned[account_id]
        stop = stops.get(account_id) or Stop(account_id, account.latitude, account.longitude,
                                             service_s=SERVICE_MINUTES.get(account.account_class, 30) * 60,
                                             reason="picked")
        pin = {str(k): v for k, v in choices.pins.items()}.get(account_id)
        window = (pin.hour * 3600 + pin.minute * 60,) * 2 if pin else stop.window
        stops[account_id] = replace(stop, mandatory=True, priority=max(stop.priority, 5), window=window)
    return stops


@dataclass
class _Job:
    """One rep's day, ready for the solver: everything it needs is plain data (it may go to another process)."""

    rep_id: uuid.UUID
    username: str
    day_model: Day
    matrix: tuple
    by_id: dict
    tz: ZoneInfo


def _prepare(rep, day, choices=None, start=None):
    if start is None and (rep.start_lat is None or rep.start_lng is None):
        raise ValidationFailed("The rep has no start location (home or office).", {"rep_id": ["No start location."]})
    tz = _tz(rep)
    home = (rep.start_lat, rep.start_lng) if rep.start_lat is not None else None
    origin = (start.latitude, start.longitude) if start is not None else home
    end = (rep.end_lat, rep.end_lng) if rep.end_lat is not None else (home or origin)
    fa = rep.first_appointment_time
    stops = candidates(rep, day, tz, choices, after=start.at if start is not None else None)
    first = fa.hour * 3600 + fa.minute * 60
    extra = {}
    if start is not None:
        # The rest of the day starts here and now; the 8:45 rule is for a day planned ahead.
        now = _seconds(start.at, day, tz)
        if now >= 19 * 3600:
            raise ValidationFailed("The working day is over; plan tomorrow instead.", {"start": ["After 19:00."]})
        extra = {"day_start": max(now, 0), "first_appointment": max(now, 0)}
        lunch = LUNCH if now <= LUNCH.latest else None
    else:
        lunch = LUNCH
    model = Day(start=origin, end=end, stops=tuple(stops), lunch=lunch,
                first_appointment=extra.get("first_appointment", first),
                **({"day_start": extra["day_start"]} if extra else {}))
    try:
        matrix = _provider()(travel_points(model))  # read here: a worker process has no app or network cache
    except Unplannable:
        matrix = None  # the solver raises it again, with the stop named
    return _Job(rep.id, rep.username, model, matrix, {s.id: s for s in stops}, tz)


def _solve(job, time_limit_s):
    """Solve one prepared day (no database, no app: safe in a worker process)."""
    try:
        return solve(job.day_model, job.matrix, time_limit_s=time_limit_s)
    except Unplannable as exc:
        return exc


def _store(job, day, plan, by=None, rep_choices=None, commit=True):
    with recorded(db.session):
        return _write_plan(job, day, plan, by, rep_choices, commit)


def _write_plan(job, day, plan, by, rep_choices, commit):
    if isinstance(plan, Unplannable):
        raise ValidationFailed(f"Cannot plan {day}: {plan}", {"stops": [f"{plan.stop_id}: {plan.reason}"]})
    by_id = job.by_id
    stored = locked_plan(job.rep_id, day)
    if stored is None:
        stored = RoutePlan(rep_id=job.rep_id, plan_date=day)
        db.session.add(stored)
    else:
        clear_stops(stored)
    midnight = datetime.combine(day, time(0), job.tz)
    for position, planned in enumerate(plan.stops):
        appointment = db.session.get(Appointment, uuid.UUID(planned.stop_id)) if by_id[planned.stop_id].mandatory else None
        stored.stops.append(RouteStop(
            position=position,
            account_id=appointment.account_id if appointment else uuid.UUID(planned.stop_id),
            appointment_id=appointment.id if appointment else None,
            planned_arrival=midnight + timedelta(seconds=planned.arrival),
            service_minutes=by_id[planned.stop_id].service_s // 60,
            travel_minutes=round(planned.travel_s / 60), reason=planned.reason,
            pinned=appointment is not None or by_id[planned.stop_id].window is not None))
    stored.total_travel_s = plan.travel_s
    stored.status = "planned"
    stored.changed_by, stored.changed_at = by, utcnow()
    if rep_choices is not None:
        stored.choices = rep_choices.as_json()
    stored.dropped = [{"id": stop_id, "reason": reason} for stop_id, reason in plan.dropped]
    if commit:
        db.session.commit()
    return stored


def locked_plan(rep_id, day):
    """The stored plan of a rep's day, its row locked (PostgreSQL) and read afresh: a re-plan and the
    rep's own edit of the same day (or two re-plans) take turns instead of mixing their stops."""
    lock_counter(db.session)  # the lock order: the change counter before any record
    return db.session.scalar(select(RoutePlan).where(RoutePlan.rep_id == rep_id, RoutePlan.plan_date == day)
                             .with_for_update(of=RoutePlan).execution_options(populate_existing=True))


def clear_stops(plan):
    """Delete the plan's stops as they are in the database now (not as this session last saw them)."""
    db.session.execute(delete(RouteStop).where(RouteStop.route_plan_id == plan.id))
    db.session.expire(plan, ["stops"])


def kept_choices(rep_id, day):
    """The rep's own choices stored with their plan for `day` (none: empty)."""
    stored = db.session.scalar(select(RoutePlan.choices).where(RoutePlan.rep_id == rep_id, RoutePlan.plan_date == day))
    return Choices.from_json(stored) if stored else Choices()


def plan_day(rep_id, day, time_limit_s=2.0, choices=None, by=None, override=False, start=None, preview=False):
    """Plan `day` for the rep and store it (replacing an earlier plan for that day).

    `by` is who asks (None: the evening batch). The rep's own choices are kept with the plan; the
    batch re-plans with them, and a manager's re-plan keeps them too (the rep's leave-outs and pins
    stand) unless `override`. The plan says who changed it last and when."""
    rep = db.session.get(User, rep_id)
    if rep is None or rep.role != "rep":
        raise NotFound(f"No rep {rep_id}.", {"rep_id": ["Unknown rep."]})
    for attempt in range(STORE_ATTEMPTS):
        kept = kept_choices(rep.id, day)
        own = by is not None and by == rep.id
        if own:
            effective = kept if choices is None else choices  # the rep's new choices replace their old ones
        elif override:
            effective = choices or Choices()
        else:
            effective = (choices or Choices()).keeping(kept)
        job = _prepare(rep, day, effective, start)
        plan = _solve(job, time_limit_s)
        if preview:
            break
        try:
            return _store(job, day, plan, by=by, rep_choices=effective if own else None)
        except StaleDataError:
            # The day changed under this re-plan (the rep's own edit, another re-plan): plan it again
            # from what is stored now, so the rep's latest choices are kept.
            db.session.rollback()
            if attempt == STORE_ATTEMPTS - 1:
                raise
            time_module.sleep(0.02 * (attempt + 1) * (1 + random.random()))  # let the other writer finish
            rep = db.session.get(User, rep_id)
    # The plan as it would be stored, answered and then undone: the rep sees what changes first.
    from .schemas import RoutePlanSchema

    with recorded(db.session):
        savepoint = db.session.begin_nested()
        try:
            return RoutePlanSchema().dump(_write_plan(job, day, plan, by, None, commit=False))
        finally:
            savepoint.rollback()


def active_reps(team_name=None):
    """Every active rep, or one team's, by username."""
    query = select(User).where(User.role == "rep", User.active.is_(True))
    if team_name:
        query = query.join(Team, User.team_id == Team.id).where(Team.name == team_name)
    return db.session.scalars(query.order_by(User.username)).all()


def plan_team(day, team_name=None, time_limit_s=2.0, workers=None, dispatch=None):
    """Plan `day` for every active rep (of one team); return {username: stops or error}.

    `dispatch(reps, day, time_limit_s)`, when the caller passes one (the CLI does with a Celery
    broker: one task per rep, tasks.fan_out), plans them elsewhere. Otherwise candidates and travel
    times are read here; the solving runs in `workers` processes (default: one per CPU) since each
    rep's day is independent; the plans are stored here again."""
    reps = active_reps(team_name)
    if dispatch is not None:
        return dict(sorted(dispatch(reps, day, time_limit_s).items()))
    outcome, jobs = {}, []
    for rep in reps:
        try:
            jobs.append(_prepare(rep, day, kept_choices(rep.id, day)))  # the rep's own choices stand
        except (ValidationFailed, NotFound) as exc:
            outcome[rep.username] = exc.message
    workers = workers or os.cpu_count() or 1
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            plans = list(pool.map(_solve, jobs, [time_limit_s] * len(jobs)))
    else:
        plans = [_solve(job, time_limit_s) for job in jobs]
    for job, plan in zip(jobs, plans):
        try:
            outcome[job.username] = len(_store(job, day, plan).stops)
        except ValidationFailed as exc:
            db.session.rollback()
            outcome[job.username] = exc.message
    return dict(sorted(outcome.items()))
