"""The weekly PDCA review of one rep (plan, do, check, act).

Plan: the week's planned stops and the target for its working days. Do: visits made and not met, the
time split and each day's first visit against 8:45. Check: the method's ratios, hunting against
farming, and the qualification lists. Act: up to three focus points for the next week, written by the
rep or their manager; the next week's review sets them against what happened (visits to a named
account). The focus points travel to the rep's phone with the sync and show on the daily report."""

import uuid
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import clock
from ..changelog import recorded, write_lock
from ..errors import Conflict, Unavailable, ValidationFailed
from ..extensions import db
from ..models import Account, Photo, RoutePlan, RouteStop, User, Visit, WeeklyReview
from ..resource import ScopedResource
from ..scoping import owner_scope
from .activity import activity
from .firstvisit import first_appointment, on_time_limit
from .hunting import hunting_farming
from .qualification import qualification
from .ratios import CHAINS, method_ratios
from .reads import first_check_ins, hhmm
from .rows import rep_name, rep_row
from .targets import targets
from .timeratios import time_ratios
from .timesplit import week_start

MAX_FOCUS = 3


def weekly_reviews(scope):
    """The review of each of `scope`'s reps for the week starting at `scope.start` (a Monday). Each
    figure is read once for all the reps, as the team reports are."""
    monday = scope.start
    by_rep = lambda report: {row["rep_id"]: row for row in report(scope)["rows"]}
    # Each report reads the scope's visits and activities once between them (Scope.once).
    done, split, first = by_rep(activity), by_rep(time_ratios), by_rep(first_appointment)
    ratios, hunting = by_rep(method_ratios), by_rep(hunting_farming)
    qualified = by_rep(lambda s: qualification(s, lists=False))  # the counts; the lists are the report's
    week_targets = {
        row["rep_id"]: w
        for row in targets(scope)["rows"]
        for w in row["weeks"]
        if w["week_start"] == monday.isoformat()
    }
    stored = _stored(scope.rep_ids, (monday, monday - timedelta(days=7)))
    writers, names = _writers(stored.values()), _account_names(stored.values())
    planned_days, first_visits = _planned_days(scope), _first_visits(scope)
    outcomes = _outcomes([r for (_, week), r in stored.items() if week != monday], scope)
    photos = _photos_per_day(scope)
    reviews = []
    for rep in scope.reps:
        key = str(rep.id)
        d, target = done[key], week_targets.get(key)
        this, last = stored.get((rep.id, monday)), stored.get((rep.id, monday - timedelta(days=7)))
        reviews.append(
            {
                **rep_row(rep),
                "week_start": monday.isoformat(),
                "week_end": scope.end.isoformat(),
                "timezone": scope.tz.key,  # the team's: its days and clock times are counted there
                "plan": {
                    "planned_days": planned_days.get(rep.id, 0),
                    "planned_stops": d["planned"],
                    "target": target["target"] if target else None,
                },
                "do": {
                    "visits": d["visits"],
                    "face_to_face_visits": d["face_to_face_visits"],
                    "not_met": d["not_met"],
                    "away_from_account": d["away_from_account"],
                    "planned_due": d["planned_due"],  # the stops of the days that are over
                    "planned_done": d["planned_done"],
                    "plan_done_pct": d["plan_done_pct"],
                    "working_days": d["working_days"],
                    "face_to_face_pct": split[key]["face_to_face_pct"],
                    "travel_pct": split[key]["travel_pct"],
                    "admin_pct": split[key]["admin_pct"],
                    "won": target["won"] if target else 0,
                    "first_visits": first_visits.get(rep.id, []),
                    "first_appointment_time": first[key]["first_appointment_time"],
                    "on_time_days": first[key]["on_time_days"],
                    "days_with_visit": first[key]["days_with_visit"],
                    "photos_per_day": photos.get(rep.id, []),
                },
                "check": {
                    "ratios": _without_rep(ratios[key]),
                    "hunting_farming": _without_rep(hunting[key]),
                    "qualification": _without_rep(qualified[key]),
                    "chains": {name: [step for step, _ in steps] for name, steps in CHAINS.items()},
                },
                "act": _act(this, writers, names),
                "last_week": {
                    **_act(last, writers, names),
                    "focus": [
                        {**p, **_named(p, names), **outcomes.get((rep.id, p.get("account_id")), {})} for p in last.focus
                    ]
                    if last
                    else [],
                },
            }
        )
    return reviews


def week_focus(rep_id, day):
    """What the rep set out to focus on in the week of `day`: the act of the week before."""
    review = _stored([rep_id], (week_start(day) - timedelta(days=7),))
    return [dict(p) for r in review.values() for p in r.focus]


def _without_rep(row):
    return {k: v for k, v in row.items() if k not in ("rep_id", "username", "name")}


def _stored(rep_ids, weeks):
    return {
        (r.rep_id, r.week): r
        for r in db.session.scalars(
            select(WeeklyReview).where(WeeklyReview.rep_id.in_(rep_ids), WeeklyReview.week.in_(weeks))
        )
    }


def _writers(reviews):
    ids = {r.written_by for r in reviews if r.written_by}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def _account_names(reviews):
    ids = {uuid.UUID(p["account_id"]) for r in reviews for p in r.focus if p.get("account_id")}
    return (
        {str(i): name for i, name in db.session.execute(select(Account.id, Account.name).where(Account.id.in_(ids)))}
        if ids
        else {}
    )


def _named(point, names):
    """The account's name beside its id, for the screen (not stored: a rename shows at once)."""
    return {"account": names.get(point["account_id"])} if point.get("account_id") else {}


def _act(review, writers, names):
    if review is None:
        return {"focus": [], "version": 0, "written_by_name": None, "written_at": None}
    return {
        "focus": [{**p, **_named(p, names)} for p in review.focus],
        "version": review.version,
        "written_by_name": rep_name(writers.get(review.written_by)),
        "written_at": review.written_at.isoformat() if review.written_at else None,
    }


def _outcomes(reviews, scope):
    """Last week's focus points against this week: visits by the rep to each named account, met or not."""
    named = {(r.rep_id, p["account_id"]) for r in reviews for p in r.focus if p.get("account_id")}
    seen = {key: {"visits": 0, "met_visits": 0} for key in named}
    if named:
        for rep_id, account_id, met in db.session.execute(
            select(Visit.rep_id, Visit.account_id, Visit.met).where(
                Visit.rep_id.in_({rep for rep, _ in named}),
                Visit.account_id.in_({uuid.UUID(a) for _, a in named}),
                Visit.cancelled_at.is_(None),
                Visit.check_in_at >= scope.start_utc,
                Visit.check_in_at < scope.end_utc,
            )
        ):
            key = (rep_id, str(account_id))
            if key in seen:
                seen[key]["visits"] += 1
                seen[key]["met_visits"] += met is not False
    return seen


def _first_visits(scope):
    """{rep id: [{date, at, on_time}]}: each worked day's first check-in (local HH:MM) and whether it was on
    time, by the rep's first-appointment time plus the tolerance: the days `on_time_days` counts."""
    limits = {rep.id: on_time_limit(scope, rep) for rep in scope.reps}
    return {
        rep_id: [
            {"date": day.isoformat(), "at": hhmm(minutes), "on_time": minutes <= limits[rep_id]}
            for day, minutes in sorted(days.items())
        ]
        for rep_id, days in first_check_ins(scope).items()
    }


def _planned_days(scope):
    return dict(
        db.session.execute(
            select(RoutePlan.rep_id, func.count(func.distinct(RoutePlan.plan_date)))
            .join(RouteStop, RouteStop.route_plan_id == RoutePlan.id)
            .where(
                RoutePlan.rep_id.in_(scope.rep_ids),
                RoutePlan.plan_date >= scope.start,
                RoutePlan.plan_date <= scope.end,
            )
            .group_by(RoutePlan.rep_id)
        ).all()
    )


def _photos_per_day(scope):
    """Each rep's photos taken at visits, counted per local day of the week: [{date, photos}]."""
    days = {}
    for rep_id, taken_at in db.session.execute(
        select(Photo.rep_id, Photo.taken_at).where(
            Photo.rep_id.in_(scope.rep_ids), Photo.taken_at >= scope.start_utc, Photo.taken_at < scope.end_utc
        )
    ):
        day = taken_at.astimezone(scope.tz).date().isoformat()
        days.setdefault(rep_id, {}).setdefault(day, 0)
        days[rep_id][day] += 1
    return {rep_id: [{"date": d, "photos": n} for d, n in sorted(counts.items())] for rep_id, counts in days.items()}


def _check_accounts(rep, focus):
    named = {p["account_id"] for p in focus if p.get("account_id")}
    if not named:
        return
    mine = {
        str(i) for i in db.session.scalars(select(Account.id).where(Account.id.in_(named), Account.owner_id == rep.id))
    }
    wrong = {
        str(i): {"account_id": ["Not one of the rep's accounts."]}
        for i, p in enumerate(focus)
        if p.get("account_id") and str(p["account_id"]) not in mine
    }
    if wrong:
        raise ValidationFailed("A focus point names an account that is not the rep's.", {"focus": wrong})


def save_focus(rep, monday, focus, by, version=None):
    """Write the act of `rep`'s week: the focus points for the next week. The rep and the manager may
    both write it; `version` (0: none seen yet) refuses a change made meanwhile with 409."""
    _check_accounts(rep, focus)
    focus = [
        {"text": p["text"].strip(), **({"account_id": str(p["account_id"])} if p.get("account_id") else {})}
        for p in focus
    ]
    for _ in range(3):
        write_lock(db.session, "weekly_review", rep.id, monday)  # SQLite: its write lock; PostgreSQL: this week's
        review = db.session.scalar(
            select(WeeklyReview)
            .where(WeeklyReview.rep_id == rep.id, WeeklyReview.week == monday)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        current = review.version if review else 0
        if version is not None and version != current:
            raise Conflict(
                f"The review was changed meanwhile (now version {current}); read it again.",
                {"version": [f"Stale: the current version is {current}."]},
                code="version_conflict",
            )
        if review is None:
            review = WeeklyReview(rep_id=rep.id, week=monday)
            db.session.add(review)
        review.focus, review.written_by, review.written_at = focus, by, clock.stamp()
        try:
            with recorded(db.session):
                db.session.commit()
            return review
        except (IntegrityError, StaleDataError):  # the other writer got there first: read theirs, judge again
            db.session.rollback()
    raise Unavailable("The review is being written by someone else; try again.")


class WeeklyReviewService(ScopedResource):
    """The reviews' focus points as the phones sync them: read-only there, written through the API."""

    model = WeeklyReview
    label = "weekly review"
    default_order = (WeeklyReview.week.desc(),)

    def read_scope(self, principal):
        return owner_scope(principal, WeeklyReview.rep_id)

    def _refuse(self, *_args, **_kwargs):
        raise ValidationFailed(
            "Weekly reviews are written with PUT /api/reports/weekly-review.", {"entity": ["Not writable."]}
        )

    stage_create = apply_create = apply_update = apply_delete = _refuse


weekly_review_records = WeeklyReviewService()
