from marshmallow import fields

from ..schemas import PeriodArgs, RecordSchema, instant, text


class AppointmentSchema(RecordSchema):
    account_id = fields.UUID(required=True)
    rep_id = fields.UUID()
    starts_at = instant(required=True)
    ends_at = instant(required=True)
    purpose = text(500)
    notes = text(5000)


class AppointmentQuery(PeriodArgs):
    account_id = fields.UUID()
    rep_id = fields.UUID()
