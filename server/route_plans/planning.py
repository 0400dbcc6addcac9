"""`/api/routes`: plan a rep's day on demand and read the stored plan."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields

from ..errors import NotFound
from ..extensions import db
from ..models import RoutePlan, User
from ..resource import resolve_rep
from ..schemas import StrictSchema
from ..scoping import may_manage_user
from ..security import login_required, principal
from .planner import plan_day
from .schemas import RoutePlanSchema

blp = Blueprint("routes", __name__, url_prefix="/api/routes", description="Route planning (OR-Tools)")


class PlanRequest(StrictSchema):
    rep_id = fields.UUID(metadata={"description": "Managers and admins name the rep; a rep plans themselves"})
    date = fields.Date(required=True)


@blp.route("/plan")
class Plan(MethodView):
    decorators = [login_required()]

    @blp.arguments(PlanRequest)
    @blp.response(200, RoutePlanSchema)
    def post(self, body):
        """Plan a rep's day now: candidate stops ordered for the least travel, first visit at 8:45"""
        caller = principal()
        resolve_rep(caller, body)
        return plan_day(body["rep_id"], body["date"])


@blp.route("/<uuid:rep_id>/<string:day>")
class Stored(MethodView):
    decorators = [login_required()]

    @blp.response(200, RoutePlanSchema)
    def get(self, rep_id, day):
        """The stored plan of a rep for a date (YYYY-MM-DD)"""
        from datetime import date as date_type

        try:
            plan_date = date_type.fromisoformat(day)
        except ValueError:
            raise NotFound("Not a date; use YYYY-MM-DD.", {"date": ["Not a valid date."]}) from None
        rep = db.session.get(User, rep_id)
        plan = db.session.query(RoutePlan).filter_by(rep_id=rep_id, plan_date=plan_date).first()
        if rep is None or plan is None or not may_manage_user(principal(), rep):
            raise NotFound(f"No plan for that rep on {plan_date}.")
        return plan
