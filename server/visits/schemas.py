from marshmallow import fields, validate

from ..schemas import PeriodArgs, RecordSchema, instant, latitude, longitude, required_text, text

accuracy = {"validate": validate.Range(min=0, max=100_000), "allow_none": True}


class VisitSchema(RecordSchema):
    account_id = fields.UUID(required=True)
    rep_id = fields.UUID()
    opportunity_id = fields.UUID(allow_none=True)
    planned_start = instant(allow_none=True)
    purpose = required_text(500, metadata={"description": "拜访目的: set before check-in"})
    check_in_at = instant(allow_none=True)
    check_in_lat = latitude()
    check_in_lng = longitude()
    check_in_accuracy_m = fields.Float(**accuracy)
    check_in_distance_m = fields.Float(
        dump_only=True, allow_none=True, metadata={"description": "metres from the account's position at check-in"}
    )
    check_out_at = instant(allow_none=True)
    check_out_lat = latitude()
    check_out_lng = longitude()
    check_out_accuracy_m = fields.Float(**accuracy)
    outcome = text(5000)
    notes = text(20000)
    next_step = text(2000)
    next_step_due = fields.Date(
        allow_none=True,
        metadata={
            "description": "when the next step is due (YYYY-MM-DD, not before the visit's day): the rep is reminded "
            "that morning (notice follow_up_due); null: no date"
        },
    )
    met = fields.Boolean(metadata={"description": "false: the customer was not met (absent), an unsuccessful call"})
    cancelled_at = instant(
        allow_none=True, metadata={"description": "set with cancel_reason to cancel a visit recorded by mistake"}
    )
    cancel_reason = text(500)
    accompanied_by = fields.UUID(
        allow_none=True,
        metadata={
            "description": "a joint visit (陪访): the manager of the rep's team who went along (the rep names them; "
            "null: the rep alone)"
        },
    )


class VisitQuery(PeriodArgs):
    account_id = fields.UUID()
    rep_id = fields.UUID()
    open = fields.Boolean(metadata={"description": "Checked in but not yet checked out"})
