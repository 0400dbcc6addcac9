from marshmallow import fields, validate

from ..account_children import AccountChildQuery, AccountChildSchema
from ..models.vocab import DEVICE_COLOUR, DEVICE_OWNERSHIP
from ..schemas import required_text, text


class DeviceSchema(AccountChildSchema):
    ownership = fields.String(required=True, validate=validate.OneOf(DEVICE_OWNERSHIP))
    brand = required_text(80)
    model = text(80)
    colour = fields.String(validate=validate.OneOf(DEVICE_COLOUR))
    installed_on = fields.Date(
        allow_none=True, metadata={"description": "not after today (the latest date anywhere on Earth now)"}
    )
    monthly_volume = fields.Integer(
        validate=validate.Range(min=0, max=10_000_000), metadata={"description": "Pages per month (CV/PV)"}
    )
    notes = text(20000)


class DeviceQuery(AccountChildQuery):
    ownership = fields.String(validate=validate.OneOf(DEVICE_OWNERSHIP))
