"""The method's rules of thumb, per rep against the team and against the method, from the records of
the period:

- 10 calls -> 3 meetings -> 1 prospect: calls are all visits (met or not), meetings the met ones,
  prospects the opportunities opened in the period;
- 25 visits -> 5 demos -> 1 order: visits are met visits, demos opportunities reaching D, orders
  opportunities won;
- 120 contacted -> 40 conversations -> 6 proposals -> 1 deal: accounts visited at all, accounts met,
  opportunities reaching C, deals won.
Each step is the share of the step before, next to the method's share; the counts stand beside them.
"""
from collections import Counter, defaultdict

from sqlalchemy import select

from ..extensions import db
from ..models import Account, Opportunity, StageChange, Visit
from .rows import pct, rep_row

CHAINS = {
    "calls": (("calls", 10), ("meetings", 3), ("prospects", 1)),
    "visits": (("met_visits", 25), ("demos", 5), ("orders", 1)),
    "contacts": (("contacted", 120), ("conversations", 40), ("proposals", 6), ("deals", 1)),
}


def method_ratios(scope):
    counts = defaultdict(Counter)
    accounts_seen, accounts_met = defaultdict(set), defaultdict(set)
    for rep_id, account_id, met in db.session.execute(
            select(Visit.rep_id, Visit.account_id, Visit.met).where(
                Visit.rep_id.in_(scope.rep_ids), Visit.cancelled_at.is_(None),
                Visit.check_in_at >= scope.start_utc, Visit.check_in_at < scope.end_utc)):
        counts[rep_id]["calls"] += 1
        accounts_seen[rep_id].add(account_id)
        if met is not False:
            counts[rep_id]["meetings"] += 1
            counts[rep_id]["met_visits"] += 1
            accounts_met[rep_id].add(account_id)
    owner = Account.owner_id.in_(scope.rep_ids)
    for (rep_id,) in db.session.execute(
            select(Account.owner_id).join(Opportunity, Opportunity.account_id == Account.id)
            .where(owner, Opportunity.opened_at >= scope.start_utc, Opportunity.opened_at < scope.end_utc)):
        counts[rep_id]["prospects"] += 1
    for rep_id, stage in db.session.execute(
            select(Account.owner_id, StageChange.to_stage).join(Opportunity, Opportunity.id == StageChange.opportunity_id)
            .join(Account, Account.id == Opportunity.account_id)
            .where(owner, StageChange.to_stage.in_(("D", "C")), StageChange.changed_at >= scope.start_utc,
                   StageChange.changed_at < scope.end_utc)):
        counts[rep_id]["demos" if stage == "D" else "proposals"] += 1
    for (rep_id,) in db.session.execute(
            select(Account.owner_id).join(Opportunity, Opportunity.account_id == Account.id)
            .where(owner, Opportunity.status == "won", Opportunity.closed_at >= scope.start_utc,
                   Opportunity.closed_at < scope.end_utc)):
        counts[rep_id]["orders"] += 1
        counts[rep_id]["deals"] += 1
    for rep_id in scope.rep_ids:
        counts[rep_id]["contacted"] = len(accounts_seen[rep_id])
        counts[rep_id]["conversations"] = len(accounts_met[rep_id])
    rows = [{**rep_row(rep), **_figures(counts[rep.id])} for rep in scope.reps]
    team = _figures(sum((counts[r.id] for r in scope.reps), Counter()))
    return {"rows": rows, "team": team, "method": _method_shares(),
            "chains": {name: [step for step, _ in steps] for name, steps in CHAINS.items()}}


def _figures(count):
    out = {}
    for steps in CHAINS.values():
        for (before, _), (after, _) in zip(steps, steps[1:]):
            out[after] = count[after]
            out[before] = count[before]
            out[f"{before}_to_{after}_pct"] = pct(count[after], count[before])
    return out


def _method_shares():
    """The method's share of each step: e.g. 3 meetings of 10 calls is 30 %."""
    return {f"{before}_to_{after}_pct": pct(m_after, m_before)
            for steps in CHAINS.values() for (before, m_before), (after, m_after) in zip(steps, steps[1:])}
