from marshmallow import fields, validate

from ..models.vocab import ACCOUNT_CLASSES, EMPLOYEE_BANDS, ORG_TYPES
from ..schemas import PageArgs, RecordSchema, latitude, longitude, required_text, text


def _value(record, name):
    # Accounts are dumped from models and, in sync conflicts, from plain dicts.
    return record.get(name) if isinstance(record, dict) else getattr(record, name, None)


class AccountSchema(RecordSchema):
    name = required_text(200)
    address = text(400)
    latitude = latitude()
    longitude = longitude()
    region = text(80)
    industry = text(80)
    employee_band = fields.String(validate=validate.OneOf(EMPLOYEE_BANDS), allow_none=True)
    org_type = fields.String(validate=validate.OneOf(ORG_TYPES))
    account_class = fields.String(validate=validate.OneOf(ACCOUNT_CLASSES))
    owner_id = fields.UUID(allow_none=True)
    last_year_sales = fields.Decimal(places=2, as_string=True, validate=validate.Range(min=0, max=10**11))
    notes = text(20000)
    external_key = text(120, allow_none=True)
    last_contact_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    name_pinyin = fields.String(
        dump_only=True, metadata={"description": "the name in pinyin without tones (derived by the server)"}
    )
    name_initials = fields.String(
        dump_only=True, metadata={"description": "the initials of the name's pinyin (derived by the server)"}
    )
    cadence_days = fields.Integer(dump_only=True)
    days_since_contact = fields.Integer(dump_only=True, allow_none=True)
    overdue = fields.Boolean(dump_only=True)
    plannable = fields.Function(
        lambda a: _value(a, "latitude") is not None and _value(a, "longitude") is not None,
        dump_only=True,
        metadata={"type": "boolean", "description": "Has a map position, so the route planner can use it"},
    )


class AccountQuery(PageArgs):
    q = text(200, metadata={"description": "Search in name and address"})
    account_class = fields.String(data_key="class", validate=validate.OneOf(ACCOUNT_CLASSES))
    region = text(80)
    owner_id = fields.UUID()
    overdue = fields.Boolean(metadata={"description": "Only accounts past their A/B/C cadence"})
