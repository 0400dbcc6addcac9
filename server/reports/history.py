"""Opportunities as they stood at an instant, from their stage history (the `stage_changes` rows: every
move of stage or status is one): a report of a past period reads this, so work done since changes
nothing. One set-based read for all the opportunities a report looks at, never a query per deal."""

from collections import defaultdict, namedtuple

from sqlalchemy import select

from ..extensions import db
from ..fastpaths import epoch
from ..models import Opportunity, StageChange
from ..models.vocab import FUNNEL_STAGES
from .rows import core_rows, raw_text

INDEX = {s: i for i, s in enumerate(FUNNEL_STAGES)}

# stage and status at the instant; closed_at (epoch seconds) when it was closed then: the first change of
# its last run of the same closed status; furthest: the furthest stage reached by then; moves: the
# [(epoch, stage, status)] in time order up to the instant.
State = namedtuple("State", "stage status closed_at furthest moves")


def moves_until(where, at):
    """{raw opportunity id: [(epoch, to_stage, status)]} in time order, for the opportunities matching
    `where` (clauses on Opportunity), changes made before `at` only. A close the record holds (its
    `closed_at` before `at`) that its history lacks (records written without it) is added at its instant."""
    moves, closes = defaultdict(list), {}
    for opp_id, at_s, stage, status, now_stage, now_status, closed_at in core_rows(
        select(
            raw_text(StageChange.opportunity_id),
            epoch(StageChange.changed_at),
            StageChange.to_stage,
            StageChange.status,
            Opportunity.stage,
            Opportunity.status,
            epoch(Opportunity.closed_at),
        )
        .join(Opportunity, Opportunity.id == StageChange.opportunity_id)
        .where(*where, StageChange.changed_at < at)
        .order_by(StageChange.opportunity_id, StageChange.changed_at, StageChange.id)
    ):
        moves[opp_id].append((at_s, stage, status))
        if now_status != "open" and closed_at is not None and closed_at < at.timestamp():
            closes[opp_id] = (closed_at, now_stage, now_status)
    for opp_id, close in closes.items():
        last = moves[opp_id][-1]
        if last[2] == "open" and last[0] <= close[0]:
            moves[opp_id].append(close)
    return moves


def fold(moves):
    """The State its moves (time order) leave an opportunity in; None when it has none (not yet opened)."""
    if not moves:
        return None
    _, stage, status = moves[-1]
    closed_at = None
    if status != "open":
        closed_at = moves[-1][0]
        for at, _, earlier in reversed(moves):
            if earlier != status:
                break
            closed_at = at
    furthest = FUNNEL_STAGES[max(INDEX.get(s, 0) for _, s, _ in moves)]
    return State(stage, status, closed_at, furthest, moves)


def raw_id(value):
    """A UUID in the form `raw_text` reads it (hex on SQLite, canonical text on PostgreSQL): the keys above."""
    return value.hex if db.session.get_bind().dialect.name == "sqlite" else str(value)


def states_as_of(where, at):
    """{raw opportunity id: State at `at`} for the opportunities matching `where` that had been opened by then."""
    return {opp_id: fold(moves) for opp_id, moves in moves_until(where, at).items()}
