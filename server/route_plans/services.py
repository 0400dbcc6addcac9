"""Route plans as the planner stored them; the rep reorders a day's stops by hand (editing.py)."""

from ..changelog import recorded
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import RoutePlan, User
from ..policy import may_manage_user
from ..resource import ScopedResource, refuse_stale
from ..scoping import owner_scope
from .planner import locked_plan


class RoutePlanService(ScopedResource):
    model = RoutePlan
    label = "route plan"
    default_order = (RoutePlan.plan_date.desc(),)
    equal_filters = ("rep_id",)

    def read_scope(self, principal):
        return owner_scope(principal, RoutePlan.rep_id)

    def filter(self, stmt, args):
        stmt = super().filter(stmt, args)
        if args.get("date"):
            stmt = stmt.where(RoutePlan.plan_date == args["date"])
        return stmt

    def stage_create(self, principal, data):
        raise ValidationFailed(
            "Route plans are made by the planner: POST /api/routes/plan.", {"entity": ["Not writable."]}
        )

    apply_create = stage_create  # refused before any look-up

    def apply_delete(self, principal, record_id):
        raise ValidationFailed(
            "A day's plan is not deleted; leave its stops out instead.", {"entity": ["Not writable."]}
        )

    def apply_update(self, principal, record_id, data):
        from .editing import edit_stops  # editing reads the services' helpers: imported when used

        plan = self.get(principal, record_id, for_update=True)
        if "stops" not in data:
            raise ValidationFailed("Send the day's stops in their new order.", {"stops": ["Required."]})
        return edit_stops(principal, plan, data["stops"], data.get("changed_at"))


route_plans = RoutePlanService()


def stored_plan(principal, rep_id, plan_date, for_update=False):
    """A rep's plan for a date, if the caller may see that rep's plans; `for_update` locks it."""
    rep = db.session.get(User, rep_id)
    if rep is None or not may_manage_user(principal, rep):
        raise NotFound(f"No plan for that rep on {plan_date}.")
    if for_update:
        plan = locked_plan(rep_id, plan_date)
    else:
        plan = db.session.query(RoutePlan).filter_by(rep_id=rep_id, plan_date=plan_date).first()
    if plan is None:
        raise NotFound(f"No plan for that rep on {plan_date}.")
    return plan


def edit_day(principal, rep_id, plan_date, stops, changed_at=None, version=None):
    """The rep's own order of a day's stops, timed again and stored; `version`, if given, must be the plan's."""
    from .editing import edit_stops  # editing reads this module's helpers: imported when used

    with recorded(db.session):
        plan = stored_plan(principal, rep_id, plan_date, for_update=True)
        refuse_stale("plan", version, plan.version)
        edit_stops(principal, plan, stops, changed_at)
        db.session.commit()
    return plan
