from marshmallow import Schema, fields, validate

from ..schemas import SPACE, Pattern, RecordSchema, StrictSchema, lang_field

PERIOD_RULE = (
    "A period covers at most 400 days and does not end before it starts; without `to` it ends today, so `from` "
    "alone lies within the last 400 days (422 otherwise)."
)


def report_table(*tables):
    return fields.String(
        load_default="rows",
        validate=validate.OneOf(tables),
        metadata={"description": "Which of the report's tables a CSV (`format=csv`) holds"},
    )


class ReportQuery(StrictSchema):
    team_id = fields.UUID(metadata={"description": "A team (managers: their own; default for managers)"})
    rep_id = fields.UUID(metadata={"description": "One rep (reps: themselves, the default)"})
    from_ = fields.Date(
        data_key="from",
        metadata={"description": "First day, local to the team (default: 1st of this month). " + PERIOD_RULE},
    )
    to = fields.Date(metadata={"description": "Last day, inclusive (default: today). " + PERIOD_RULE})
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(("json", "csv")),
        metadata={"description": "csv: the table `table` names as text/csv, a file to save"},
    )
    table = report_table("rows")
    lang = lang_field()


class WeeklyReportQuery(ReportQuery):
    """A report with a table by week beside its rows (time-ratios, coverage, hunting-farming)."""

    table = report_table("rows", "weeks")


class CadenceQuery(ReportQuery):
    table = report_table("rows", "overdue")


class FirstAppointmentQuery(ReportQuery):
    tolerance_min = fields.Integer(load_default=10, validate=validate.Range(min=0, max=120))


class ReportEntrySchema(Schema):
    name = fields.String(metadata={"description": "the report's name, as in its path"})
    summary = fields.String()
    path = fields.String()
    tables = fields.List(fields.String(), metadata={"description": "what its CSV's `table=` may ask for"})


class ReportListSchema(Schema):
    reports = fields.List(fields.Nested(ReportEntrySchema))


class TeamSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    timezone = fields.String()
    face_time_target_pct = fields.Float()


class TeamsSchema(Schema):
    teams = fields.List(fields.Nested(TeamSchema))


class TargetBody(StrictSchema):
    rep_id = fields.UUID(required=True)
    month = fields.String(
        required=True, validate=Pattern(r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$", error="Use YYYY-MM, 1900-2199.")
    )
    amount = fields.Decimal(
        required=True, places=2, as_string=False, validate=validate.Range(min=0, max=10**11), allow_nan=False
    )


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
    lang = lang_field()


class FocusPoint(StrictSchema):
    text = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=200),
            Pattern(rf"^[{SPACE}]*[^{SPACE}\x00][^\x00]*$", error="Write what to focus on."),
        ],
    )
    account_id = fields.UUID(allow_none=True, metadata={"description": "an account of the rep's to see"})


class WeeklyFocusBody(StrictSchema):
    rep_id = fields.UUID(metadata={"description": "Managers name the rep; a rep writes their own"})
    week = fields.Date(required=True, metadata={"description": "any day of the reviewed week"})
    focus = fields.List(
        fields.Nested(FocusPoint),
        required=True,
        validate=validate.Length(max=3),
        metadata={"description": "up to three focus points for the next week"},
    )
    version = fields.Integer(
        validate=validate.Range(min=0, max=2**31 - 1),
        metadata={"description": "the version read (0: none yet); a change made meanwhile answers 409"},
    )


class WeeklyReviewsSchema(Schema):
    reviews = fields.List(fields.Dict())


class WeeklyFocusSchema(RecordSchema):
    rep_id = fields.UUID()
    week = fields.Date()
    focus = fields.List(fields.Dict())
    written_by = fields.UUID(allow_none=True)
    written_at = fields.AwareDateTime(allow_none=True)


# A report's period as it answers it: "from" is a Python keyword, so the schema is made from a dict.
PeriodSchema = Schema.from_dict(
    {
        "from": fields.String(metadata={"description": "first local day, YYYY-MM-DD"}),
        "to": fields.String(metadata={"description": "last local day, inclusive, YYYY-MM-DD"}),
        "timezone": fields.String(),
        "team_id": fields.UUID(allow_none=True),
    },
    name="ReportPeriod",
)


class OverdueQuery(StrictSchema):
    team_id = fields.UUID(metadata={"description": "A team (managers: their own; default for managers)"})
    rep_id = fields.UUID(metadata={"description": "One rep's accounts only (reps: themselves, the default)"})
    from_ = fields.Date(data_key="from", metadata={"description": "First day of the period (its end decides)"})
    to = fields.Date(metadata={"description": "Last day: the list is as things stood at its end (default: today)"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class OverdueItemSchema(Schema):
    account_id = fields.UUID()
    name = fields.String()
    account_class = fields.String()
    rep_id = fields.UUID()
    rep_name = fields.String(allow_none=True)
    days_since_contact = fields.Integer(allow_none=True)
    last_contact_at = fields.String(allow_none=True)
    never_visited = fields.Boolean()
    cadence_days = fields.Integer()
    days_overdue = fields.Integer(
        allow_none=True, metadata={"description": "days past the cadence since the last contact (or creation)"}
    )


class OverduePageSchema(Schema):
    period = fields.Nested(PeriodSchema)
    as_of = fields.String()
    items = fields.List(fields.Nested(OverdueItemSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()
