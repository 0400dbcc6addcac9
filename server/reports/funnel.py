"""The S-P-A-D-C-O funnel as it stood at the period's end: reached, open, conversion, median days in stage,
won and lost and why."""

import itertools
import statistics
from collections import Counter, defaultdict, namedtuple
from decimal import Decimal

from sqlalchemy import or_, select

from ..extensions import db
from ..fastpaths import epoch as _epoch
from ..models import (
    Opportunity,
)
from ..models.vocab import FUNNEL_STAGES
from . import history
from .asof import as_of as accounts_as_of
from .reads import period_end
from .rows import held_by, rep_keys
from .rows import raw_text as _raw
from .rows import rep_row as _rep_row

_Opp = namedtuple("_Opp", "id owner_id stage status closed_at loss_reason amount furthest moves")


def funnel(scope):
    """Opportunities per stage, stage-to-stage conversion, median days in stage, won/lost and why, each
    opportunity as it stood at the end of the period (its stage history up to that instant)."""
    as_of = period_end(scope)
    then = accounts_as_of(scope, as_of)  # the deals of the accounts each rep held then
    in_period = (
        *held_by(scope.rep_ids, then),
        Opportunity.opened_at < scope.end_utc,
        # A superset: one closed before the period and reopened since reads open now; the history decides.
        or_(Opportunity.closed_at.is_(None), Opportunity.closed_at >= scope.start_utc),
    )
    keys = rep_keys(scope.rep_ids)
    states = history.states_as_of(in_period, as_of)
    first, opps = scope.start_utc.timestamp(), []
    for opp_id, owner_id, stage, status, closed_at, loss_reason, amount in db.session.execute(
        select(
            _raw(Opportunity.id),
            _raw(then.owner),
            Opportunity.stage,
            Opportunity.status,
            _epoch(Opportunity.closed_at),
            Opportunity.loss_reason,
            Opportunity.amount,
        ).where(*in_period)
    ):
        state = states.get(opp_id)
        if state is None:
            # No move recorded by the end of the period (a record written without its history): as it stands.
            state = history.State(stage, status, closed_at, stage, [])
        if state.closed_at is not None and state.closed_at < first:
            continue  # closed before the period (and reopened since)
        opps.append(
            _Opp(
                opp_id,
                keys[owner_id],
                state.stage,
                state.status,
                state.closed_at,
                loss_reason if state.status == "lost" else None,
                amount,
                state.furthest,
                state.moves,
            )
        )
    per_rep = defaultdict(lambda: {"opps": [], "stays": defaultdict(list)})
    for o in opps:
        entry = per_rep[o.owner_id]
        entry["opps"].append(o)
        for (at, stage, _), (next_at, next_stage, _) in itertools.pairwise(o.moves):
            if next_stage != stage:
                entry["stays"][stage].append((next_at - at) / 86400)
    rows = [{**_rep_row(rep), **_funnel_figures(per_rep[rep.id], scope)} for rep in scope.reps]
    merged = {"opps": [o for e in per_rep.values() for o in e["opps"]], "stays": defaultdict(list)}
    for e in per_rep.values():
        for stage, stays in e["stays"].items():
            merged["stays"][stage].extend(stays)
    return {
        "rows": rows,
        "team": _funnel_figures(merged, scope),
        "stages": list(FUNNEL_STAGES),
        "as_of": as_of.isoformat(),
    }


def _funnel_figures(entry, scope):
    index = {s: i for i, s in enumerate(FUNNEL_STAGES)}
    reached = Counter()
    open_by_stage = Counter()
    won = lost = 0
    won_amount = Decimal(0)
    reasons = Counter()
    for o in entry["opps"]:
        for i in range(index[o.furthest] + 1):
            reached[FUNNEL_STAGES[i]] += 1
        if o.status == "open":
            open_by_stage[o.stage] += 1
        elif o.closed_at is not None and scope.start_utc.timestamp() <= o.closed_at < scope.end_utc.timestamp():
            if o.status == "won":
                won += 1
                won_amount += o.amount or 0
            else:
                lost += 1
                reasons[o.loss_reason or "other"] += 1
    conversion = {
        f"{a}>{b}": (round(reached[b] / reached[a] * 100, 1) if reached[a] else None)
        for a, b in itertools.pairwise(FUNNEL_STAGES)
    }
    median_days = {
        s: (round(statistics.median(entry["stays"][s]), 1) if entry["stays"].get(s) else None)
        for s in FUNNEL_STAGES[:-1]
    }
    return {
        "open_by_stage": {s: open_by_stage[s] for s in FUNNEL_STAGES},
        "reached": {s: reached[s] for s in FUNNEL_STAGES},
        "conversion_pct": conversion,
        "median_days_in_stage": median_days,
        "won": won,
        "lost": lost,
        "won_amount": float(won_amount),
        "win_rate_pct": round(won / (won + lost) * 100, 1) if won + lost else None,
        "loss_reasons": dict(reasons),
    }
