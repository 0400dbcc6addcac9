"""Visit rules: the rep records their own visits in their own territory; check-out follows check-in."""

from geopy.distance import geodesic
from sqlalchemy import func, or_, select

from .. import last_contact
from ..errors import Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..field_rules import refuse_rep_change, require_order
from ..models import Account, AccountReassignment, Opportunity, Photo, RoutePlan, Team, User, Visit
from ..models.users import team_zone
from ..policy import (
    accompanying_manager,
    check_rep_write,
    may_join_visit,
    refuse_recording,
    refuse_visit_change,
    resolve_rep,
    writable_account,
)
from ..resource import ScopedResource
from ..scoping import visible_to_rep_or_account


class VisitService(ScopedResource):
    model = Visit
    label = "visit"
    default_order = (Visit.check_in_at.desc(), Visit.planned_start.desc())
    equal_filters = ("account_id", "rep_id")
    period_column = func.coalesce(Visit.check_in_at, Visit.planned_start)
    batch_creates = True

    def read_scope(self, principal):
        return visible_to_rep_or_account(principal, Visit.rep_id, Visit.account_id)

    def filter(self, stmt, args):
        stmt = super().filter(stmt, args)
        if args.get("open") is True:
            stmt = stmt.where(Visit.check_in_at.is_not(None), Visit.check_out_at.is_(None))
        return stmt

    def prepare_create(self, principal, data):
        refuse_recording(principal, data.get("rep_id"), "visit")
        resolve_rep(principal, data)
        accompanying_manager(data["rep_id"], data.get("accompanied_by"))
        try:
            writable_account(principal, data.get("account_id"))
        except NotFound:
            # A visit made while offline to an account reassigned meanwhile still happened: keep it.
            # One checked in after the account left the rep's territory did not happen as theirs.
            if not (principal.is_rep and held_territory(principal.id, data.get("account_id"))):
                raise
            left = left_territory_at(principal.id, data.get("account_id"))
            check_in = data.get("check_in_at")
            if left is not None and (check_in is None or check_in > left):
                raise Forbidden(
                    "This account was reassigned before this visit: record visits only to your own accounts.",
                    {"account_id": [f"Reassigned at {left.isoformat()}."]},
                    code="reassigned",
                )

    def check_write(self, principal, obj):
        if may_join_visit(principal, obj.rep_id):
            return  # a manager of the rep's team: check_changes lets them say they went along, nothing else
        refuse_recording(principal, obj.rep_id, "visit")
        check_rep_write(principal, obj.rep_id, "visit")

    def check_changes(self, principal, obj, changes):
        refuse_visit_change(principal, obj, changes)
        refuse_rep_change(principal, obj, changes)
        if changes.get("accompanied_by") is not None and changes["accompanied_by"] != obj.accompanied_by:
            accompanying_manager(obj.rep_id, changes["accompanied_by"])
        if "account_id" in changes and changes["account_id"] != obj.account_id:
            writable_account(principal, changes["account_id"])

    def apply_delete(self, principal, record_id):
        refuse_recording(principal, self.get(principal, record_id).rep_id, "visit")
        super().apply_delete(principal, record_id)

    def before_save(self, principal, obj, before):
        with db.session.no_autoflush:  # sync stages many creates and writes them together: no flush per visit
            self._derive(obj, before)

    def _derive(self, obj, before):
        if obj.check_in_at is not None and (before is None or "check_in_at" in before):
            snapshot_plan(obj.rep_id, obj.check_in_at)
        # Measured here, not taken from the phone: how far from the account the rep checked in.
        if before is None or {"check_in_lat", "check_in_lng", "account_id"} & set(before):
            account = db.session.get(Account, obj.account_id)
            # An account may hold half a position (a latitude alone): no distance from it, as from none.
            if (
                None in (obj.check_in_lat, obj.check_in_lng)
                or account is None
                or None in (account.latitude, account.longitude)
            ):
                obj.check_in_distance_m = None
            else:
                obj.check_in_distance_m = round(
                    geodesic((obj.check_in_lat, obj.check_in_lng), (account.latitude, account.longitude)).meters, 1
                )

    def after_write(self, principal, obj, before):
        last_contact.follow(db.session, [(obj, before)])
        if before and "account_id" in before:
            # A visit's photos sit in its account's territory: they follow it to the other account.
            for photo in db.session.scalars(select(Photo).where(Photo.visit_id == obj.id)):
                photo.account_id = obj.account_id

    def after_creates(self, principal, objs):
        last_contact.follow(db.session, [(obj, None) for obj in objs])

    def validate(self, obj):
        if not (obj.purpose or "").strip():
            raise ValidationFailed("Set the visit's purpose first.", {"purpose": ["Required."]})
        if obj.check_out_at is not None and obj.check_in_at is None:
            raise ValidationFailed("Check in before checking out.", {"check_out_at": ["Needs check_in_at."]})
        require_order(obj.check_in_at, obj.check_out_at, "check_in_at", "check_out_at")
        if obj.cancelled_at is not None and not (obj.cancel_reason or "").strip():
            raise ValidationFailed("Say why the visit is cancelled.", {"cancel_reason": ["Required to cancel."]})
        refuse_due_before_the_visit(obj)
        if obj.opportunity_id is not None:
            opp = db.session.get(Opportunity, obj.opportunity_id)
            if opp is None or opp.account_id != obj.account_id:
                raise ValidationFailed(
                    "The opportunity is not at this account.",
                    {"opportunity_id": ["Not an opportunity of this account."]},
                )


def visit_day(visit):
    """The day of a visit in its rep's team's zone: its check-in's, else its planned start's (None: neither)."""
    at = visit.check_in_at or visit.planned_start
    if at is None:
        return None
    rep = db.session.get(User, visit.rep_id) if visit.rep_id else None
    return at.astimezone(team_zone(db.session.get(Team, rep.team_id) if rep and rep.team_id else None)).date()


def refuse_due_before_the_visit(visit):
    """A next step is not due before the visit that set it."""
    if visit.next_step_due is None:
        return
    day = visit_day(visit)
    if day is not None and visit.next_step_due < day:
        raise ValidationFailed(
            f"The next step cannot be due before the visit's day ({day.isoformat()}).",
            {"next_step_due": [f"Not before the visit's day ({day.isoformat()})."]},
        )


def snapshot_plan(rep_id, check_in_at):
    """At the day's first check-in, keep the accounts the plan then held: plan-vs-done compares with
    them, whatever later re-plans do to the plan. Looked up once per rep and day per transaction."""
    rep = db.session.get(User, rep_id)
    if rep is None:
        return
    day = check_in_at.astimezone(team_zone(db.session.get(Team, rep.team_id) if rep.team_id else None)).date()
    seen = db.session.info.setdefault("fieldday.snapshots", set())
    if (rep_id, day) in seen:
        return
    seen.add((rep_id, day))
    plan = db.session.scalar(select(RoutePlan).where(RoutePlan.rep_id == rep_id, RoutePlan.plan_date == day))
    if plan is not None and plan.snapshot is None:
        plan.snapshot = [str(stop.account_id) for stop in plan.stops]


def left_territory_at(rep_id, account_id):
    """When the account last left this rep's territory (None: it is theirs again, or never left)."""
    account = db.session.get(Account, account_id)
    if account is None or account.owner_id == rep_id:
        return None
    return db.session.scalar(
        select(func.max(AccountReassignment.at)).where(
            AccountReassignment.account_id == account_id, AccountReassignment.from_owner_id == rep_id
        )
    )


def held_territory(rep_id, account_id):
    """Whether the territory's history shows the account was ever this rep's."""
    if account_id is None or db.session.get(Account, account_id) is None:
        return False
    return (
        db.session.scalar(
            select(AccountReassignment.id)
            .where(
                AccountReassignment.account_id == account_id,
                or_(AccountReassignment.from_owner_id == rep_id, AccountReassignment.to_owner_id == rep_id),
            )
            .limit(1)
        )
        is not None
    )


visits = VisitService()
