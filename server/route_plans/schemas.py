from marshmallow import Schema, fields

from ..schemas import PageArgs, RecordSchema


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
