"""`/api/route-plans` (the stored plans, read-only) and `/api/routes`: plan a rep's day on demand,
read one day's plan, and the rep's own order of it."""

from flask import jsonify
from flask.views import MethodView

from .. import clock, limits
from ..crud_views import register_crud
from ..errors import ValidationFailed
from ..extensions import ErrorSchema, db
from ..limits import limiter
from ..models import User
from ..policy import require_manager, resolve_rep
from ..security import login_required, principal
from . import blp
from .planner import Choices, Start, _tz, plan_day
from .schemas import PlanAnswerSchema, PlanRequest, RoutePlanEditSchema, RoutePlanQuery, RoutePlanSchema
from .services import edit_day, route_plans, stored_plan

register_crud(
    blp,
    route_plans,
    path="/route-plans",
    schema=RoutePlanSchema,
    query_schema=RoutePlanQuery,
    name="RoutePlan",
    read_only=True,
)


@blp.route("/routes/plan")
class Plan(MethodView):
    decorators = [limiter.limit(limits.planning), login_required()]

    @blp.arguments(PlanRequest)
    @blp.response(200, PlanAnswerSchema)
    @blp.alt_response(
        409,
        schema=ErrorSchema,
        description="`accept`: the day changed since the preview (its stops, appointments or visits, or another "
        "plan of it stored meanwhile), or the previewed order no longer fits it. Error code `preview_stale`; nothing "
        "is stored; preview the day again.",
    )
    @blp.alt_response(
        429,
        schema=ErrorSchema,
        description="Too many plans by this user (PLAN_RATE_LIMIT, 30 per minute by default). Error code "
        "`too_many_requests`; wait the Retry-After seconds.",
        headers={
            "Retry-After": {
                "description": "seconds until the limit lets the next plan through",
                "schema": {"type": "integer", "minimum": 0},
            }
        },
    )
    @blp.alt_response(
        503,
        schema=ErrorSchema,
        description="The planner is busy: every solver slot of this server process (PLAN_CONCURRENCY) is "
        "solving another plan. Refused at once, never queued: error code `planner_busy`, `retry_after_s` in "
        "the error; ask again after the Retry-After seconds (PLAN_QUEUE_WAIT_S, 3 by default). Also "
        "`unavailable` when the database is unreachable.",
        headers={
            "Retry-After": {
                "description": "seconds to wait before asking again",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    )
    def post(self, body):
        """Plan a rep's day now: candidate stops ordered for the least travel, first visit at 8:45"""
        caller = principal()
        resolve_rep(caller, body)
        _not_past(body["rep_id"], body["date"])
        # No choices sent (re-plan the rest of today): the rep's stored picks and leave-outs stand.
        choices = None
        if {"include", "exclude", "pins"} & set(body):
            choices = Choices(
                include=tuple(body.get("include", ())),
                exclude=tuple(body.get("exclude", ())),
                pins={p["account_id"]: p["at"] for p in body.get("pins", ())},
            )
        if body.get("override"):
            require_manager(caller, "Only a manager overrides a rep's own choices.", "override")
        start = body.get("start")
        if start is not None:
            start = Start(start.get("latitude"), start.get("longitude"), start["at"])
        with limits.planner_slot():
            plan = plan_day(
                body["rep_id"],
                body["date"],
                choices=choices,
                by=caller.id,
                override=body["override"],
                start=start,
                preview=body["preview"],
                accept=body.get("accept"),
            )
        return jsonify(plan) if body["preview"] else plan


def _not_past(rep_id, day):
    """Today or a later day is planned, by the rep or their manager: a past day's plan is what the day was
    measured against (the activity report counts its stops), so it stays as the day left it."""
    rep = db.session.get(User, rep_id)
    if day < clock.today(_tz(rep)):
        raise ValidationFailed("A past day is not planned: plan today or a later day.", {"date": ["A past day."]})


@blp.route("/routes/<uuid:rep_id>/<date:day>")
class Stored(MethodView):
    decorators = [login_required()]

    @blp.response(200, RoutePlanSchema)
    def get(self, rep_id, day):
        """The stored plan of a rep for a date (YYYY-MM-DD)"""
        return stored_plan(principal(), rep_id, day)

    @blp.arguments(RoutePlanEditSchema)
    @blp.response(200, RoutePlanSchema)
    def patch(self, body, rep_id, day):
        """The rep's own order of the day's stops (drop, insert, move): timed again and kept, with the
        dropped stops left out of later re-plans of that day and the inserted ones kept in them"""
        return edit_day(principal(), rep_id, day, body["stops"], body.get("changed_at"), body.get("version"))
