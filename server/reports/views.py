"""`/api/reports/*`: JSON by default, CSV with `format=csv`; reps see themselves, managers their team."""
from datetime import date, timedelta

from flask.views import MethodView

from ..csvio import csv_response
from ..errors import Forbidden, ValidationFailed
from ..policy import managed_rep, managed_team, self_or_managed_rep
from ..security import login_required, principal
from . import blp
from .daily import daily_report, save_review
from .schemas import (CommentBody, DailyQuery, DailyReportSchema, FaceTimeTargetBody, FirstAppointmentQuery, ReportQuery,
                      ReportSchema, ReviewBody, ReviewSchema, TargetBody, TargetSchema, TeamsSchema, WeeklyFocusBody,
                      WeeklyFocusSchema, WeeklyQuery, WeeklyReviewsSchema)
from .scope import Scope, report_teams, resolve_scope
from .services import REPORTS, set_face_time_target, set_target
from .weekly import save_focus, week_start, weekly_reviews


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


def _run(name, args, **options):
    scope = resolve_scope(principal(), args.get("team_id"), args.get("rep_id"), args.get("from_"), args.get("to"))
    result = REPORTS[name](scope, **options)
    rows = result.pop("rows")
    team = result.pop("team", None)
    period = {"from": scope.start.isoformat(), "to": scope.end.isoformat(), "timezone": str(scope.tz),
              "team_id": str(scope.team.id) if scope.team else None}
    if args["format"] == "csv":
        table = args["table"]
        if table == "weeks":
            if "weeks" not in result:
                raise ValidationFailed("This report has no weekly table.", {"table": ["Not for this report."]})
            flat = [_flatten(w) for w in result["weeks"]]
        elif table == "overdue":
            if "overdue_accounts" not in result:
                raise ValidationFailed("This report has no overdue list.", {"table": ["Not for this report."]})
            flat = [_flatten(o) for o in result["overdue_accounts"]]
        else:
            flat = [_flatten(r) for r in rows]
            if team is not None and len(rows) > 1 and name != "installed-base":
                flat.append(_flatten({"username": "TEAM", **team}))
        columns = list(dict.fromkeys(k for r in flat for k in r)) or ["empty"]
        return csv_response(columns, flat, f"{name}-{scope.start}-{scope.end}.csv")
    return {"period": period, "rows": rows, "team": team, "extra": result}


def _report(name, query=ReportQuery, summary=""):
    class Report(MethodView):
        decorators = [login_required()]

        @blp.arguments(query, location="query")
        @blp.response(200, ReportSchema)
        def get(self, args):
            options = {"tolerance_min": args["tolerance_min"]} if "tolerance_min" in args else {}
            return _run(name, args, **options)

    Report.get.__doc__ = summary  # the OpenAPI summary; set before the route reads it
    return blp.route(f"/{name}", endpoint=name.replace("-", "_"))(Report)


_report("time-ratios", summary="Share of the working day face-to-face, travelling, admin, meetings, unrecorded")
_report("first-appointment", FirstAppointmentQuery, "Share of working days whose first visit started by 8:45")
_report("activity", summary="Visits per day, effective visits, visits with a purpose, plan vs actual")
_report("funnel", summary="S-P-A-D-C-O counts, conversion, median days in stage, won/lost and why")
_report("cadence", summary="A/B/C accounts past their 7/14/30-day cadence, with the list")
_report("installed-base", summary="MIF matrix: monthly volume band x machine age, ours and competitors'")
_report("targets", summary="Monthly target per rep by week and working day, against orders won")
_report("hunting-farming", summary="Visits working D/C opportunities (farming) against development visits (hunting), by week")
_report("method-ratios", summary="Calls to meetings to prospects, visits to demos to orders, contacts to deals, against the method")
_report("coverage", summary="New accounts seen in their first 90 days, and A/B/C accounts visited within cadence, by week")
_report("win-loss", summary="Deals closed in the period, won and lost by stage reached, visits, M-A-N, class and reason")
_report("qualification", summary="Prospects undecided after 3 visits, closes beyond 180 days, C-stage deals over 30 days")


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
        reports = []
        for rep in scope.reps:
            reports.append(daily_report(Scope(scope.team, [rep], scope.tz, scope.start, scope.end)))
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
    def get(self, args):
        """The weekly PDCA review of a rep (or of every rep of a team): plan, do, check, and the act's focus points"""
        monday = week_start(args["week"])
        scope = resolve_scope(principal(), args.get("team_id"), args.get("rep_id"), monday, monday + timedelta(days=6))
        reviews = weekly_reviews(scope)
        if args["format"] == "csv":
            flat = [{**_flatten({k: v for k, v in r.items() if k not in ("act", "last_week")}),
                     "focus_next_week": " | ".join(p["text"] for p in r["act"]["focus"]),
                     "focus_written_by": r["act"]["written_by_name"],
                     "last_week_focus": " | ".join(f"{p['text']} ({p.get('visits', '-')})" for p in r["last_week"]["focus"])}
                    for r in reviews]
            columns = list(dict.fromkeys(k for r in flat for k in r)) or ["empty"]
            return csv_response(columns, flat, f"weekly-review-{scope.start}.csv")
        return {"reviews": reviews}

    @blp.arguments(WeeklyFocusBody)
    @blp.response(200, WeeklyFocusSchema)
    def put(self, body):
        """Write the act of a week: up to three focus points for the next week (the rep, or their manager)"""
        caller = principal()
        rep = self_or_managed_rep(caller, body.get("rep_id"))
        return save_focus(rep, week_start(body["week"]), body["focus"], by=caller.id, version=body.get("version"))
