"""Win/loss analysis over the deals closed in the period (won or lost by `closed_at`): by the furthest
stage each reached, by the number of met visits to its account before it closed, by how many of M-A-N
were confirmed, by account class and, for the lost ones, by reason."""
from collections import Counter, defaultdict

from sqlalchemy import select

from ..extensions import db
from ..models import Account, Opportunity, StageChange, Visit
from ..models.vocab import FUNNEL_STAGES
from .rows import pct, rep_row

VISIT_BANDS = ((0, 2, "0-2"), (3, 5, "3-5"), (6, 10, "6-10"), (11, None, "11+"))


def _band(n):
    return next(label for low, high, label in VISIT_BANDS if n >= low and (high is None or n <= high))


def win_loss(scope):
    closed = db.session.execute(
        select(Opportunity, Account.account_class, Account.owner_id).join(Account, Account.id == Opportunity.account_id)
        .where(Account.owner_id.in_(scope.rep_ids), Opportunity.status.in_(("won", "lost")),
               Opportunity.closed_at >= scope.start_utc, Opportunity.closed_at < scope.end_utc)).all()
    ids = [o.id for o, _, _ in closed]
    reached = defaultdict(set)
    for opportunity_id, stage in db.session.execute(select(StageChange.opportunity_id, StageChange.to_stage)
                                                    .where(StageChange.opportunity_id.in_(ids))):
        reached[opportunity_id].add(stage)
    visits = defaultdict(list)
    for account_id, at in db.session.execute(select(Visit.account_id, Visit.check_in_at).where(
            Visit.account_id.in_({o.account_id for o, _, _ in closed}), Visit.cancelled_at.is_(None),
            Visit.met.is_not(False), Visit.check_in_at.is_not(None))):
        visits[account_id].append(at)
    tables = {name: defaultdict(Counter) for name in ("by_stage", "by_visits", "by_man", "by_class")}
    reasons, per_rep = Counter(), defaultdict(Counter)
    for o, account_class, owner in closed:
        outcome = o.status
        stages = reached[o.id] | {o.stage}
        furthest = max(stages, key=FUNNEL_STAGES.index)
        before = sum(1 for at in visits[o.account_id] if at <= o.closed_at)
        man = sum(bool(x) for x in (o.man_money, o.man_authority, o.man_need))
        tables["by_stage"][furthest][outcome] += 1
        tables["by_visits"][_band(before)][outcome] += 1
        tables["by_man"][f"{man}/3"][outcome] += 1
        tables["by_class"][account_class][outcome] += 1
        if outcome == "lost":
            reasons[o.loss_reason or "other"] += 1
        per_rep[owner][outcome] += 1

    def table(counts, order):
        return [{"key": key, "won": counts[key]["won"], "lost": counts[key]["lost"],
                 "win_pct": pct(counts[key]["won"], counts[key]["won"] + counts[key]["lost"])}
                for key in order if key in counts]

    rows = [{**rep_row(rep), "won": per_rep[rep.id]["won"], "lost": per_rep[rep.id]["lost"],
             "win_pct": pct(per_rep[rep.id]["won"], per_rep[rep.id]["won"] + per_rep[rep.id]["lost"])}
            for rep in scope.reps]
    won, lost = sum(r["won"] for r in rows), sum(r["lost"] for r in rows)
    return {"rows": rows, "team": {"won": won, "lost": lost, "win_pct": pct(won, won + lost)},
            "by_stage": table(tables["by_stage"], FUNNEL_STAGES),
            "by_visits": table(tables["by_visits"], [label for _, _, label in VISIT_BANDS]),
            "by_man": table(tables["by_man"], ["0/3", "1/3", "2/3", "3/3"]),
            "by_class": table(tables["by_class"], ("A", "B", "C")),
            "loss_reasons": [{"reason": r, "lost": n} for r, n in reasons.most_common()]}

