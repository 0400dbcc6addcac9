"""The method's rules of thumb, per rep against the team and against the method, from the records of
the period:

- 10 calls -> 3 meetings -> 1 prospect: calls are all visits (met or not), meetings the met ones;
- 25 visits -> 5 demos -> 1 order: visits are met visits;
- 120 contacted -> 40 conversations -> 6 proposals -> 1 deal: accounts visited at all, accounts met.

The deal steps count one set per rep: the accounts the rep met in the period where an opportunity of
theirs was opened in the period, each opportunity as it stood at the period's end (its stage history):
prospects are those accounts, demos the ones with such a deal that had reached D, orders and deals those
with one won, proposals those with one that had reached C. Every step is so a part of the step before
(a won deal is at O, past D and C) and no share passes 100 %; a deal opened without a met visit that
period, or worked after its end, is in no step.
Each step is the share of the step before, next to the method's share; the counts stand beside them.
"""

import itertools
import uuid
from collections import Counter, defaultdict

from sqlalchemy import case, distinct, func, select

from .. import clock
from ..models import Opportunity, Visit
from . import history
from .asof import as_of as accounts_as_of
from .rows import canonical, core_rows, held_by, pct, raw_text, rep_keys, rep_row

CHAINS = {
    "calls": (("calls", 10), ("meetings", 3), ("prospects", 1)),
    "visits": (("met_visits", 25), ("demos", 5), ("orders", 1)),
    "contacts": (("contacted", 120), ("conversations", 40), ("proposals", 6), ("deals", 1)),
}


def method_ratios(scope):
    counts = defaultdict(Counter)
    keys = rep_keys(scope.rep_ids)
    in_period = (
        Visit.rep_id.in_(scope.rep_ids),
        Visit.cancelled_at.is_(None),
        Visit.check_in_at >= scope.start_utc,
        Visit.check_in_at < scope.end_utc,
    )
    met = Visit.met.is_not(False)
    # The visit counts per rep, counted by the database: calls, meetings, accounts visited, accounts met.
    for raw_rep, calls, meetings, contacted, conversations in core_rows(
        select(
            raw_text(Visit.rep_id),
            func.count(),
            func.sum(case((met, 1), else_=0)),
            func.count(distinct(Visit.account_id)),
            func.count(distinct(case((met, Visit.account_id)))),
        )
        .where(*in_period)
        .group_by(Visit.rep_id)
    ):
        rep_id = keys[raw_rep]
        counts[rep_id].update(
            calls=calls,
            meetings=meetings or 0,
            met_visits=meetings or 0,
            contacted=contacted,
            conversations=conversations,
        )
    as_of = min(scope.end_utc, clock.now())
    then = accounts_as_of(scope, as_of)  # the deals of the accounts each rep held at the end
    opened = (
        *held_by(scope.rep_ids, then),
        Opportunity.opened_at >= scope.start_utc,
        Opportunity.opened_at < scope.end_utc,
    )
    states = history.states_as_of(opened, as_of)
    steps = defaultdict(lambda: defaultdict(set))  # rep -> step -> accounts
    deals = core_rows(
        select(
            raw_text(Opportunity.id),
            raw_text(then.owner),
            raw_text(Opportunity.account_id),
            Opportunity.stage,
            Opportunity.status,
        ).where(*opened)
    )
    # Of the deals' accounts, those each rep met in the period.
    accounts = sorted({uuid.UUID(canonical(d[2])) for d in deals})
    accounts_met = set()
    for chunk in range(0, len(accounts), 900):
        accounts_met.update(
            (keys[raw_rep], account_id)
            for raw_rep, account_id in core_rows(
                select(raw_text(Visit.rep_id), raw_text(Visit.account_id))
                .where(*in_period, met, Visit.account_id.in_(accounts[chunk : chunk + 900]))
                .distinct()
            )
        )
    for opp_id, owner_id, account_id, stage, status in deals:
        rep_id = keys[owner_id]
        if (rep_id, account_id) not in accounts_met:
            continue
        state = states.get(opp_id)
        furthest, status = (state.furthest, state.status) if state else (stage, status)
        mine = steps[rep_id]
        mine["prospects"].add(account_id)
        if history.INDEX[furthest] >= history.INDEX["D"]:
            mine["demos"].add(account_id)
        if history.INDEX[furthest] >= history.INDEX["C"]:
            mine["proposals"].add(account_id)
        if status == "won":
            mine["orders"].add(account_id)
            mine["deals"].add(account_id)
    for rep_id, mine in steps.items():
        for step, held in mine.items():
            counts[rep_id][step] = len(held)
    rows = [{**rep_row(rep), **_figures(counts[rep.id])} for rep in scope.reps]
    team = _figures(sum((counts[r.id] for r in scope.reps), Counter()))
    return {
        "rows": rows,
        "team": team,
        "method": _method_shares(),
        "chains": {name: [step for step, _ in steps] for name, steps in CHAINS.items()},
    }


def _figures(count):
    out = {}
    for steps in CHAINS.values():
        for (before, _), (after, _) in itertools.pairwise(steps):
            out[after] = count[after]
            out[before] = count[before]
            out[f"{before}_to_{after}_pct"] = pct(count[after], count[before])
    return out


def _method_shares():
    """The method's share of each step: e.g. 3 meetings of 10 calls is 30 %."""
    return {
        f"{before}_to_{after}_pct": pct(m_after, m_before)
        for steps in CHAINS.values()
        for (before, m_before), (after, m_after) in itertools.pairwise(steps)
    }
