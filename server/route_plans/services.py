"""Route plans as the planner stored them; the rep reorders a day's stops by hand (editing.py)."""
from ..errors import ValidationFailed
from ..models import RoutePlan
from ..resource import ScopedResource
from ..scoping import owner_scope


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


    def apply_create(self, principal, data, known_new=False):
        raise ValidationFailed("Route plans are made by the planner: POST /api/routes/plan.",
                               {"entity": ["Not writable."]})

    def apply_delete(self, principal, record_id):
        raise ValidationFailed("A day's plan is not deleted; leave its stops out instead.", {"entity": ["Not writable."]})

    def apply_update(self, principal, record_id, data):
        from .editing import edit_stops

        plan = self.get(principal, record_id, for_update=True)
        if "stops" not in data:
            raise ValidationFailed("Send the day's stops in their new order.", {"stops": ["Required."]})
        return edit_stops(principal, plan, data["stops"], data.get("changed_at"))


route_plans = RoutePlanService()
