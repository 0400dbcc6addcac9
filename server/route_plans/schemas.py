from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..schemas import PageArgs, RecordSchema, StrictSchema, instant


class RouteStopSchema(Schema):
    id = fields.UUID()
    position = fields.Integer()
    account_id = fields.UUID()
    appointment_id = fields.UUID(allow_none=True)
    planned_arrival = fields.AwareDateTime()
    service_minutes = fields.Integer()
    travel_minutes = fields.Integer()
    reason = fields.String()
    pinned = fields.Boolean()


def _changer_name(plan):
    changed_by = plan.get("changed_by") if isinstance(plan, dict) else plan.changed_by
    if changed_by is None:
        return None
    from ..extensions import db
    from ..models import User

    user = db.session.get(User, changed_by)
    return None if user is None else (user.display_name or user.username)


def _answered(plan, name):
    """What the planner's answer says beside the stored plan (not stored, not synced)."""
    return plan.get(name) if isinstance(plan, dict) else getattr(plan, name, None)


class RoutePlanSchema(RecordSchema):
    rep_id = fields.UUID()
    plan_date = fields.Date()
    status = fields.String()
    total_travel_s = fields.Integer()
    dropped = fields.List(
        fields.Dict(),
        metadata={
            "description": "stops left out of the day, [{id, reason}]: the planner's reasons (not_worth_the_time, "
            "no_coordinates, ...) and left_out_by_rep for the rep's own leave-outs"
        },
    )
    start = fields.Dict(
        allow_none=True,
        metadata={
            "description": "where the plan starts when not at home (a re-plan from here and now): "
            "{latitude, longitude, at}; latitude and longitude null: from home, at `at`"
        },
    )
    stops = fields.List(fields.Nested(RouteStopSchema))
    choices = fields.Dict(allow_none=True, metadata={"description": "the rep's picks, leave-outs and pins for the day"})
    changed_by = fields.UUID(allow_none=True)
    changed_by_name = fields.Function(lambda p: _changer_name(p), metadata={"type": "string"})
    changed_at = fields.AwareDateTime(allow_none=True)
    snapshot = fields.List(
        fields.String(), allow_none=True, metadata={"description": "accounts planned at the day's first check-in"}
    )


class PlanAnswerSchema(RoutePlanSchema):
    """The planner's answer (POST /api/routes/plan): the plan, and what it says beside the stored plan."""

    lunch = fields.Function(
        lambda p: _answered(p, "lunch"),
        metadata={
            "type": "object",
            "description": "the lunch break as planned ({status: planned, start, "
            "minutes}), after the day ({status: after_the_day}) or skipped ({status: skipped, reason: window_passed "
            "| no_room})",
        },
    )
    empty_reason = fields.Function(
        lambda p: _answered(p, "empty_reason"),
        allow_none=True,
        metadata={
            "type": "string",
            "description": "when the plan has no stop: why (no_stops, none_fits, not_worth_the_time)",
        },
    )
    preview_token = fields.Function(
        lambda p: _answered(p, "preview_token"),
        allow_none=True,
        metadata={
            "type": "string",
            "description": "a preview's (null otherwise): what it showed, signed; send it back as `accept` to store "
            "exactly this plan",
        },
    )


class RoutePlanQuery(PageArgs):
    rep_id = fields.UUID()
    date = fields.Date()


class EditStopSchema(StrictSchema):
    account_id = fields.UUID(required=True)
    appointment_id = fields.UUID(allow_none=True, metadata={"description": "an appointment's stop keeps its id"})


class RoutePlanEditSchema(StrictSchema):
    """The rep's own order of the day's stops (drop, insert, move); the server times them again."""

    id = fields.UUID()
    version = fields.Integer(validate=validate.Range(min=1), metadata={"description": "REST: the version edited"})
    stops = fields.List(fields.Nested(EditStopSchema), required=True, validate=validate.Length(max=60))
    changed_at = instant(
        allow_none=True,
        metadata={
            "description": "when the rep made the change on the phone: stops not yet visited are timed from then"
        },
    )


class PinSchema(StrictSchema):
    account_id = fields.UUID(required=True)
    at = fields.Time(required=True, format="%H:%M", metadata={"description": "Arrival to keep, HH:MM local"})


class StartSchema(StrictSchema):
    latitude = fields.Float(validate=validate.Range(-90, 90))
    longitude = fields.Float(validate=validate.Range(-180, 180))
    at = instant(required=True, metadata={"description": "when the rep is free to leave from there"})

    @validates_schema
    def _both_or_neither(self, data, **_):
        # No position (the phone has no fix and no visit today): the rest of the day starts at home, at `at`.
        if ("latitude" in data) != ("longitude" in data):
            missing = "longitude" if "latitude" in data else "latitude"
            raise ValidationError("A position needs both its latitude and longitude.", missing)


class PlanRequest(StrictSchema):
    rep_id = fields.UUID(metadata={"description": "Managers and admins name the rep; a rep plans themselves"})
    date = fields.Date(required=True)
    include = fields.List(
        fields.UUID(), validate=validate.Length(max=50), metadata={"description": "Accounts the rep adds to the day"}
    )
    exclude = fields.List(
        fields.UUID(),
        validate=validate.Length(max=500),
        metadata={"description": "Accounts the rep leaves out of the day"},
    )
    pins = fields.List(
        fields.Nested(PinSchema),
        validate=validate.Length(max=50),
        metadata={"description": "Stops whose arrival time the plan must keep"},
    )
    override = fields.Boolean(
        load_default=False,
        metadata={"description": "managers: replace the rep's own picks, leave-outs and pins instead of keeping them"},
    )
    start = fields.Nested(
        StartSchema,
        metadata={
            "description": "plan the rest of the day from here and now (the rep's position, or the end of the open "
            "visit; no position: from home at `at`): the stops already visited that day stay first, as they were, "
            "the rest is planned after them, and the 8:45 start does not apply"
        },
    )
    preview = fields.Boolean(
        load_default=False,
        metadata={"description": "answer the plan without storing it, with its `preview_token`"},
    )
    accept = fields.String(
        validate=validate.Length(min=1, max=20000),
        metadata={
            "description": "a preview's `preview_token`, sent with the preview's own request: store exactly the plan "
            "that preview showed (timed again, not solved again); 409 `preview_stale` when the day changed since "
            "(its stops, appointments or visits, or another plan stored) and nothing is stored; 422 when not a "
            "preview token of this rep's day"
        },
    )

    @validates_schema
    def _disjoint(self, data, **_):
        left_out = set(data.get("exclude", ()))
        clash = left_out & (set(data.get("include", ())) | {p["account_id"] for p in data.get("pins", ())})
        if clash:
            raise ValidationError(f"Both kept and left out: {sorted(map(str, clash))}", "exclude")

    @validates_schema
    def _preview_or_accept(self, data, **_):
        if data.get("preview") and data.get("accept"):
            raise ValidationError("A preview is answered, not accepted: send `accept` without `preview`.", "accept")
