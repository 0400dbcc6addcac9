from marshmallow import fields, validate

from ..account_children import AccountChildQuery, AccountChildSchema
from ..models.vocab import FUNNEL_STAGES, LOSS_REASONS, OPPORTUNITY_KINDS, OPPORTUNITY_STATUSES
from ..schemas import required_text, text


class OpportunitySchema(AccountChildSchema):
    title = required_text(200)
    kind = fields.String(validate=validate.OneOf(OPPORTUNITY_KINDS))
    stage = fields.String(validate=validate.OneOf(FUNNEL_STAGES))
    status = fields.String(validate=validate.OneOf(OPPORTUNITY_STATUSES))
    man_money = fields.Boolean(metadata={"description": "M: budget source and size known"})
    man_authority = fields.Boolean(metadata={"description": "A: decision maker and process known"})
    man_need = fields.Boolean(metadata={"description": "N: the need is clear"})
    amount = fields.Decimal(places=2, as_string=True, validate=validate.Range(min=0, max=10**11))
    expected_close = fields.Date(allow_none=True)
    loss_reason = fields.String(validate=validate.OneOf(LOSS_REASONS), allow_none=True)
    loss_note = text(2000)
    opened_at = fields.AwareDateTime(
        metadata={
            "description": "when the opportunity was opened (defaults to now), at most 24 h after the server's "
            "clock; the funnel counts it from this instant"
        }
    )
    device_id = fields.UUID(allow_none=True, metadata={"description": "the machine a replacement would replace"})
    owner_id = fields.UUID(dump_only=True)
    stage_changed_at = fields.AwareDateTime(dump_only=True)
    closed_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class OpportunityQuery(AccountChildQuery):
    stage = fields.String(validate=validate.OneOf(FUNNEL_STAGES))
    status = fields.String(validate=validate.OneOf(OPPORTUNITY_STATUSES))
