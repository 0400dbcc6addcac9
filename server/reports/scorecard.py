"""The team at a glance: one row per rep with the figures a manager reads first, each marked against its
target or the method's rule (good, warn, bad; None when there is nothing to judge it by).

- Visits: face-to-face visits (the customer met, checked out) against the visits the A/B/C cadence asks
  for in the period: each account once per its class's days (server/cadence.py), pro rata to the days of
  the period it existed in.
- Face-to-face share of the working day against the team's goal and the method's time study (18.9 %).
- First visits on time: working days whose first visit started by the rep's first-appointment time (8:45).
- Overdue A accounts at the period's end (the cadence from the visits up to that instant).
- Pipeline: the open value by stage at the period's end (the stage history up to that instant).
- Won and lost in the period, and the value won against the sales target of the period's working days.

Everything is as things stood at the end of the period (or now, for a period not over yet), like the
other reports: work recorded since changes nothing."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import or_, select

from .. import team_settings
from ..extensions import db
from ..fastpaths import epoch
from ..models import Opportunity, SalesTarget
from ..models.vocab import FUNNEL_STAGES
from . import history
from .asof import as_of as accounts_as_of
from .asof import face_time_goal, rules_as_of
from .daysums import exact_day_figures, kept_day_figures, summed_day_figures
from .firstvisit import TOLERANCE_MIN, appointment_time
from .reads import period_end
from .rows import core_rows, held_by, pct, raw_text, rep_keys
from .rows import rep_row as rep_head
from .standing import standing
from .targets import month_settings, months_of, next_month, working_days
from .timesplit import BASELINE_PCT

# The thresholds of the marks, in one place; the screen says them in words from the answer's `rules`.
RULES = {
    "visits": {"good_pct": 100, "warn_pct": 80},
    "on_time": {"good_pct": 80, "warn_pct": 50},
    "overdue_a": {"warn_pct": 20},
    "won": {"good_pct": 100, "warn_pct": 80},
    # Deals at C are to close within 30 days: they should cover what is left of the target.
    "pipeline": {"good_stages": ["C"], "warn_stages": ["C", "D"]},
}
GOOD, WARN, BAD = "good", "warn", "bad"


def _at_least(value, whole, good_pct, warn_pct):
    """The mark of `value` against `whole` (a target): good from good_pct % of it, warn from warn_pct %."""
    if whole is None or whole <= 0 or value is None:
        return None
    share = value / whole * 100
    return GOOD if share >= good_pct else WARN if share >= warn_pct else BAD


def _face_mark(value, goal, baseline):
    if value is None:
        return None
    return GOOD if value >= goal else WARN if value > baseline else BAD


def _overdue_mark(overdue, total):
    if not total:
        return None
    if not overdue:
        return GOOD
    return WARN if overdue / total * 100 <= RULES["overdue_a"]["warn_pct"] else BAD


def _pipeline_mark(pipeline, target, won):
    """Good when the deals at C cover the target still to win, warn when C and D do, bad otherwise."""
    if target is None or target <= 0:
        return None
    left = max(target - won, 0)
    if left == 0 or sum(pipeline[s] for s in RULES["pipeline"]["good_stages"]) >= left:
        return GOOD
    return WARN if sum(pipeline[s] for s in RULES["pipeline"]["warn_stages"]) >= left else BAD


def _cadence_days_of(scope):
    """The A/B/C days the rules name: the scope's team's (the team the reps were in then), else the method's."""
    rules = rules_as_of(scope, period_end(scope))
    return {c: rules.cadence(c) for c in ("A", "B", "C")}


def _cadence_targets(scope, as_of):
    """Per rep: (visits the cadence asks for in the period, A accounts, A accounts overdue at `as_of`), from
    the accounts as they stood then, counted by the database."""
    then = standing(scope, as_of)  # each account's holder, class and last contact at `as_of`
    keys = rep_keys(scope.rep_ids)
    last_day = min(scope.end, as_of.astimezone(scope.tz).date())
    asked, a_total, a_overdue = defaultdict(float), defaultdict(int), defaultdict(int)
    # An account created in the period asks from its creation's day; the others for every day of it.
    for holder, account_class, overdue, created, count in then.counts(scope.start_utc):
        rep_id = keys[holder]
        rules = then.rules.get(rep_id, team_settings.METHOD)
        first = max(scope.start, created.astimezone(scope.tz).date()) if created else scope.start
        days = (last_day - first).days + 1
        if days > 0:
            asked[rep_id] += count * days / rules.cadence(account_class)
        if account_class == "A":
            a_total[rep_id] += count
            a_overdue[rep_id] += count if overdue else 0
    return asked, a_total, a_overdue


def _deals(scope, as_of):
    """Per rep: open value by stage at `as_of`, and deals won and lost in the period (count, value won)."""
    then = accounts_as_of(scope, as_of)
    where = (
        *held_by(scope.rep_ids, then),
        Opportunity.opened_at < scope.end_utc,
        or_(Opportunity.closed_at.is_(None), Opportunity.closed_at >= scope.start_utc),
    )
    states = history.states_as_of(where, as_of)
    keys = rep_keys(scope.rep_ids)
    first, last = scope.start_utc.timestamp(), scope.end_utc.timestamp()
    pipeline = defaultdict(lambda: dict.fromkeys(FUNNEL_STAGES, Decimal(0)))
    closed = defaultdict(lambda: {"won": 0, "lost": 0, "won_amount": Decimal(0)})
    for opp_id, owner_id, stage, status, closed_at, amount in core_rows(
        select(
            raw_text(Opportunity.id),
            raw_text(then.owner),
            Opportunity.stage,
            Opportunity.status,
            epoch(Opportunity.closed_at),
            Opportunity.amount,
        ).where(*where)
    ):
        state = states.get(opp_id) or history.State(stage, status, closed_at, stage, [])
        rep = keys[owner_id]
        if state.status == "open":
            pipeline[rep][state.stage] += amount or 0
        elif state.closed_at is not None and first <= state.closed_at < last:
            closed[rep][state.status] += 1
            if state.status == "won":
                closed[rep]["won_amount"] += amount or 0
    return pipeline, closed


def _period_targets(scope):
    """Per rep: the sales target of the period's working days (each month's target spread evenly over its
    working days of the rep's team, as the targets report does); None without a target for any month."""
    months = list(months_of(scope.start, scope.end))
    stored = defaultdict(dict)
    for rep_id, month, amount in db.session.execute(
        select(SalesTarget.rep_id, SalesTarget.month, SalesTarget.amount).where(
            SalesTarget.rep_id.in_(scope.rep_ids), SalesTarget.month.in_(months)
        )
    ):
        stored[rep_id][month] = amount
    out = {}
    for rep_id, by_month in stored.items():
        total = Decimal(0)
        for month, amount in by_month.items():
            last = next_month(month) - timedelta(days=1)
            working = working_days(month, last, month_settings(scope, month))
            inside = [d for d in working if scope.start <= d <= scope.end]
            if working:
                total += amount * len(inside) / len(working)
        out[rep_id] = total
    return out


def scorecard(scope):
    """One row per rep (and the team's): visits, face-to-face share, first visits on time, overdue A
    accounts, pipeline by stage, won and lost against the target, each with its mark."""
    as_of = period_end(scope)
    # From the rep-days kept on write; else summed by the database where the zone keeps one offset
    # (daysums.py); else read as the reports read them.
    days = kept_day_figures(scope) or summed_day_figures(scope) or exact_day_figures(scope)
    asked, a_total, a_overdue = _cadence_targets(scope, as_of)
    pipeline, closed = _deals(scope, as_of)
    targets = _period_targets(scope)
    goal = face_time_goal(scope, as_of)[0]  # as the time split reads it: the goal of the period's end
    baseline = BASELINE_PCT["face_to_face"]
    rows = []
    for rep in scope.reps:
        day = days[rep.id]
        figures = _figures(
            visits=day["face_to_face_visits"],
            visits_all=day["visits"],
            not_met=day["not_met"],
            asked=asked[rep.id],
            face_to_face_pct=_share(day["face_min"], day["span_min"]),
            working_days=day["working_days"],
            on_time_days=day["on_time_days"],
            a_total=a_total[rep.id],
            a_overdue=a_overdue[rep.id],
            pipeline=pipeline[rep.id],
            closed=closed[rep.id],
            target=targets.get(rep.id),
            goal=goal,
            baseline=baseline,
        )
        at = appointment_time(scope, rep).strftime("%H:%M")
        rows.append({**rep_head(rep), "first_appointment_time": at, **figures})
    team_pipeline = dict.fromkeys(FUNNEL_STAGES, Decimal(0))
    team_closed = {"won": 0, "lost": 0, "won_amount": Decimal(0)}
    for rep in scope.reps:
        for stage, value in pipeline[rep.id].items():
            team_pipeline[stage] += value
        for k, v in closed[rep.id].items():
            team_closed[k] += v
    with_target = [targets[r.id] for r in scope.reps if r.id in targets]
    team = _figures(
        visits=sum(r["visits"] for r in rows),
        visits_all=sum(r["visits_all"] for r in rows),
        not_met=sum(r["not_met"] for r in rows),
        asked=sum(asked[r.id] for r in scope.reps),
        face_to_face_pct=_share(sum(d["face_min"] for d in days.values()), sum(d["span_min"] for d in days.values())),
        working_days=sum(d["working_days"] for d in days.values()),
        on_time_days=sum(d["on_time_days"] for d in days.values()),
        a_total=sum(a_total[r.id] for r in scope.reps),
        a_overdue=sum(a_overdue[r.id] for r in scope.reps),
        pipeline=team_pipeline,
        closed=team_closed,
        target=sum(with_target, Decimal(0)) if with_target else None,
        goal=goal,
        baseline=baseline,
    )
    return {
        "rows": rows,
        "team": team,
        "as_of": as_of.isoformat(),
        "stages": list(FUNNEL_STAGES),
        "rules": {
            **RULES,
            "face_to_face": {"goal_pct": goal, "baseline_pct": baseline},
            "on_time": {**RULES["on_time"], "tolerance_min": TOLERANCE_MIN},
            "cadence_days": _cadence_days_of(scope),
        },
    }


def _share(face_min, span_min):
    """The face-to-face share of the working day's span, as the time split rounds it."""
    return round(face_min / span_min * 100, 1) if span_min else None


def _figures(
    *,
    visits,
    visits_all,
    not_met,
    asked,
    face_to_face_pct,
    working_days,
    on_time_days,
    a_total,
    a_overdue,
    pipeline,
    closed,
    target,
    goal,
    baseline,
):
    visits_target = int(asked + 0.5) if asked else None  # whole visits, half up
    won_amount = closed["won_amount"]
    on_time_pct = pct(on_time_days, working_days)
    return {
        "visits": visits,
        "visits_all": visits_all,
        "not_met": not_met,
        "visits_target": visits_target,
        "face_to_face_pct": face_to_face_pct,
        "working_days": working_days,
        "on_time_days": on_time_days,
        "on_time_pct": on_time_pct,
        "a_accounts": a_total,
        "a_overdue": a_overdue,
        "pipeline": {s: float(v) for s, v in pipeline.items()},
        "pipeline_total": float(sum(pipeline.values(), Decimal(0))),
        "won": closed["won"],
        "lost": closed["lost"],
        "won_amount": float(won_amount),
        "target": None if target is None else round(float(target), 2),
        "attainment_pct": round(float(won_amount / target * 100), 1) if target else None,
        "marks": {
            "visits": _at_least(visits, visits_target, **RULES["visits"]),
            "face_to_face": _face_mark(face_to_face_pct, goal, baseline),
            "on_time": _at_least(on_time_days, working_days, **RULES["on_time"]),
            "overdue_a": _overdue_mark(a_overdue, a_total),
            "pipeline": _pipeline_mark(pipeline, target, won_amount),
            "won": _at_least(won_amount, target, **RULES["won"]),
        },
    }
