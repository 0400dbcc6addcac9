from marshmallow import fields, validate

from ..models.vocab import ACTIVITY_CATEGORIES
from ..schemas import PeriodArgs, RecordSchema, instant, text


class ActivitySchema(RecordSchema):
    rep_id = fields.UUID()
    category = fields.String(required=True, validate=validate.OneOf(ACTIVITY_CATEGORIES))
    started_at = instant(required=True)
    ended_at = instant(allow_none=True)
    visit_id = fields.UUID(allow_none=True)
    notes = text(5000)


class ActivityQuery(PeriodArgs):
    rep_id = fields.UUID()
    category = fields.String(validate=validate.OneOf(ACTIVITY_CATEGORIES))
