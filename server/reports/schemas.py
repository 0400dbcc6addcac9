from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..schemas import StrictSchema


class ReportQuery(StrictSchema):
    team_id = fields.UUID(metadata={"description": "A team (managers: their own; default for managers)"})
    rep_id = fields.UUID(metadata={"description": "One rep (reps: themselves, the default)"})
    from_ = fields.Date(data_key="from", metadata={"description": "First day, local to the team (default: 1st of this month)"})
    to = fields.Date(metadata={"description": "Last day, inclusive (default: today)"})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))
    table = fields.String(load_default="rows", validate=validate.OneOf(("rows", "weeks", "overdue")),
                          metadata={"description": "Which table a CSV holds: rows, weeks (time-ratios), overdue (cadence)"})


class FirstAppointmentQuery(ReportQuery):
    tolerance_min = fields.Integer(load_default=10, validate=validate.Range(min=0, max=120))


class ReportSchema(Schema):
    period = fields.Dict()
    rows = fields.List(fields.Dict())
    team = fields.Dict(allow_none=True)
    extra = fields.Dict()


class TargetBody(StrictSchema):
    rep_id = fields.UUID(required=True)
    month = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="Use YYYY-MM."))
    amount = fields.Decimal(required=True, places=2, as_string=False,
                            validate=validate.Range(min=0, max=10**11), allow_nan=False)


class TargetSchema(Schema):
    rep_id = fields.UUID()
    month = fields.Function(lambda t: t.month.strftime("%Y-%m"))
    amount = fields.Float()


class FaceTimeTargetBody(StrictSchema):
    team_id = fields.UUID(required=True)
    face_time_target_pct = fields.Float(required=True, validate=validate.Range(min=0, max=100), allow_nan=False)

    @validates_schema
    def _finite(self, data, **_):
        if data.get("face_time_target_pct") in (float("inf"), float("-inf")):
            raise ValidationError("Must be a number.", "face_time_target_pct")
