"""Route plans as the planner stored them; read-only over the API for now."""
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


route_plans = RoutePlanService()
