"""The daily visit report (每日销售报告): a rep's day built from what was recorded, not typed again."""

from datetime import datetime, time, timedelta

from sqlalchemy import and_, select

from .. import clock, last_contact
from ..cadence import days_since, is_overdue
from ..extensions import db
from ..models import Account, DailyReview, Opportunity, Photo, RoutePlan, RouteStop, StageChange, User, Visit
from .activity import activity, activity_counts
from .asof import as_of as accounts_as_of
from .asof import rules_as_of
from .firstvisit import first_appointment
from .reads import period_end
from .rows import rep_name, rep_row
from .scope import Scope
from .timeratios import time_ratios
from .weekly import week_focus


def daily_report(scope: Scope):
    """One rep's day: plan vs done, each visit, opportunity moves, time split, 8:45, tomorrow's overdue."""
    rep, day = scope.reps[0], scope.start
    radius = rules_as_of(scope, period_end(scope)).checkin_radius_m  # the team's as the day left it
    visits = db.session.execute(
        select(Visit, Account.name)
        .join(Account, Account.id == Visit.account_id)
        .where(Visit.rep_id == rep.id, Visit.check_in_at >= scope.start_utc, Visit.check_in_at < scope.end_utc)
        .order_by(Visit.check_in_at)
    ).all()
    along = {v.accompanied_by for v, _ in visits if v.accompanied_by is not None}
    along = {u.id: rep_name(u) for u in db.session.scalars(select(User).where(User.id.in_(along)))} if along else {}
    planned = set(
        db.session.scalars(
            select(RouteStop.account_id)
            .join(RoutePlan, RoutePlan.id == RouteStop.route_plan_id)
            .where(RoutePlan.rep_id == rep.id, RoutePlan.plan_date == day)
        )
    )
    moves = db.session.execute(
        select(StageChange, Opportunity.title, Account.name, Opportunity.loss_reason)
        .join(Opportunity, Opportunity.id == StageChange.opportunity_id)
        .join(Account, Account.id == Opportunity.account_id)
        .where(
            # The deals on the rep's accounts as the day left them (today: now): one moved away leaves no trail.
            _held(scope, rep, min(scope.end_utc, clock.now())),
            StageChange.changed_at >= scope.start_utc,
            StageChange.changed_at < scope.end_utc,
        )
        .order_by(StageChange.changed_at)
    ).all()
    photos = {}
    for photo in db.session.execute(
        select(Photo.visit_id, Photo.id, Photo.caption, Photo.taken_at, Photo.uploaded_at)
        .where(Photo.visit_id.in_([v.id for v, _ in visits]))
        .order_by(Photo.taken_at)
    ):
        photos.setdefault(photo.visit_id, []).append(
            {
                "id": str(photo.id),
                "caption": photo.caption,
                "taken_at": photo.taken_at.isoformat(),
                "uploaded": photo.uploaded_at is not None,  # false: still on the rep's phone
            }
        )
    review = db.session.scalar(select(DailyReview).where(DailyReview.rep_id == rep.id, DailyReview.day == day))
    ratios = time_ratios(scope)["rows"][0]
    first = first_appointment(scope)["rows"][0]
    done = activity(scope)["rows"][0]
    return {
        **rep_row(rep),
        "date": day.isoformat(),
        "timezone": str(scope.tz),
        # The day's stops and those visited so far; its completion once the day is over (reads.plan_due_until).
        "plan": {
            "planned": done["planned"],
            "done": activity_counts(scope, {rep.id: radius})[rep.id]["planned_visited"],
            "plan_done_pct": done["plan_done_pct"],
        },
        "visits": [
            {
                "id": str(v.id),
                "account_id": str(v.account_id),
                "account": name,
                "purpose": v.purpose,
                "outcome": v.outcome,
                "next_step": v.next_step,
                "planned": v.account_id in planned,
                "check_in_at": v.check_in_at.isoformat(),
                "check_out_at": v.check_out_at.isoformat() if v.check_out_at else None,
                "met": v.met,
                "cancelled": v.cancelled_at is not None,
                "cancel_reason": v.cancel_reason,
                "check_in_distance_m": v.check_in_distance_m,
                "away": v.check_in_distance_m is not None and v.check_in_distance_m > radius,
                # A joint visit (陪访): the manager who went along.
                "accompanied_by": str(v.accompanied_by) if v.accompanied_by else None,
                "accompanied_by_name": along.get(v.accompanied_by),
                "photos": photos.get(v.id, []),
            }
            for v, name in visits
        ],
        "new_opportunities": [
            {"title": title, "account": name, "stage": c.to_stage}
            for c, title, name, _ in moves
            if c.from_stage is None
        ],
        # A loss keeps the deal at its stage (from == to): `status` says it was lost, `loss_reason` why.
        "stage_moves": [
            {
                "title": title,
                "account": name,
                "from": c.from_stage,
                "to": c.to_stage,
                "status": c.status,
                "loss_reason": reason if c.status == "lost" else None,
            }
            for c, title, name, reason in moves
            if c.from_stage is not None
        ],
        "time_split": {k: ratios[k] for k in ratios if k.endswith(("_min", "_pct"))},
        "first_visit": {
            "at": _first_visit(visits, scope),
            "target": first["first_appointment_time"],
            "on_time": first["on_time_days"] == 1 if first["days_with_visit"] else None,
        },
        "overdue_tomorrow": _due_tomorrow(rep, scope),
        "week_focus": week_focus(rep.id, day),
        "review": {
            "went_well": review.went_well if review else "",
            "to_improve": review.to_improve if review else "",
            "manager_comment": review.manager_comment if review else "",
        },
    }


def _first_visit(visits, scope):
    kept = [v for v, _ in visits if v.cancelled_at is None]
    return kept[0].check_in_at.astimezone(scope.tz).strftime("%H:%M") if kept else None


def _held(scope, rep, instant):
    then = accounts_as_of(scope, instant)
    return and_(then.held, then.owner == rep.id)


def _due_tomorrow(rep, scope):
    """Accounts at or past their cadence by the end of the next day: tomorrow's must-sees."""
    end = datetime.combine(scope.end + timedelta(days=2), time(0), scope.tz)
    day_end = min(datetime.combine(scope.end + timedelta(days=1), time(0), scope.tz), clock.now())
    then = accounts_as_of(scope, day_end)  # the rep's accounts and their classes as the day left them
    accounts = db.session.execute(
        # an account created after the day did not exist for it
        select(
            Account.id,
            Account.name,
            then.account_class.label("account_class"),
            Account.last_contact_at,
            Account.created_at,
        )
        .where(_held(scope, rep, day_end), Account.created_at <= day_end)
        .order_by(Account.name)
    ).all()
    contacts = last_contact.as_of(db.session, accounts, day_end)  # as the day left them: later visits change nothing
    out = []
    for a in accounts:
        days = days_since(contacts[a.id], end)
        if is_overdue(contacts[a.id], a.account_class, end, a.created_at, rules_as_of(scope, day_end)):
            out.append(
                {"account_id": str(a.id), "name": a.name, "account_class": a.account_class, "days_since_contact": days}
            )
    out.sort(
        key=lambda o: (o["account_class"], -(o["days_since_contact"] if o["days_since_contact"] is not None else 10**6))
    )
    return out


def save_review(rep_id, day, went_well=None, to_improve=None, manager_comment=None, commented_by=None):
    """Write the rep's review or the manager's comment for a day (only the parts given)."""
    review = db.session.scalar(select(DailyReview).where(DailyReview.rep_id == rep_id, DailyReview.day == day))
    if review is None:
        review = DailyReview(rep_id=rep_id, day=day, went_well="", to_improve="", manager_comment="")
        db.session.add(review)
    if went_well is not None:
        review.went_well = went_well
    if to_improve is not None:
        review.to_improve = to_improve
    if manager_comment is not None:
        review.manager_comment, review.commented_by = manager_comment, commented_by
    db.session.commit()
    return review
