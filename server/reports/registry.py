"""The one list of reports: each family's function with its summary, the schema of its answer and the tables
its CSV can hold. The API's routes, the CSV and the report list the PWA reads (`GET /api/reports`) come from
here; a report added here is served, documented and listed."""

from dataclasses import dataclass

from . import answers
from .activity import activity
from .cadence import cadence
from .coverage import coverage
from .firstvisit import first_appointment
from .funnel import funnel
from .hunting import hunting_farming
from .installed import installed_base
from .qualification import qualification
from .ratios import method_ratios
from .schemas import CadenceQuery, FirstAppointmentQuery, ReportQuery, WeeklyReportQuery
from .scorecard import scorecard
from .targets import targets
from .timeratios import time_ratios
from .winloss import win_loss


@dataclass(frozen=True)
class Report:
    name: str
    run: object  # (scope, **options) -> {"rows": [...], "team": {...}, ...extras}
    summary: str
    schema: type  # the answer's marshmallow schema (period, rows, team, extra)
    tables: tuple = ("rows",)  # what `table=` may ask of its CSV
    query: type = ReportQuery  # its query string, whose `table` lists the same tables (the OpenAPI document)

    def __call__(self, scope, **options):
        return self.run(scope, **options)


REPORTS = {
    r.name: r
    for r in (
        Report(
            "scorecard",
            scorecard,
            "Per rep at a glance: visits, face-to-face %, first visits on time, overdue A, pipeline, won/lost, "
            "each marked against its target or the method's rule",
            answers.ScorecardSchema,
        ),
        Report(
            "time-ratios",
            time_ratios,
            "Share of the working day face-to-face, travelling, admin, meetings, unrecorded",
            answers.TimeRatiosSchema,
            ("rows", "weeks"),
            query=WeeklyReportQuery,
        ),
        Report(
            "first-appointment",
            first_appointment,
            "Share of working days whose first visit started by 8:45",
            answers.FirstAppointmentSchema,
            query=FirstAppointmentQuery,
        ),
        Report(
            "activity",
            activity,
            "Visits per day, effective visits, visits with a purpose, plan vs actual",
            answers.ActivitySchema,
        ),
        Report(
            "funnel",
            funnel,
            "S-P-A-D-C-O counts, conversion, median days in stage, won/lost and why",
            answers.FunnelSchema,
        ),
        Report(
            "method-ratios",
            method_ratios,
            "Calls to meetings to prospects, visits to demos to orders, contacts to deals, against the method",
            answers.MethodRatiosSchema,
        ),
        Report(
            "cadence",
            cadence,
            "A/B/C accounts past their team's cadence (7/14/30 days by the method), with the list",
            answers.CadenceSchema,
            ("rows", "overdue"),
            query=CadenceQuery,
        ),
        Report(
            "coverage",
            coverage,
            "New accounts seen in their first 90 days, and A/B/C accounts visited within cadence, by week",
            answers.CoverageSchema,
            ("rows", "weeks"),
            query=WeeklyReportQuery,
        ),
        Report(
            "qualification",
            qualification,
            "Prospects undecided after 3 visits, closes beyond 180 days, C-stage deals over 30 days",
            answers.QualificationSchema,
        ),
        Report(
            "win-loss",
            win_loss,
            "Deals closed in the period, won and lost by stage reached, visits, M-A-N, class and reason",
            answers.WinLossSchema,
        ),
        Report(
            "hunting-farming",
            hunting_farming,
            "Visits working D/C opportunities (hunting: short-term orders) against development visits (farming), "
            "by week",
            answers.HuntingFarmingSchema,
            ("rows", "weeks"),
            query=WeeklyReportQuery,
        ),
        Report(
            "installed-base",
            installed_base,
            "MIF matrix: monthly volume band x machine age, ours and competitors'",
            answers.InstalledBaseSchema,
        ),
        Report(
            "targets",
            targets,
            "Monthly target per rep by week and working day, against orders won",
            answers.TargetsSchema,
        ),
    )
}
