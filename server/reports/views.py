"""`/api/reports/*`: JSON by default, CSV with `format=csv`; reps see themselves, managers their team."""

from datetime import date, datetime, timedelta

from flask.views import MethodView

from ..csvio import csv_response, csv_too
from ..errors import Forbidden, ValidationFailed
from ..policy import managed_rep, managed_team, self_or_managed_rep
from ..security import login_required, principal
from ..words import language, word
from . import blp
from .asof import own_times_then
from .cadence import overdue_accounts
from .daily import daily_report, save_review
from .firstvisit import OWN_TIMES
from .reads import period_end
from .registry import REPORTS
from .schemas import (
    CommentBody,
    DailyQuery,
    DailyReportSchema,
    FaceTimeTargetBody,
    OverduePageSchema,
    OverdueQuery,
    ReportListSchema,
    ReviewBody,
    ReviewSchema,
    TargetBody,
    TargetSchema,
    TeamsSchema,
    WeeklyFocusBody,
    WeeklyFocusSchema,
    WeeklyQuery,
    WeeklyReviewsSchema,
)
from .scope import Scope, report_teams, resolve_scope
from .targets import set_face_time_target, set_target
from .weekly import save_focus, week_start, weekly_reviews

# A report CSV's columns that hold a code (column, or prefix ending in "_", -> vocabulary): in words of the
# chosen language, the code beside them in `<column>_code`.
CODED_COLUMNS = {"ownership": "ownership", "marks_": "mark"}


def _vocab_of(column):
    return CODED_COLUMNS.get(column) or next(
        (v for k, v in CODED_COLUMNS.items() if k.endswith("_") and column.startswith(k)), None
    )


def _local(value, tz):
    """An instant's text (ISO 8601 with its offset) in the team's time zone; anything else as it is."""
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) and "T" in value else None
    except ValueError:
        return value
    return at.astimezone(tz).isoformat() if at is not None and at.tzinfo is not None else value


def in_words(flat, lang, tz):
    """(columns, rows) of a report's flat rows for a CSV: each coded cell in words of `lang` with its code
    beside it, each instant (`…_at`) in the team's time zone `tz`, as the exports write them."""
    columns = list(dict.fromkeys(k for r in flat for k in r)) or ["empty"]
    coded = {c: v for c in columns if (v := _vocab_of(c))}
    for row in flat:
        for column in [c for c in row if c.endswith("_at")]:
            row[column] = _local(row[column], tz)
        for column, vocab in coded.items():
            row[f"{column}_code"] = row.get(column)
            row[column] = word(vocab, row.get(column), lang)
    return [*columns, *(f"{c}_code" for c in coded)], flat


def _flatten(row, prefix=""):
    flat = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}_"))
        elif isinstance(value, list):
            if value and isinstance(value[0], dict):
                continue  # nested tables (weeks) have their own CSV
            flat[name] = " ".join(map(str, value))
        else:
            flat[name] = value
    return flat


def _period(scope):
    return {
        "from": scope.start.isoformat(),
        "to": scope.end.isoformat(),
        "timezone": str(scope.tz),
        "team_id": str(scope.team.id) if scope.team else None,
    }


def _run(report, args, **options):
    scope = resolve_scope(principal(), args.get("team_id"), args.get("rep_id"), args.get("from_"), args.get("to"))
    result = report(scope, **options)
    rows = result.pop("rows")
    team = result.pop("team", None)
    period = _period(scope)
    if args["format"] == "csv":
        table = args["table"]
        if table not in report.tables:
            raise ValidationFailed(
                f"This report has no {table} table.", {"table": [f"Not for this report: {', '.join(report.tables)}."]}
            )
        if table == "weeks":
            flat = [_flatten(w) for w in result["weeks"]]
        elif table == "overdue":
            flat = [_flatten(o) for o in result["overdue_accounts"]]
        else:
            flat = [_flatten(r) for r in rows]
            if team is not None and len(rows) > 1 and report.name != "installed-base":
                flat.append(_flatten({"username": "TEAM", **team}))
        columns, flat = in_words(flat, language(args.get("lang")), scope.tz)
        return csv_response(columns, flat, f"{report.name}-{scope.start}-{scope.end}.csv")
    return {"period": period, "rows": rows, "team": team, "extra": result}


def _route(report):
    class Report(MethodView):
        decorators = [login_required()]

        @blp.arguments(report.query, location="query")
        @blp.response(200, report.schema)
        @blp.doc(**csv_too(report.schema))
        def get(self, args):
            options = {"tolerance_min": args["tolerance_min"]} if "tolerance_min" in args else {}
            return _run(report, args, **options)

    Report.get.__doc__ = report.summary  # the OpenAPI summary; set before the route reads it
    return blp.route(f"/{report.name}", endpoint=report.name.replace("-", "_"))(Report)


for _report in REPORTS.values():
    _route(_report)


@blp.route("", endpoint="report_list")
class ReportList(MethodView):
    decorators = [login_required()]

    @blp.response(200, ReportListSchema)
    def get(self):
        """The reports there are, in the order a screen shows them: name, summary, the tables of their CSV"""
        return {
            "reports": [
                {"name": r.name, "summary": r.summary, "path": f"/api/reports/{r.name}", "tables": list(r.tables)}
                for r in REPORTS.values()
            ]
        }


@blp.route("/overdue")
class Overdue(MethodView):
    decorators = [login_required()]

    @blp.arguments(OverdueQuery, location="query")
    @blp.response(200, OverduePageSchema)
    def get(self, args):
        """Accounts past their A/B/C cadence at the period's end, most days past the cadence first, a page at a
        time (managers: their team, or one rep of it with rep_id)"""
        scope = resolve_scope(principal(), args.get("team_id"), args.get("rep_id"), args.get("from_"), args.get("to"))
        page, per_page = args["page"], args["per_page"]
        items, total = overdue_accounts(scope, (page - 1) * per_page, page * per_page)
        return {
            "period": _period(scope),
            "as_of": period_end(scope).isoformat(),
            "items": items,
            "page": page,
            "per_page": per_page,
            "total": total,
            "pages": max(1, -(-total // per_page)),
        }


@blp.route("/teams")
class Teams(MethodView):
    decorators = [login_required()]

    @blp.response(200, TeamsSchema)
    def get(self):
        """The teams the caller may see reports for as a team (admins: all; managers: their own; reps: none)"""
        return {"teams": report_teams(principal())}


@blp.route("/targets/monthly")
class MonthlyTarget(MethodView):
    decorators = [login_required()]

    @blp.arguments(TargetBody)
    @blp.response(200, TargetSchema)
    def put(self, body):
        """Set a rep's sales target for a month (managers: their team)"""
        rep = managed_rep(principal(), body["rep_id"])
        year, month = map(int, body["month"].split("-"))
        return set_target(rep, date(year, month, 1), body["amount"], by=principal().id)


@blp.route("/face-time-target")
class FaceTimeTarget(MethodView):
    decorators = [login_required()]

    @blp.arguments(FaceTimeTargetBody)
    @blp.response(200, FaceTimeTargetBody)
    def put(self, body):
        """Set the team's goal for the face-to-face share of the day, in percent"""
        caller = principal()
        team = set_face_time_target(managed_team(caller, body["team_id"]), body["face_time_target_pct"], by=caller.id)
        return {"team_id": team.id, "face_time_target_pct": team.face_time_target_pct}


@blp.route("/daily")
class Daily(MethodView):
    decorators = [login_required()]

    @blp.arguments(DailyQuery, location="query")
    @blp.response(200, DailyReportSchema)
    def get(self, args):
        """The daily visit report of a rep (or of every rep of a team) for a date"""
        scope = resolve_scope(principal(), args.get("team_id"), args.get("rep_id"), args["date"], args["date"])
        # The reps' own first-appointment times as they stood then, read once for the team, not once a rep.
        then = own_times_then(scope.rep_ids, period_end(scope))
        reports = []
        for rep in scope.reps:
            reports.append(daily_report(Scope(scope.team, [rep], scope.tz, scope.start, scope.end, {OWN_TIMES: then})))
        return {"reports": reports}


@blp.route("/daily/review")
class DailyReviewView(MethodView):
    decorators = [login_required()]

    @blp.arguments(ReviewBody)
    @blp.response(200, ReviewSchema)
    def put(self, body):
        """The rep's own review of the day: what went well, what to improve"""
        caller = principal()
        if caller.role != "rep":
            raise Forbidden("Only the rep writes their review of the day.")
        return save_review(caller.id, body["date"], went_well=body["went_well"], to_improve=body["to_improve"])


@blp.route("/daily/comment")
class DailyComment(MethodView):
    decorators = [login_required()]

    @blp.arguments(CommentBody)
    @blp.response(200, ReviewSchema)
    def put(self, body):
        """The manager's comment on a rep's day"""
        rep = managed_rep(principal(), body["rep_id"])
        return save_review(rep.id, body["date"], manager_comment=body["comment"], commented_by=principal().id)


@blp.route("/weekly-review")
class WeeklyReviewView(MethodView):
    decorators = [login_required()]

    @blp.arguments(WeeklyQuery, location="query")
    @blp.response(200, WeeklyReviewsSchema)
    @blp.doc(**csv_too(WeeklyReviewsSchema))
    def get(self, args):
        """The weekly PDCA review of a rep (or of every rep of a team): plan, do, check, and the act's focus points"""
        monday = week_start(args["week"])
        scope = resolve_scope(principal(), args.get("team_id"), args.get("rep_id"), monday, monday + timedelta(days=6))
        reviews = weekly_reviews(scope)
        if args["format"] == "csv":
            flat = [
                {
                    **_flatten({k: v for k, v in r.items() if k not in ("act", "last_week")}),
                    "focus_next_week": " | ".join(p["text"] for p in r["act"]["focus"]),
                    "focus_written_by": r["act"]["written_by_name"],
                    "last_week_focus": " | ".join(
                        f"{p['text']} ({p.get('visits', '-')})" for p in r["last_week"]["focus"]
                    ),
                }
                for r in reviews
            ]
            columns, flat = in_words(flat, language(args.get("lang")), scope.tz)
            return csv_response(columns, flat, f"weekly-review-{scope.start}.csv")
        return {"reviews": reviews}

    @blp.arguments(WeeklyFocusBody)
    @blp.response(200, WeeklyFocusSchema)
    def put(self, body):
        """Write the act of a week: up to three focus points for the next week (the rep, or their manager)"""
        caller = principal()
        rep = self_or_managed_rep(caller, body.get("rep_id"))
        return save_focus(rep, week_start(body["week"]), body["focus"], by=caller.id, version=body.get("version"))
