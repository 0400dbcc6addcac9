"""The method's qualification rules as a manager's lists, at the end of the period:

- a prospect is judged within three visits: an account with 3 or more visits whose opportunities
  never got past P (none at A, D, C or O, none won or lost) is "undecided";
- the prospect horizon is 180 days: an open opportunity expected to close later than that is flagged;
- an opportunity does not sit at C (the proposal) for more than 30 days.
"""

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from .. import clock
from ..models import Account, Opportunity, StageChange, Visit
from . import history
from .asof import as_of as accounts_as_of
from .rows import canonical, core_rows, raw_text, rep_keys, rep_name, rep_row

JUDGE_WITHIN_VISITS = 3
HORIZON_DAYS = 180
C_STAGE_DAYS = 30
DECIDED = ("A", "D", "C", "O")


def qualification(scope, lists=True):
    """The three counts per rep and for the team, and (unless `lists` is False) the accounts behind them.
    Ids are read as the database's text and turned into the API's form only for the listed items."""
    as_of = min(scope.end_utc, clock.now())
    keys = rep_keys(scope.rep_ids)
    then = accounts_as_of(scope, as_of)
    mine = then.held
    # Each opportunity and visit count comes with its account's name and its holder then (server/reports/asof.py).
    opportunities = core_rows(
        select(
            raw_text(Opportunity.id),
            raw_text(Opportunity.account_id),
            Opportunity.title,
            Opportunity.stage,
            Opportunity.status,
            Opportunity.expected_close,
            Opportunity.opened_at,
            Account.name,
            raw_text(then.owner),
        )
        .join(Account, Account.id == Opportunity.account_id)
        .where(mine, Opportunity.opened_at < as_of)
    )
    # Each opportunity as it stood then (its stage history): later moves, wins and losses change nothing.
    states = history.states_as_of((mine, Account.id == Opportunity.account_id, Opportunity.opened_at < as_of), as_of)
    opportunities = [_as_it_stood(o, states.get(o[0])) for o in opportunities]
    decided = {o[1] for o in opportunities if o[4] != "open" or o[9] in DECIDED}
    # Only accounts seen three times or more can be undecided: the database counts each account's
    # visits from the visits-by-account index alone (once per account: a filter on the count in SQL
    # would have it counted twice).
    visits = (
        select(func.count())
        .where(Visit.account_id == Account.id, Visit.cancelled_at.is_(None), Visit.check_in_at < as_of)
        .correlate(Account)
        .scalar_subquery()
    )
    seen = [
        row
        for row in core_rows(select(raw_text(Account.id), Account.name, raw_text(then.owner), visits).where(mine))
        if row[3] >= JUDGE_WITHIN_VISITS
    ]
    at_c = [o for o in opportunities if o[3] == "C" and o[4] == "open"]
    entered_c = (
        dict(
            core_rows(
                select(raw_text(StageChange.opportunity_id), func.max(StageChange.changed_at))
                .where(
                    StageChange.to_stage == "C",
                    StageChange.changed_at < as_of,
                    StageChange.opportunity_id.in_([uuid.UUID(o[0]) for o in at_c]),
                )
                .group_by(StageChange.opportunity_id)
            )
        )
        if at_c
        else {}
    )
    found = {rep.id: {"undecided": [], "beyond_horizon": [], "stale_at_c": []} for rep in scope.reps}

    heads = {rep.id: (str(rep.id), rep_name(rep)) for rep in scope.reps}  # once per rep, not per account

    def note(kind, account_id, name, owner, **more):
        rep_id = keys[owner]
        head = heads[rep_id]
        found[rep_id][kind].append(
            {"account_id": canonical(account_id), "name": name, "rep_id": head[0], "rep_name": head[1], **more}
            if lists
            else None
        )

    for account_id, name, owner, count in seen:
        if account_id not in decided:
            note("undecided", account_id, name, owner, visits=count)
    horizon = (as_of + timedelta(days=HORIZON_DAYS)).astimezone(scope.tz).date()
    for opp_id, account_id, title, stage, status, expected_close, opened_at, name, owner, _ in opportunities:
        if status != "open":
            continue
        if expected_close is not None and expected_close > horizon:
            note(
                "beyond_horizon",
                account_id,
                name,
                owner,
                opportunity_id=canonical(opp_id),
                title=title,
                stage=stage,
                expected_close=expected_close.isoformat(),
            )
        if stage == "C":
            since = entered_c.get(opp_id) or opened_at
            days = (as_of - since).days
            if days > C_STAGE_DAYS:
                note(
                    "stale_at_c", account_id, name, owner, opportunity_id=canonical(opp_id), title=title, days_at_c=days
                )
    rows = [{**rep_row(rep), **{kind: len(items) for kind, items in found[rep.id].items()}} for rep in scope.reps]
    team = {kind: sum(r[kind] for r in rows) for kind in ("undecided", "beyond_horizon", "stale_at_c")}
    report = {
        "rows": rows,
        "team": team,
        "as_of": as_of.isoformat(),
        "rules": {
            "judge_within_visits": JUDGE_WITHIN_VISITS,
            "horizon_days": HORIZON_DAYS,
            "c_stage_days": C_STAGE_DAYS,
        },
    }
    if lists:
        report.update(
            {
                f"{kind}_list": sorted(
                    (item for rep in scope.reps for item in found[rep.id][kind]),
                    key=lambda i: (i["rep_name"] or "", i["name"]),
                )
                for kind in team
            }
        )
    return report


def _as_it_stood(row, state):
    """An opportunity's row with its stage and status as `state` says, and the furthest stage it had reached."""
    if state is None:  # no history (written without it): as it stands
        return (*row, row[3])
    return (*row[:3], state.stage, state.status, *row[5:], state.furthest)
