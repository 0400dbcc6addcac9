from marshmallow import Schema, fields, validate

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


class RoutePlanSchema(RecordSchema):
    rep_id = fields.UUID()
    plan_date = fields.Date()
    status = fields.String()
    total_travel_s = fields.Integer()
    dropped = fields.List(fields.Dict())
    stops = fields.List(fields.Nested(RouteStopSchema))
    choices = fields.Dict(allow_none=True, metadata={"description": "the rep's picks, leave-outs and pins for the day"})
    changed_by = fields.UUID(allow_none=True)
    changed_by_name = fields.Function(lambda p: _changer_name(p), metadata={"type": "string"})
    changed_at = fields.AwareDateTime(allow_none=True)
    snapshot = fields.List(fields.String(), allow_none=True,
                           metadata={"description": "accounts planned at the day's first check-in"})


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
    changed_at = instant(allow_none=True, metadata={
        "description": "when the rep made the change on the phone: stops not yet visited are timed from then"})
