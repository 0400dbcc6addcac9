"""The daily visit report (每日销售报告): a rep's day built from what was recorded, not typed again."""
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Account, DailyReview, Opportunity, RoutePlan, RouteStop, StageChange, Visit
from ..cadence import days_since, is_overdue
from .rows import rep_row
from .scope import Scope
from .services import activity, first_appointment, time_ratios
from .weekly import week_focus


def daily_report(scope: Scope):
    """One rep's day: plan vs done, each visit, opportunity moves, time split, 8:45, tomorrow's overdue."""
    rep, day = scope.reps[0], scope.start
    radius = current_app.config["CHECKIN_RADIUS_M"]
    visits = db.session.execute(
        select(Visit, Account.name).join(Account, Account.id == Visit.account_id)
        .where(Visit.rep_id == rep.id, Visit.check_in_at >= scope.start_utc, Visit.check_in_at < scope.end_utc)
        .order_by(Visit.check_in_at)).all()
    planned = set(db.session.scalars(select(RouteStop.account_id).join(RoutePlan, RoutePlan.id == RouteStop.route_plan_id)
                                     .where(RoutePlan.rep_id == rep.id, RoutePlan.plan_date == day)))
    moves = db.session.execute(
        select(StageChange, Opportunity.title, Account.name).join(Opportunity, Opportunity.id == StageChange.opportunity_id)
        .join(Account, Account.id == Opportunity.account_id)
        .where(Opportunity.owner_id == rep.id, StageChange.changed_at >= scope.start_utc,
               StageChange.changed_at < scope.end_utc).order_by(StageChange.changed_at)).all()
    review = db.session.scalar(select(DailyReview).where(DailyReview.rep_id == rep.id, DailyReview.day == day))
    ratios = time_ratios(scope)["rows"][0]
    first = first_appointment(scope)["rows"][0]
    done = activity(scope)["rows"][0]
    return {
        **rep_row(rep),
        "date": day.isoformat(), "timezone": str(scope.tz),
        "plan": {"planned": done["planned"], "done": done["planned_done"], "plan_done_pct": done["plan_done_pct"]},
        "visits": [{"id": str(v.id), "account_id": str(v.account_id), "account": name, "purpose": v.purpose,
                    "outcome": v.outcome, "next_step": v.next_step, "planned": v.account_id in planned,
                    "check_in_at": v.check_in_at.isoformat(),
                    "check_out_at": v.check_out_at.isoformat() if v.check_out_at else None,
                    "met": v.met, "cancelled": v.cancelled_at is not None, "cancel_reason": v.cancel_reason,
                    "check_in_distance_m": v.check_in_distance_m,
                    "away": v.check_in_distance_m is not None and v.check_in_distance_m > radius}
                   for v, name in visits],
        "new_opportunities": [{"title": title, "account": name, "stage": c.to_stage}
                              for c, title, name in moves if c.from_stage is None],
        "stage_moves": [{"title": title, "account": name, "from": c.from_stage, "to": c.to_stage, "status": c.status}
                        for c, title, name in moves if c.from_stage is not None],
        "time_split": {k: ratios[k] for k in ratios if k.endswith(("_min", "_pct"))},
        "first_visit": {"at": _first_visit(visits, scope), "target": first["first_appointment_time"],
                        "on_time": first["on_time_days"] == 1 if first["days_with_visit"] else None},
        "overdue_tomorrow": _due_tomorrow(rep, scope),
        "week_focus": week_focus(rep.id, day),
        "review": {"went_well": review.went_well if review else "", "to_improve": review.to_improve if review else "",
                   "manager_comment": review.manager_comment if review else ""},
    }


def _first_visit(visits, scope):
    kept = [v for v, _ in visits if v.cancelled_at is None]
    return kept[0].check_in_at.astimezone(scope.tz).strftime("%H:%M") if kept else None


def _due_tomorrow(rep, scope):
    """Accounts at or past their cadence by the end of the next day: tomorrow's must-sees."""
    end = datetime.combine(scope.end + timedelta(days=2), time(0), scope.tz)
    out = []
    for a in db.session.scalars(select(Account).where(Account.owner_id == rep.id).order_by(Account.name)):
        days = days_since(a.last_contact_at, end)
        if is_overdue(a.last_contact_at, a.account_class, end):
            out.append({"account_id": str(a.id), "name": a.name, "account_class": a.account_class,
                        "days_since_contact": days})
    out.sort(key=lambda o: (o["account_class"], -(o["days_since_contact"] if o["days_since_contact"] is not None else 10**6)))
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
