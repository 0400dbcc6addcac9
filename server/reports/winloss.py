"""Win/loss analysis over the deals closed in the period (won or lost by `closed_at`): by the furthest
stage each reached, by the number of met visits to its account before it closed, by how many of M-A-N
were confirmed, by account class and, for the lost ones, by reason."""

from collections import Counter, defaultdict

from sqlalchemy import or_, select

from .. import clock
from ..extensions import db
from ..fastpaths import epoch
from ..models import Account, Opportunity, Visit
from ..models.vocab import FUNNEL_STAGES
from . import history
from .asof import as_of as accounts_as_of
from .rows import pct, rep_row

VISIT_BANDS = ((0, 2, "0-2"), (3, 5, "3-5"), (6, 10, "6-10"), (11, None, "11+"))


def _band(n):
    return next(label for low, high, label in VISIT_BANDS if n >= low and (high is None or n <= high))


def win_loss(scope):
    """Each deal as it stood at the period's end (its stage history): one won in the period and reopened
    since still counts, one closed after the period does not."""
    as_of = min(scope.end_utc, clock.now())
    # Each deal counts for its account's holder at the period's end, by the class it had then.
    then = accounts_as_of(scope, as_of)
    candidates = (
        then.held,
        Opportunity.opened_at < scope.end_utc,
        or_(Opportunity.closed_at.is_(None), Opportunity.closed_at >= scope.start_utc),
    )
    states = history.states_as_of((*candidates, Account.id == Opportunity.account_id), as_of)
    first, last = scope.start_utc.timestamp(), scope.end_utc.timestamp()
    closed = []
    for o, account_class, owner in db.session.execute(
        select(Opportunity, then.account_class, then.owner)
        .join(Account, Account.id == Opportunity.account_id)
        .where(*candidates)
    ).all():
        state = states.get(history.raw_id(o.id))
        if state is None:  # no history (written without it): as it stands
            at = o.closed_at.timestamp() if o.closed_at is not None else None
            state = history.State(o.stage, o.status, at, o.stage, [])
        if state.status in ("won", "lost") and state.closed_at is not None and first <= state.closed_at < last:
            closed.append((o, account_class, owner, state))
    visits = defaultdict(list)
    for account_id, at in db.session.execute(
        select(Visit.account_id, epoch(Visit.check_in_at)).where(
            Visit.account_id.in_({o.account_id for o, *_ in closed}),
            Visit.cancelled_at.is_(None),
            Visit.met.is_not(False),
            Visit.check_in_at.is_not(None),
        )
    ):
        visits[account_id].append(at)
    tables = {name: defaultdict(Counter) for name in ("by_stage", "by_visits", "by_man", "by_class")}
    reasons, per_rep = Counter(), defaultdict(Counter)
    for o, account_class, owner, state in closed:
        outcome = state.status
        furthest = state.furthest
        before = sum(1 for at in visits[o.account_id] if at <= state.closed_at)
        man = sum(bool(x) for x in (o.man_money, o.man_authority, o.man_need))
        tables["by_stage"][furthest][outcome] += 1
        tables["by_visits"][_band(before)][outcome] += 1
        tables["by_man"][f"{man}/3"][outcome] += 1
        tables["by_class"][account_class][outcome] += 1
        if outcome == "lost":
            reasons[o.loss_reason or "other"] += 1
        per_rep[owner][outcome] += 1

    def table(counts, order):
        return [
            {
                "key": key,
                "won": counts[key]["won"],
                "lost": counts[key]["lost"],
                "win_pct": pct(counts[key]["won"], counts[key]["won"] + counts[key]["lost"]),
            }
            for key in order
            if key in counts
        ]

    rows = [
        {
            **rep_row(rep),
            "won": per_rep[rep.id]["won"],
            "lost": per_rep[rep.id]["lost"],
            "win_pct": pct(per_rep[rep.id]["won"], per_rep[rep.id]["won"] + per_rep[rep.id]["lost"]),
        }
        for rep in scope.reps
    ]
    won, lost = sum(r["won"] for r in rows), sum(r["lost"] for r in rows)
    return {
        "rows": rows,
        "team": {"won": won, "lost": lost, "win_pct": pct(won, won + lost)},
        "by_stage": table(tables["by_stage"], FUNNEL_STAGES),
        "by_visits": table(tables["by_visits"], [label for _, _, label in VISIT_BANDS]),
        "by_man": table(tables["by_man"], ["0/3", "1/3", "2/3", "3/3"]),
        "by_class": table(tables["by_class"], ("A", "B", "C")),
        "loss_reasons": [{"reason": r, "lost": n} for r, n in reasons.most_common()],
    }
