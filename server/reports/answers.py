"""The typed answer of each report (`period`, `rows`, `team`, `extra`), so the OpenAPI document says every
field and Schemathesis checks each answer's shape. A field missing here is not served: marshmallow dumps
only what a schema declares (tests/reports/test_answers.py holds every report's answer to its schema)."""

from marshmallow import Schema, fields, validate

from ..fastpaths import PlainList
from ..models.vocab import ACCOUNT_CLASSES, FUNNEL_STAGES
from .schemas import OverdueItemSchema, PeriodSchema
from .timesplit import CATEGORIES

PCT = {"allow_none": True, "metadata": {"description": "percent to one decimal; null when there is no whole"}}


def _answer(name, row, team, extra):
    """A report's answer schema: its period, one row per rep (or cell), the team's figures and its extras."""
    return Schema.from_dict(
        {
            "period": fields.Nested(PeriodSchema),
            "rows": PlainList(fields.Nested(row)),
            "team": fields.Nested(team, allow_none=True),
            "extra": fields.Nested(extra),
        },
        name=name,
    )


def _with_rep(name, figures):
    """A rep's row: who, then the figures the team's row has too."""
    return Schema.from_dict(
        {
            "rep_id": fields.UUID(),
            "username": fields.String(),
            "name": fields.String(allow_none=True),
            **figures,
        },
        name=name,
    )


def _stages(name, field):
    return Schema.from_dict({s: field() for s in FUNNEL_STAGES}, name=name)


def _keyed(values, description):
    return fields.Dict(keys=fields.String(), values=values, metadata={"description": description})


class NoExtraSchema(Schema):
    pass


# -- time split -------------------------------------------------------------------------------------------
_SPLIT = {
    **{f"{k}_min": fields.Float() for k in (*CATEGORIES, "unrecorded", "span")},
    **{f"{k}_pct": fields.Float(**PCT) for k in (*CATEGORIES, "unrecorded")},
}
_TIME_TEAM = {
    "working_days": fields.Integer(),
    **_SPLIT,
    "open_visits": fields.Integer(metadata={"description": "visits still checked in (no check-out)"}),
    "open_activities": fields.Integer(),
    "joint_visits": fields.Integer(metadata={"description": "visits a manager went along on (陪访)"}),
    "joint_min": fields.Float(),
}
TimeTeamSchema = Schema.from_dict(_TIME_TEAM, name="TimeRatiosTeam")
TimeRowSchema = _with_rep("TimeRatiosRow", {**_TIME_TEAM, "meets_target": fields.Boolean()})
TimeWeekSchema = Schema.from_dict({"week_start": fields.String(), **_SPLIT}, name="TimeRatiosWeek")
TimeManagerSchema = Schema.from_dict(
    {
        "user_id": fields.UUID(),
        "name": fields.String(allow_none=True),
        "joint_visits": fields.Integer(),
        "working_days": fields.Integer(),
        **_SPLIT,
    },
    name="TimeRatiosManager",
)


class TimeExtraSchema(Schema):
    baseline_pct = _keyed(fields.Float(), "the method's time study, by category")
    face_time_target_pct = fields.Float()
    weeks = PlainList(fields.Nested(TimeWeekSchema))
    face_time_target_set_by_name = fields.String(allow_none=True)
    face_time_target_set_at = fields.String(allow_none=True)
    managers = PlainList(fields.Nested(TimeManagerSchema))


TimeRatiosSchema = _answer("TimeRatiosAnswer", TimeRowSchema, TimeTeamSchema, TimeExtraSchema)

# -- first appointment (8:45) -----------------------------------------------------------------------------
_FIRST_TEAM = {
    "working_days": fields.Integer(),
    "on_time_days": fields.Integer(),
    "on_time_pct": fields.Float(**PCT),
    "median_first_visit": fields.String(allow_none=True, metadata={"description": "HH:MM, local"}),
}
FirstTeamSchema = Schema.from_dict(
    {
        **_FIRST_TEAM,
        "first_appointment_time": fields.String(
            allow_none=True, metadata={"description": "HH:MM, the reps' when they all have one time, else null"}
        ),
    },
    name="FirstAppointmentTeam",
)
FirstRowSchema = _with_rep(
    "FirstAppointmentRow",
    {
        **_FIRST_TEAM,
        "first_appointment_time": fields.String(metadata={"description": "HH:MM, the rep's (8:45 by default)"}),
        "tolerance_min": fields.Integer(),
        "days_with_visit": fields.Integer(),
    },
)
FirstVisitSchema = Schema.from_dict(
    {"date": fields.String(), "at": fields.String(metadata={"description": "HH:MM, local"})},
    name="FirstVisit",
)


class FirstExtraSchema(Schema):
    first_visits = fields.Dict(
        keys=fields.String(),
        values=PlainList(fields.Nested(FirstVisitSchema)),
        metadata={"description": "per rep id: each working day's first check-in, local time"},
    )


FirstAppointmentSchema = _answer("FirstAppointmentAnswer", FirstRowSchema, FirstTeamSchema, FirstExtraSchema)

# -- activity ---------------------------------------------------------------------------------------------
_ACTIVITY = {
    "working_days": fields.Integer(),
    "visits": fields.Integer(),
    "face_to_face_visits": fields.Integer(),
    "not_met": fields.Integer(),
    "away_from_account": fields.Integer(),
    "with_purpose": fields.Integer(),
    "visits_per_day": fields.Float(allow_none=True),
    "planned": fields.Integer(),
    "planned_due": fields.Integer(),
    "planned_done": fields.Integer(),
    "plan_done_pct": fields.Float(**PCT),
}
ActivitySchema = _answer(
    "ActivityAnswer",
    _with_rep("ActivityRow", _ACTIVITY),
    Schema.from_dict(_ACTIVITY, name="ActivityTeam"),
    NoExtraSchema,
)

# -- funnel -----------------------------------------------------------------------------------------------
_FUNNEL = {
    "open_by_stage": fields.Nested(_stages("FunnelOpen", fields.Integer)),
    "reached": fields.Nested(_stages("FunnelReached", fields.Integer)),
    "conversion_pct": _keyed(fields.Float(allow_none=True), "stage to next stage, 'S>P' … 'C>O', of those reached"),
    "median_days_in_stage": _keyed(fields.Float(allow_none=True), "per stage S … C: median days before moving on"),
    "won": fields.Integer(),
    "lost": fields.Integer(),
    "won_amount": fields.Float(),
    "win_rate_pct": fields.Float(**PCT),
    "loss_reasons": _keyed(fields.Integer(), "deals lost in the period, by reason code"),
}


class FunnelExtraSchema(Schema):
    stages = fields.List(fields.String())
    as_of = fields.String()


FunnelSchema = _answer(
    "FunnelAnswer",
    _with_rep("FunnelRow", _FUNNEL),
    Schema.from_dict(_FUNNEL, name="FunnelTeam"),
    FunnelExtraSchema,
)

# -- method ratios ----------------------------------------------------------------------------------------
_STEPS = ("calls", "meetings", "prospects", "met_visits", "demos", "orders")
_STEPS += ("contacted", "conversations", "proposals", "deals")
_PAIRS = (
    "calls_to_meetings",
    "meetings_to_prospects",
    "met_visits_to_demos",
    "demos_to_orders",
    "contacted_to_conversations",
    "conversations_to_proposals",
    "proposals_to_deals",
)
_RATIOS = {
    **{s: fields.Integer() for s in _STEPS},
    **{f"{p}_pct": fields.Float(**PCT) for p in _PAIRS},
}


class MethodExtraSchema(Schema):
    method = _keyed(fields.Float(), "the method's ratio for each step, in percent")
    chains = _keyed(fields.List(fields.String()), "each chain's steps in order")


MethodRatiosSchema = _answer(
    "MethodRatiosAnswer",
    _with_rep("MethodRatiosRow", _RATIOS),
    Schema.from_dict(_RATIOS, name="MethodRatiosTeam"),
    MethodExtraSchema,
)

# -- cadence ----------------------------------------------------------------------------------------------
_CADENCE = {
    **{f"{c}_{k}": fields.Integer() for c in ACCOUNT_CLASSES for k in ("total", "overdue")},
    "overdue": fields.Integer(),
}


class CadenceExtraSchema(Schema):
    as_of = fields.String()
    overdue_accounts = PlainList(fields.Nested(OverdueItemSchema))


CadenceSchema = _answer(
    "CadenceAnswer",
    _with_rep("CadenceRow", _CADENCE),
    Schema.from_dict(_CADENCE, name="CadenceTeam"),
    CadenceExtraSchema,
)

# -- coverage ---------------------------------------------------------------------------------------------
_COVERAGE = {
    "new_accounts": fields.Integer(),
    "new_visited": fields.Integer(),
    "new_coverage_pct": fields.Float(**PCT),
}
CoverageWeekSchema = Schema.from_dict(
    {
        "week_start": fields.String(),
        **{f"{c}_{k}": fields.Integer() for c in ACCOUNT_CLASSES for k in ("accounts", "covered")},
        **{f"{c}_pct": fields.Float(**PCT) for c in ACCOUNT_CLASSES},
    },
    name="CoverageWeek",
)
UnvisitedSchema = Schema.from_dict(
    {
        "account_id": fields.UUID(),
        "name": fields.String(),
        "account_class": fields.String(),
        "rep_name": fields.String(allow_none=True),
        "taken_on": fields.String(),
    },
    name="CoverageUnvisited",
)


class CoverageExtraSchema(Schema):
    weeks = PlainList(fields.Nested(CoverageWeekSchema))
    unvisited_new = PlainList(fields.Nested(UnvisitedSchema))
    first_quarter_days = fields.Integer()


CoverageSchema = _answer(
    "CoverageAnswer",
    _with_rep("CoverageRow", _COVERAGE),
    Schema.from_dict(_COVERAGE, name="CoverageTeam"),
    CoverageExtraSchema,
)

# -- qualification ----------------------------------------------------------------------------------------
_QUALIFICATION = {k: fields.Integer() for k in ("undecided", "beyond_horizon", "stale_at_c")}
_FOUND = {
    "account_id": fields.UUID(),
    "name": fields.String(),
    "rep_id": fields.UUID(),
    "rep_name": fields.String(allow_none=True),
}
UndecidedSchema = Schema.from_dict({**_FOUND, "visits": fields.Integer()}, name="QualificationUndecided")
BeyondSchema = Schema.from_dict(
    {
        **_FOUND,
        "opportunity_id": fields.UUID(),
        "title": fields.String(),
        "stage": fields.String(),
        "expected_close": fields.String(),
    },
    name="QualificationBeyondHorizon",
)
StaleSchema = Schema.from_dict(
    {**_FOUND, "opportunity_id": fields.UUID(), "title": fields.String(), "days_at_c": fields.Integer()},
    name="QualificationStaleAtC",
)


class QualificationExtraSchema(Schema):
    as_of = fields.String()
    rules = _keyed(fields.Integer(), "judge_within_visits, horizon_days, c_stage_days")
    undecided_list = PlainList(fields.Nested(UndecidedSchema))
    beyond_horizon_list = PlainList(fields.Nested(BeyondSchema))
    stale_at_c_list = PlainList(fields.Nested(StaleSchema))


QualificationSchema = _answer(
    "QualificationAnswer",
    _with_rep("QualificationRow", _QUALIFICATION),
    Schema.from_dict(_QUALIFICATION, name="QualificationTeam"),
    QualificationExtraSchema,
)

# -- win/loss ---------------------------------------------------------------------------------------------
_WINLOSS = {"won": fields.Integer(), "lost": fields.Integer(), "win_pct": fields.Float(**PCT)}
WinLossCutSchema = Schema.from_dict({"key": fields.String(), **_WINLOSS}, name="WinLossCut")
LossReasonSchema = Schema.from_dict({"reason": fields.String(), "lost": fields.Integer()}, name="LossReason")


class WinLossExtraSchema(Schema):
    by_stage = PlainList(fields.Nested(WinLossCutSchema))
    by_visits = PlainList(fields.Nested(WinLossCutSchema))
    by_man = PlainList(fields.Nested(WinLossCutSchema))
    by_class = PlainList(fields.Nested(WinLossCutSchema))
    loss_reasons = PlainList(fields.Nested(LossReasonSchema))


WinLossSchema = _answer(
    "WinLossAnswer",
    _with_rep("WinLossRow", _WINLOSS),
    Schema.from_dict(_WINLOSS, name="WinLossTeam"),
    WinLossExtraSchema,
)

# -- hunting and farming ----------------------------------------------------------------------------------
_HUNTING = {
    "visits": fields.Integer(),
    "farming": fields.Integer(),
    "hunting": fields.Integer(),
    "farming_pct": fields.Float(**PCT),
}
HuntingWeekSchema = Schema.from_dict(
    {"week_start": fields.String(), "farming": fields.Integer(), "hunting": fields.Integer()}, name="HuntingWeek"
)


class HuntingExtraSchema(Schema):
    weeks = PlainList(fields.Nested(HuntingWeekSchema))
    hunting_stages = fields.List(fields.String())


HuntingFarmingSchema = _answer(
    "HuntingFarmingAnswer",
    _with_rep("HuntingFarmingRow", _HUNTING),
    Schema.from_dict(_HUNTING, name="HuntingFarmingTeam"),
    HuntingExtraSchema,
)

# -- installed base (MIF) ---------------------------------------------------------------------------------
MifCellSchema = Schema.from_dict(
    {
        "ownership": fields.String(validate=validate.OneOf(("ours", "competitor"))),
        "volume_band": fields.String(),
        "age_band": fields.String(),
        "devices": fields.Integer(),
        "accounts": fields.Integer(),
        "account_ids": fields.List(fields.UUID()),
        "account_names": fields.List(fields.String()),
        "replacement_opportunity": fields.Boolean(),
    },
    name="InstalledBaseCell",
)


class InstalledExtraSchema(Schema):
    volume_bands = fields.List(fields.String())
    age_bands = fields.List(fields.String())
    as_of = fields.String()


InstalledBaseSchema = _answer(
    "InstalledBaseAnswer",
    MifCellSchema,
    Schema.from_dict({"devices": fields.Integer()}, name="InstalledBaseTeam"),
    InstalledExtraSchema,
)

# -- targets ----------------------------------------------------------------------------------------------
TargetWeekSchema = Schema.from_dict(
    {
        "week_start": fields.String(),
        "working_days": fields.Integer(),
        "target": fields.Float(allow_none=True),
        "won": fields.Float(),
    },
    name="TargetWeek",
)
TargetRowSchema = _with_rep(
    "TargetsRow",
    {
        "month": fields.String(metadata={"description": "YYYY-MM"}),
        "target": fields.Float(allow_none=True),
        "working_days": fields.Integer(),
        "target_per_day": fields.Float(allow_none=True),
        "won": fields.Float(),
        "attainment_pct": fields.Float(**PCT),
        "set_by_name": fields.String(allow_none=True),
        "set_at": fields.String(allow_none=True),
        "weeks": PlainList(fields.Nested(TargetWeekSchema)),
    },
)
TargetsSchema = _answer(
    "TargetsAnswer",
    TargetRowSchema,
    Schema.from_dict({"target": fields.Float(allow_none=True), "won": fields.Float()}, name="TargetsTeam"),
    NoExtraSchema,
)

# -- scorecard --------------------------------------------------------------------------------------------
MARK = validate.OneOf(("good", "warn", "bad"))


class ScorecardMarksSchema(Schema):
    """Each figure against its target or the method's rule: good, warn, bad, or null (nothing to judge by)."""

    visits = fields.String(allow_none=True, validate=MARK)
    face_to_face = fields.String(allow_none=True, validate=MARK)
    on_time = fields.String(allow_none=True, validate=MARK)
    overdue_a = fields.String(allow_none=True, validate=MARK)
    pipeline = fields.String(allow_none=True, validate=MARK)
    won = fields.String(allow_none=True, validate=MARK)


class StageValuesSchema(Schema):
    S = fields.Float()
    P = fields.Float()
    A = fields.Float()
    D = fields.Float()
    C = fields.Float()
    O = fields.Float()


class ScorecardFiguresSchema(Schema):
    visits = fields.Integer(metadata={"description": "face-to-face visits: the customer met, checked out"})
    visits_all = fields.Integer(metadata={"description": "every check-in of the period, not met included"})
    not_met = fields.Integer()
    visits_target = fields.Integer(
        allow_none=True, metadata={"description": "the visits the A/B/C cadence asks for in the period"}
    )
    face_to_face_pct = fields.Float(allow_none=True)
    working_days = fields.Integer()
    on_time_days = fields.Integer(metadata={"description": "working days whose first visit started by 8:45 (+10)"})
    on_time_pct = fields.Float(allow_none=True)
    a_accounts = fields.Integer()
    a_overdue = fields.Integer(metadata={"description": "A accounts past their cadence at the period's end"})
    pipeline = fields.Nested(StageValuesSchema, metadata={"description": "open value by stage at the period's end"})
    pipeline_total = fields.Float()
    won = fields.Integer()
    lost = fields.Integer()
    won_amount = fields.Float()
    target = fields.Float(allow_none=True, metadata={"description": "the sales target of the period's working days"})
    attainment_pct = fields.Float(allow_none=True)
    marks = fields.Nested(ScorecardMarksSchema)


class ScorecardRowSchema(ScorecardFiguresSchema):
    rep_id = fields.UUID()
    username = fields.String()
    name = fields.String()
    first_appointment_time = fields.String(metadata={"description": "HH:MM, the rep's (8:45 by default)"})


class ScorecardRulesSchema(Schema):
    visits = fields.Dict(keys=fields.String(), values=fields.Float())
    on_time = fields.Dict(keys=fields.String(), values=fields.Float())
    overdue_a = fields.Dict(keys=fields.String(), values=fields.Float())
    won = fields.Dict(keys=fields.String(), values=fields.Float())
    pipeline = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    face_to_face = fields.Dict(keys=fields.String(), values=fields.Float())
    cadence_days = fields.Dict(keys=fields.String(), values=fields.Integer())


class ScorecardExtraSchema(Schema):
    as_of = fields.String()
    stages = fields.List(fields.String())
    rules = fields.Nested(ScorecardRulesSchema)


ScorecardSchema = _answer("ScorecardAnswer", ScorecardRowSchema, ScorecardFiguresSchema, ScorecardExtraSchema)
