"""Tomorrow's route for a rep: pick candidate stops from the method's rules, order them, store the plan."""

import os
import random
import time as time_module
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from multiprocessing import get_context
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm.exc import StaleDataError

from routing import Day, Lunch, NoPlanFound, Stop, Unplannable, solve
from routing.matrix import provider_from_config
from routing.solver import travel_points

from .. import team_settings
from ..cadence import days_since, is_overdue
from ..changelog import recorded, write_lock
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import Account, Appointment, Opportunity, RoutePlan, RouteStop, Team, User, Visit, utcnow
from ..models.users import team_zone
from ..notify.events import plan_stored
from .preview import accepted_plan, preview_token, stored_version

CLASS_PRIORITY = {"A": 4, "B": 3, "C": 2}
STAGE_PRIORITY = {"P": 2, "A": 3, "D": 4, "C": 5}
STORE_ATTEMPTS = 6  # a re-plan that meets a concurrent change of the same day is planned again
MAX_OPTIONAL = 25  # the most valuable candidates the solver considers


def day_over(settings, field):
    """The refusal of a change to today once its working day has ended (`field`: what named the time)."""
    return ValidationFailed(
        "The working day is over; plan tomorrow instead.",
        {field: [f"The working day ended at {settings.day_end:%H:%M}: plan tomorrow."]},
    )


def _lunch(settings):
    """The team's lunch break as the optimiser takes it (seconds from midnight)."""
    return Lunch(*settings.lunch_seconds())


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


def day_visits(rep_id, day, tz, *columns):
    """A select of `columns` of the rep's visits checked in on `day` (local), visits not cancelled."""
    start = datetime.combine(day, time(0), tz)
    return select(*columns).where(
        Visit.rep_id == rep_id,
        Visit.check_in_at >= start,
        Visit.check_in_at < start + timedelta(days=1),
        Visit.cancelled_at.is_(None),
    )


def visited_accounts(rep_id, day, tz):
    """The accounts the rep checked in at on `day` (local), as text ids."""
    return frozenset(str(a) for a in db.session.scalars(day_visits(rep_id, day, tz, Visit.account_id)))


def candidates(rep, day, tz, choices=None, after=None, visited=None):
    """Stops for `day`: fixed appointments (mandatory), then accounts due by cadence, with open
    opportunities in stages P to C, or never visited, each with why it is there; then the rep's
    own choices (`Choices`: accounts picked, left out, or pinned to a time). With `after` (the rest
    of the day from then), appointments before it and accounts already visited that day (`visited`, read here
    when not given) are left out."""
    choices = choices or Choices()
    settings = team_settings.for_user(rep)
    start = datetime.combine(day, time(0), tz)
    stops, appointed = {}, set()
    if after is None:
        visited = frozenset()
    elif visited is None:
        visited = visited_accounts(rep.id, day, tz)
    if after is not None:
        choices = Choices(
            include=tuple(a for a in choices.include if str(a) not in visited),
            exclude=choices.exclude,
            pins={
                k: v for k, v in choices.pins.items() if str(k) not in visited and datetime.combine(day, v, tz) >= after
            },
        )
    for appt in db.session.scalars(
        select(Appointment).where(
            Appointment.rep_id == rep.id,
            Appointment.starts_at >= (after or start),
            Appointment.starts_at < start + timedelta(days=1),
        )
    ):
        if str(appt.account_id) in visited:
            continue
        account = db.session.get(Account, appt.account_id)
        at = _seconds(appt.starts_at, day, tz)
        stops[str(appt.id)] = Stop(
            str(appt.id),
            account.latitude,
            account.longitude,
            service_s=int((appt.ends_at - appt.starts_at).total_seconds()),
            window=(at, at),
            mandatory=True,
            priority=10,
            reason="appointment",
        )
        appointed.add(str(account.id))
    accounts = db.session.scalars(select(Account).where(Account.owner_id == rep.id)).all()
    open_stage = dict(
        db.session.execute(
            select(Opportunity.account_id, Opportunity.stage).where(
                Opportunity.status == "open",
                Opportunity.stage.in_(tuple(STAGE_PRIORITY)),
                Opportunity.account_id.in_([a.id for a in accounts]),
            )
        ).all()
    )
    for account in accounts:
        if str(account.id) in appointed or str(account.id) in visited:
            continue  # the appointment is that account's visit today; or it was visited already
        why, weight = [], 0
        if account.last_contact_at is None:
            why.append("first_visit")
            weight = max(weight, 2)
        else:
            days = days_since(account.last_contact_at, start)
            cadence = settings.cadence(account.account_class)
            if is_overdue(account.last_contact_at, account.account_class, start, account.created_at, settings):
                why.append("cadence_due")
                weight = max(weight, CLASS_PRIORITY.get(account.account_class, 2) + (days >= 2 * cadence))
        stage = open_stage.get(account.id)
        if stage:
            why.append(f"opportunity_{stage}")
            weight = max(weight, STAGE_PRIORITY[stage])
        if why:
            stops[str(account.id)] = Stop(
                str(account.id),
                account.latitude,
                account.longitude,
                service_s=settings.service(account.account_class) * 60,
                priority=weight,
                reason=",".join(why),
            )
    stops = _apply_choices(choices, rep, stops, appointed, settings)
    # Every mandatory stop (appointments, the rep's picks and pins), then the most valuable others.
    optional = sorted((s for s in stops.values() if not s.mandatory), key=lambda s: (-s.priority, s.id))
    return [s for s in stops.values() if s.mandatory] + optional[:MAX_OPTIONAL]


@dataclass(frozen=True)
class Start:
    """Where and when the rest of a day starts: the rep's position now, or the end of the open visit; no position
    (None): from the rep's home or office, at `at`."""

    latitude: float | None
    longitude: float | None
    at: datetime


@dataclass(frozen=True)
class Choices:
    """What the rep decided on the phone: accounts to add, to leave out, and times to keep."""

    include: tuple = ()
    exclude: tuple = ()
    pins: dict = field(default_factory=dict)  # account id -> datetime.time

    def as_json(self):
        return {
            "include": sorted(map(str, self.include)),
            "exclude": sorted(map(str, self.exclude)),
            "pins": {str(k): v.strftime("%H:%M") for k, v in sorted(self.pins.items(), key=lambda kv: str(kv[0]))},
        }

    @classmethod
    def from_json(cls, data):
        data = data or {}
        return cls(
            include=tuple(data.get("include", ())),
            exclude=tuple(data.get("exclude", ())),
            pins={k: time.fromisoformat(v) for k, v in (data.get("pins") or {}).items()},
        )

    def keeping(self, rep):
        """These choices (a manager's) on top of the rep's own: the rep's leave-outs and pins stand."""
        excluded = {str(a) for a in rep.exclude}
        pins = {str(k): v for k, v in self.pins.items() if str(k) not in excluded}
        pins.update({str(k): v for k, v in rep.pins.items()})
        include = {str(a) for a in (*rep.include, *self.include)} - excluded
        return Choices(
            include=tuple(sorted(include)),
            exclude=tuple(
                sorted(excluded | {str(a) for a in self.exclude} - {str(a) for a in rep.include} - set(rep.pins))
            ),
            pins=pins,
        )


def _apply_choices(choices, rep, stops, appointed, settings):
    """The candidate stops ({id: Stop}) with the rep's choices made: left out, picked (mandatory),
    pinned to a time; `appointed` accounts have an appointment that day and cannot be pinned."""
    named = {str(a) for a in (*choices.include, *choices.exclude, *choices.pins)}
    if not named:
        return stops
    owned = {
        str(a.id): a
        for a in db.session.scalars(
            select(Account).where(Account.owner_id == rep.id, Account.id.in_([uuid.UUID(a) for a in named]))
        )
    }
    unknown = sorted(named - set(owned))
    if unknown:
        raise ValidationFailed(
            "Only accounts of the rep's own territory can be picked, left out or pinned.",
            {"accounts": [f"Not in the territory: {a}" for a in unknown]},
        )
    fixed = sorted({str(a) for a in choices.pins} & appointed)
    if fixed:
        raise ValidationFailed(
            "These accounts have a fixed appointment that day; its time cannot be pinned.",
            {"pins": [f"Has an appointment: {a}" for a in fixed]},
        )
    excluded = set(map(str, choices.exclude))
    stops = {k: s for k, s in stops.items() if k not in excluded}
    for account_id in sorted({str(a) for a in (*choices.include, *choices.pins)} - appointed):
        account = owned[account_id]
        stop = stops.get(account_id) or Stop(
            account_id,
            account.latitude,
            account.longitude,
            service_s=settings.service(account.account_class) * 60,
            reason="picked",
        )
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
    start: dict | None = None  # where the plan starts when not at home: {latitude, longitude, at}
    excluded: frozenset = frozenset()  # accounts left out by the choices the plan was made with
    visited: frozenset = frozenset()  # a re-plan of the rest of the day: the accounts visited so far that day


def _prepare(rep, day, choices=None, start=None):
    tz = _tz(rep)
    home = (rep.start_lat, rep.start_lng) if rep.start_lat is not None and rep.start_lng is not None else None
    origin = (start.latitude, start.longitude) if start is not None and start.latitude is not None else home
    if origin is None:
        raise ValidationFailed("The rep has no start location (home or office).", {"rep_id": ["No start location."]})
    end = (rep.end_lat, rep.end_lng) if rep.end_lat is not None else (home or origin)
    settings = team_settings.for_user(rep)
    fa = settings.first_appointment(rep)
    # The rest of the day (from here and now): the accounts visited so far that day, read once for the
    # candidates and for the stored day (they stay first in it).
    visited = visited_accounts(rep.id, day, tz) if start is not None else frozenset()
    stops = candidates(rep, day, tz, choices, after=start.at if start is not None else None, visited=visited)
    first = fa.hour * 3600 + fa.minute * 60
    extra = {}
    if start is not None:
        # The rest of the day starts here and now; the 8:45 rule is for a day planned ahead.
        now = _seconds(start.at, day, tz)
        if settings.day_over(now):
            raise day_over(settings, "start")
        extra = {"day_start": max(now, 0), "first_appointment": max(now, 0)}
    # Lunch stays in the day: the optimiser takes it in what is left of its window (before the first
    # visit when need be) or, once the window has passed, skips it and says so.
    model = Day(
        start=origin,
        end=end,
        stops=tuple(stops),
        lunch=_lunch(settings),
        day_end=settings.day_end_seconds(),
        first_appointment=extra.get("first_appointment", first),
        drop_late=start is not None,
        **({"day_start": extra["day_start"]} if extra else {}),
    )
    try:
        matrix = _provider()(travel_points(model))  # read here: a worker process has no app or network cache
    except Unplannable:
        matrix = None  # the solver raises it again, with the stop named
    where = (
        {"latitude": start.latitude, "longitude": start.longitude, "at": start.at.isoformat()}
        if start is not None
        else None
    )
    excluded = frozenset(str(a) for a in (choices or Choices()).exclude)
    return _Job(rep.id, rep.username, model, matrix, {s.id: s for s in stops}, tz, where, excluded, visited)


def _solve(job, time_limit_s):
    """Solve one prepared day (no database, no app: safe in a worker process): the plan, or the
    Unplannable (a proof) or NoPlanFound (the time ran out) it raised."""
    try:
        return solve(job.day_model, job.matrix, time_limit_s=time_limit_s)
    except (Unplannable, NoPlanFound) as exc:
        return exc


def _store(job, day, plan, by=None, rep_choices=None, commit=True):
    with recorded(db.session):
        return _write_plan(job, day, plan, by, rep_choices, commit)


# What an Unplannable reason means, as the sentence after the stops' names (server/messages.py has
# each as a template, so that the phone shows it in its own language).
UNPLANNABLE_TEXT = {
    "mandatory_stops_do_not_fit": "the mandatory stops cannot all fit in the day",
    "no_coordinates": "no map position",
    "window_outside_day": "its time is outside the working day",
    "cannot_be_reached_in_its_window": "cannot be reached in time",
}


def _stop_accounts(stop_ids):
    """Each stop as {stop_id, account_id, name}: a stop is an account, or an appointment at one."""
    out = []
    for stop_id in stop_ids:
        try:
            key = uuid.UUID(stop_id)
        except ValueError:
            key = None
        account = db.session.get(Account, key) if key else None
        if account is None and key is not None:
            appointment = db.session.get(Appointment, key)
            account = db.session.get(Account, appointment.account_id) if appointment else None
        out.append(
            {
                "stop_id": stop_id,
                "account_id": str(account.id) if account else None,
                "name": account.name if account else stop_id,
            }
        )
    return out


def unplannable_error(day, exc):
    """The API's answer to a day the optimiser refused: the stops named by their accounts (the ids
    kept beside them, in `stops` and `stop_ids`) and the reason as a code."""
    stops = _stop_accounts(exc.stop_ids)
    names = ", ".join(s["name"] for s in stops)
    text = UNPLANNABLE_TEXT.get(exc.reason, exc.reason.replace("_", " "))
    return ValidationFailed(
        f"Cannot plan {day}: {names}: {text}.",
        {"stops": [f"{names}: {text}."]},
        code="unplannable",
        extra={"reason": exc.reason, "stops": stops, "stop_ids": list(exc.stop_ids)},
    )


def no_plan_found_error(day, exc):
    """The API's answer to a day the optimiser found no plan for within its time limit: not a proof
    that the day cannot be planned (that is `unplannable`), so the message says a longer limit or a
    second try may find one."""
    return ValidationFailed(
        f"No plan for {day} was found within the {exc.time_limit_s:g} s time limit; the day is not proven "
        "impossible, and a longer time limit may find one.",
        {"stops": ["No plan found within the time limit."]},
        code="no_plan_found",
        extra={"time_limit_s": exc.time_limit_s, "stop_ids": list(exc.stop_ids)},
    )


def _lunch_note(plan, midnight, lunch):
    """What the answer says about lunch: planned (when), after the day, or skipped (why)."""
    if lunch is None:
        return None
    note = {"minutes": lunch.duration // 60}
    if plan.lunch_skipped:
        return {**note, "status": "skipped", "reason": plan.lunch_skipped}
    if plan.lunch_start is None:
        return {**note, "status": "after_the_day"}  # back before the window closes
    return {**note, "status": "planned", "start": (midnight + timedelta(seconds=plan.lunch_start)).isoformat()}


def _write_plan(job, day, plan, by, rep_choices, commit):
    if isinstance(plan, Unplannable):
        raise unplannable_error(day, plan)
    if isinstance(plan, NoPlanFound):
        raise no_plan_found_error(day, plan)
    by_id = job.by_id
    stored = locked_plan(job.rep_id, day)
    done = []
    if stored is None:
        stored = RoutePlan(rep_id=job.rep_id, plan_date=day)
        db.session.add(stored)
    else:
        done = _done_stops(stored, job)
        clear_stops(stored)
    midnight = datetime.combine(day, time(0), job.tz)
    # The rest of the day follows what is done: the stops already visited stay first, as they were.
    for position, kept in enumerate(done):
        stored.stops.append(RouteStop(position=position, **kept))
    for position, planned in enumerate(plan.stops, start=len(done)):
        appointment = (
            db.session.get(Appointment, uuid.UUID(planned.stop_id)) if by_id[planned.stop_id].mandatory else None
        )
        stored.stops.append(
            RouteStop(
                position=position,
                account_id=appointment.account_id if appointment else uuid.UUID(planned.stop_id),
                appointment_id=appointment.id if appointment else None,
                planned_arrival=midnight + timedelta(seconds=planned.arrival),
                service_minutes=by_id[planned.stop_id].service_s // 60,
                travel_minutes=round(planned.travel_s / 60),
                reason=planned.reason,
                pinned=appointment is not None or by_id[planned.stop_id].window is not None,
            )
        )
    stored.total_travel_s = plan.travel_s + sum(kept["travel_minutes"] * 60 for kept in done)
    stored.status = "planned"
    stored.changed_by, stored.changed_at = by, utcnow()
    if rep_choices is not None:
        stored.choices = rep_choices.as_json()
    stored.start = job.start
    # The rep's own leave-outs are said as such (not as the planner's "not worth the time"): the rep's
    # choices as they stand with the plan, where the plan was made with them (a manager's override is not).
    own = rep_choices if rep_choices is not None else Choices.from_json(stored.choices)
    stored.dropped = with_left_out(
        [{"id": stop_id, "reason": reason} for stop_id, reason in plan.dropped],
        {str(a) for a in own.exclude} & job.excluded,
    )
    # Said in the answer, not stored: lunch as planned or why it is skipped, and why a day is empty.
    stored.lunch = _lunch_note(plan, midnight, job.day_model.lunch)
    stored.empty_reason = plan.empty_reason
    if commit:
        # The rep hears of a day the evening batch planned, or a manager re-planned (server/notify/).
        db.session.flush()
        plan_stored(stored, by, job.tz)
        db.session.commit()
    return stored


_KEPT_FIELDS = (
    "account_id",
    "appointment_id",
    "planned_arrival",
    "service_minutes",
    "travel_minutes",
    "reason",
    "pinned",
)


def _done_stops(stored, job):
    """A re-plan of the rest of the day (from here and now) keeps the stored stops the rep has visited, in their
    order, as plain fields (the rows are deleted and written again); a plan made ahead keeps none."""
    return [
        {name: getattr(stop, name) for name in _KEPT_FIELDS}
        for stop in sorted(stored.stops, key=lambda s: s.position)
        if str(stop.account_id) in job.visited
    ]


LEFT_OUT_BY_REP = "left_out_by_rep"  # the reason of a stop the rep left out of the day themselves


def with_left_out(dropped, left_out):
    """`dropped` ([{id, reason}]) with each of the `left_out` account ids as left out by the rep (once)."""
    left_out = {str(a) for a in left_out}
    kept = [d for d in dropped if d["id"] not in left_out and d.get("reason") != LEFT_OUT_BY_REP]
    return kept + [{"id": a, "reason": LEFT_OUT_BY_REP} for a in sorted(left_out)]


def locked_plan(rep_id, day):
    """The stored plan of a rep's day, its row locked (PostgreSQL) and read afresh: a re-plan and the
    rep's own edit of the same day (or two re-plans) take turns instead of mixing their stops."""
    write_lock(db.session, "route_plan", rep_id, day)  # SQLite: its write lock; PostgreSQL: this day's
    return db.session.scalar(
        select(RoutePlan)
        .where(RoutePlan.rep_id == rep_id, RoutePlan.plan_date == day)
        .with_for_update(of=RoutePlan)
        .execution_options(populate_existing=True)
    )


def clear_stops(plan):
    """Delete the plan's stops as they are in the database now (not as this session last saw them)."""
    db.session.execute(delete(RouteStop).where(RouteStop.route_plan_id == plan.id))
    db.session.expire(plan, ["stops"])


def kept_choices(rep_id, day):
    """The rep's own choices stored with their plan for `day` (none: empty)."""
    stored = db.session.scalar(select(RoutePlan.choices).where(RoutePlan.rep_id == rep_id, RoutePlan.plan_date == day))
    return Choices.from_json(stored) if stored else Choices()


def plan_day(
    rep_id, day, time_limit_s=2.0, choices=None, by=None, override=False, start=None, preview=False, accept=None
):
    """Plan `day` for the rep and store it (replacing an earlier plan for that day).

    `preview`: answer the plan without storing it, with its `preview_token`; `accept` (that token, with the
    same request): store the plan the preview showed instead of solving again (preview.py).

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
        if accept is not None:
            return _store_accepted(job, day, accept, by, effective if own else None)
        version = stored_version(rep.id, day)
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
    from .schemas import PlanAnswerSchema

    with recorded(db.session):
        savepoint = db.session.begin_nested()
        try:
            answer = PlanAnswerSchema().dump(_write_plan(job, day, plan, by, None, commit=False))
        finally:
            savepoint.rollback()
    return {**answer, "preview_token": preview_token(job, day, plan, version)}


def _store_accepted(job, day, token, by, rep_choices):
    """The previewed plan `token` stored as shown (timed again), or 409 when the day changed since."""
    with recorded(db.session):
        stored = locked_plan(job.rep_id, day)
        plan = accepted_plan(job, day, token, stored.version if stored is not None else None)
        return _write_plan(job, day, plan, by, rep_choices, commit=True)


def active_reps(team_name=None):
    """Every active rep, or one team's, by username."""
    query = select(User).where(User.role == "rep", User.active.is_(True))
    if team_name:
        query = query.join(Team, User.team_id == Team.id).where(Team.name == team_name)
    return db.session.scalars(query.order_by(User.username)).all()


def batch_outcome(exc):
    """A rep's outcome in the evening batch when no plan was stored: which of the two happened
    (`unplannable`: proven; `no_plan_found`: the time limit ran out) or another error's code, then its
    message."""
    return f"{exc.code}: {exc.message}"


def prepare_team(day, team_name=None):
    """The evening batch's days, ready for the solver: ({username: error} of reps with none, [job]). Each job's
    `day_model` and `matrix` are what `solve` is given."""
    outcome, jobs = {}, []
    for rep in active_reps(team_name):
        try:
            jobs.append(_prepare(rep, day, kept_choices(rep.id, day)))  # the rep's own choices stand
        except (ValidationFailed, NotFound) as exc:
            outcome[rep.username] = batch_outcome(exc)
    return outcome, jobs


def plan_team(day, team_name=None, time_limit_s=2.0, workers=None, dispatch=None):
    """Plan `day` for every active rep (of one team); return {username: stops or error}. An error is
    "<code>: <message>" (`batch_outcome`), e.g. "unplannable: …" or "no_plan_found: …".

    `dispatch(reps, day, time_limit_s)`, when the caller passes one (the CLI does with a Celery
    broker: one task per rep, tasks.fan_out), plans them elsewhere. Otherwise candidates and travel
    times are read here; the solving runs in `workers` processes (default: one per CPU) since each
    rep's day is independent; the plans are stored here again."""
    if dispatch is not None:
        return dict(sorted(dispatch(active_reps(team_name), day, time_limit_s).items()))
    outcome, jobs = prepare_team(day, team_name)
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
            outcome[job.username] = batch_outcome(exc)
    return dict(sorted(outcome.items()))
