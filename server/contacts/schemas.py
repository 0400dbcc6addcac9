from marshmallow import fields, validate

from ..account_children import AccountChildQuery, AccountChildSchema
from ..models.vocab import PURCHASE_ROLES
from ..schemas import EMAIL, Pattern, required_text, text


class ContactSchema(AccountChildSchema):
    name = required_text(120)
    title = text(120)
    department = text(120)
    phone = text(40)
    # Empty clears it; anything else must be an address.
    email = fields.String(
        validate=[validate.Length(max=200), Pattern(EMAIL, error="Not an email address.")],
        metadata={"description": "an address, or empty to clear it"},
    )
    purchase_role = fields.String(validate=validate.OneOf(PURCHASE_ROLES), allow_none=True)
    notes = text(20000)


class ContactQuery(AccountChildQuery):
    purchase_role = fields.String(validate=validate.OneOf(PURCHASE_ROLES))
