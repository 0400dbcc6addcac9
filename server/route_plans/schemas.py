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


class RoutePlanSchema(RecordSchema):
    rep_id = fields.UUID()
    plan_date = fields.Date()
    status = fields.String()
    total_travel_s = fields.Integer()
    dropped = fields.List(fields.Dict())
    stops = fields.List(fields.Nested(RouteStopSchema))


class RoutePlanQuery(PageArgs):
    rep_id = fields.UUID()
    date = fields.Date()
