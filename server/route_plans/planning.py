"""`/api/routes`: plan a rep's day on demand and read the stored plan."""
from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError, fields, validate, validates_schema

from ..errors import Conflict, Forbidden, NotFound
from ..extensions import db
from ..models import RoutePlan, User
from ..resource import resolve_rep
from ..schemas import StrictSchema, instant
from ..scoping import may_manage_user
from .. import limits
from ..limits import limiter
from ..security import login_required, principal
from .planner import Choices, Start, locked_plan, plan_day
from .schemas import RoutePlanEditSchema, RoutePlanSchema

blp = Blueprint("routes", __name__, url_prefix="/api/routes", description="Route planning (OR-Tools)")


class PinSchema(StrictSchema):
    account_id = fields.UUID(required=True)
    at = fields.Time(required=True, format="%H:%M", metadata={"description": "Arrival to keep, HH:MM local"})


class StartSchema(StrictSchema):
    latitude = fields.Float(required=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(required=True, validate=validate.Range(-180, 180))
    at = instant(required=True, metadata={"description": "when the rep is free to leave from there"})


class PlanRequest(StrictSchema):
    rep_id = fields.UUID(metadata={"description": "Managers and admins name the rep; a rep plans themselves"})
    date = fields.Date(required=True)
    include = fields.List(fields.UUID(), validate=validate.Length(max=50),
                          metadata={"description": "Accounts the rep adds to the day"})
    exclude = fields.List(fields.UUID(), validate=validate.Length(max=500),
                          metadata={"description": "Accounts the rep leaves out of the day"})
    pins = fields.List(fields.Nested(PinSchema), validate=validate.Length(max=50),
                       metadata={"description": "Stops whose arrival time the plan must keep"})
    override = fields.Boolean(load_default=False, metadata={
        "description": "managers: replace the rep's own picks, leave-outs and pins instead of keeping them"})
    start = fields.Nested(StartSchema, metadata={
        "description": "plan the rest of the day from here and now (the rep's position, or the end of the open "
                       "visit): stops already visited that day are left out, and the 8:45 start does not apply"})
    preview = fields.Boolean(load_default=False, metadata={"description": "answer the plan without storing it"})

    @validates_schema
    def _disjoint(self, data, **_):
        left_out = set(data.get("exclude", ()))
        clash = left_out & (set(data.get("include", ())) | {p["account_id"] for p in data.get("pins", ())})
        if clash:
            raise ValidationError(f"Both kept and left out: {sorted(map(str, clash))}", "exclude")


@blp.route("/plan")
class Plan(MethodView):
    decorators = [limiter.limit(limits.planning), login_required()]

    @blp.arguments(PlanRequest)
    @blp.response(200, RoutePlanSchema)
    def post(self, body):
        """Plan a rep's day now: candidate stops ordered for the least travel, first visit at 8:45"""
        caller = principal()
        resolve_rep(caller, body)
        # No choices sent (re-plan the rest of today): the rep's stored picks and leave-outs stand.
        choices = None
        if {"include", "exclude", "pins"} & set(body):
            choices = Choices(include=tuple(body.get("include", ())), exclude=tuple(body.get("exclude", ())),
                              pins={p["account_id"]: p["at"] for p in body.get("pins", ())})
        if body.get("override") and caller.is_rep:
            raise Forbidden("Only a manager overrides a rep's own choices.", {"override": ["Managers only."]})
        start = body.get("start")
        if start is not None:
            start = Start(start["latitude"], start["longitude"], start["at"])
        with limits.planner_slot():
            plan = plan_day(body["rep_id"], body["date"], choices=choices, by=caller.id, override=body["override"],
                            start=start, preview=body["preview"])
        return jsonify(plan) if body["preview"] else plan


@blp.route("/<uuid:rep_id>/<string:day>")
class Stored(MethodView):
    decorators = [login_required()]

    @blp.response(200, RoutePlanSchema)
    def get(self, rep_id, day):
        """The stored plan of a rep for a date (YYYY-MM-DD)"""
        return _stored(rep_id, day)

    @blp.arguments(RoutePlanEditSchema)
    @blp.response(200, RoutePlanSchema)
    def patch(self, body, rep_id, day):
        """The rep's own order of the day's stops (drop, insert, move): timed again and kept, with the
        dropped stops left out of later re-plans of that day and the inserted ones kept in them"""
        from .editing import edit_stops

        plan = _stored(rep_id, day, for_update=True)
        if body.get("version") is not None and body["version"] != plan.version:
            raise Conflict(f"The plan changed since version {body['version']}; it is now version {plan.version}.",
                           {"version": [f"Stale: the current version is {plan.version}."]}, code="version_conflict")
        edit_stops(principal(), plan, body["stops"], body.get("changed_at"))
        db.session.commit()
        return plan


def _stored(rep_id, day, for_update=False):
    from datetime import date as date_type

    try:
        plan_date = date_type.fromisoformat(day)
    except ValueError:
        raise NotFound("Not a date; use YYYY-MM-DD.", {"date": ["Not a valid date."]}) from None
    rep = db.session.get(User, rep_id)
    if for_update:
        plan = locked_plan(rep_id, plan_date)
    else:
        plan = db.session.query(RoutePlan).filter_by(rep_id=rep_id, plan_date=plan_date).first()
    if rep is None or plan is None or not may_manage_user(principal(), rep):
        raise NotFound(f"No plan for that rep on {plan_date}.")
    return plan
