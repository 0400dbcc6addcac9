from marshmallow import Schema, fields, validate

from ..schemas import RecordSchema, StrictSchema


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


class TeamSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    timezone = fields.String()
    face_time_target_pct = fields.Float()


class TeamsSchema(Schema):
    teams = fields.List(fields.Nested(TeamSchema))


class TargetBody(StrictSchema):
    rep_id = fields.UUID(required=True)
    month = fields.String(required=True, validate=validate.Regexp(r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$", error="Use YYYY-MM, 1900-2199."))
    amount = fields.Decimal(required=True, places=2, as_string=False,
                            validate=validate.Range(min=0, max=10**11), allow_nan=False)


class TargetSchema(Schema):
    rep_id = fields.UUID()
    month = fields.Function(lambda t: t.month.strftime("%Y-%m"))
    amount = fields.Float()
    set_by = fields.UUID(allow_none=True)
    set_at = fields.AwareDateTime(allow_none=True)


class FaceTimeTargetBody(StrictSchema):
    team_id = fields.UUID(required=True)
    face_time_target_pct = fields.Float(required=True, validate=validate.Range(min=0, max=100), allow_nan=False)


class DailyQuery(StrictSchema):
    rep_id = fields.UUID(metadata={"description": "The rep (reps: themselves, the default)"})
    team_id = fields.UUID(metadata={"description": "Managers: every rep of the team for that date"})
    date = fields.Date(required=True)


class DailyReportSchema(Schema):
    reports = fields.List(fields.Dict())


class ReviewBody(StrictSchema):
    date = fields.Date(required=True)
    went_well = fields.String(required=True, validate=validate.Length(max=5000))
    to_improve = fields.String(required=True, validate=validate.Length(max=5000))


class CommentBody(StrictSchema):
    rep_id = fields.UUID(required=True)
    date = fields.Date(required=True)
    comment = fields.String(required=True, validate=validate.Length(max=5000))


class ReviewSchema(Schema):
    rep_id = fields.UUID()
    day = fields.Date(data_key="date")
    went_well = fields.String()
    to_improve = fields.String()
    manager_comment = fields.String()


class WeeklyQuery(StrictSchema):
    rep_id = fields.UUID(metadata={"description": "The rep (reps: themselves, the default)"})
    team_id = fields.UUID(metadata={"description": "Managers: every rep of the team"})
    week = fields.Date(required=True, metadata={"description": "any day of the week; weeks start on Monday"})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class FocusPoint(StrictSchema):
    text = fields.String(required=True, validate=[validate.Length(min=1, max=200),
                                                  validate.Regexp(r"^\s*\S", error="Write what to focus on.")])
    account_id = fields.UUID(allow_none=True, metadata={"description": "an account of the rep's to see"})


class WeeklyFocusBody(StrictSchema):
    rep_id = fields.UUID(metadata={"description": "Managers name the rep; a rep writes their own"})
    week = fields.Date(required=True, metadata={"description": "any day of the reviewed week"})
    focus = fields.List(fields.Nested(FocusPoint), required=True, validate=validate.Length(max=3),
                        metadata={"description": "up to three focus points for the next week"})
    version = fields.Integer(validate=validate.Range(min=0, max=2**31 - 1), metadata={
        "description": "the version read (0: none yet); a change made meanwhile answers 409"})


class WeeklyReviewsSchema(Schema):
    reviews = fields.List(fields.Dict())


class WeeklyFocusSchema(RecordSchema):
    rep_id = fields.UUID()
    week = fields.Date()
    focus = fields.List(fields.Dict())
    written_by = fields.UUID(allow_none=True)
    written_at = fields.AwareDateTime(allow_none=True)
