"""The method's qualification rules as a manager's lists, at the end of the period:

- a prospect is judged within three visits: an account with 3 or more visits whose opportunities
  never got past P (none at A, D, C or O, none won or lost) is "undecided";
- the prospect horizon is 180 days: an open opportunity expected to close later than that is flagged;
- an opportunity does not sit at C (the proposal) for more than 30 days.
"""
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import Account, Opportunity, StageChange, Visit, utcnow
from .rows import rep_name, rep_row

JUDGE_WITHIN_VISITS = 3
HORIZON_DAYS = 180
C_STAGE_DAYS = 30
DECIDED = ("A", "D", "C", "O")


def qualification(scope):
    as_of = min(scope.end_utc, utcnow())
    owners = {rep.id: rep for rep in scope.reps}
    mine = Account.owner_id.in_(scope.rep_ids)
    # Each opportunity and visit count comes with its account's name and owner (the account as it is now).
    opportunities = db.session.execute(
        select(Opportunity.id, Opportunity.account_id, Opportunity.title, Opportunity.stage, Opportunity.status,
               Opportunity.expected_close, Opportunity.opened_at, Account.name, Account.owner_id)
        .join(Account, Account.id == Opportunity.account_id).where(mine, Opportunity.opened_at < as_of)).all()
    decided = {o.account_id for o in opportunities if o.status != "open" or o.stage in DECIDED}
    # Only accounts seen three times or more can be undecided: the database counts and keeps those.
    seen = db.session.execute(
        select(Visit.account_id, Account.name, Account.owner_id, func.count()).join(Account, Account.id == Visit.account_id)
        .where(mine, Visit.cancelled_at.is_(None), Visit.check_in_at.is_not(None), Visit.check_in_at < as_of)
        .group_by(Visit.account_id, Account.name, Account.owner_id).having(func.count() >= JUDGE_WITHIN_VISITS)).all()
    at_c = [o.id for o in opportunities if o.stage == "C" and o.status == "open"]
    entered_c = dict(db.session.execute(
        select(StageChange.opportunity_id, func.max(StageChange.changed_at))
        .where(StageChange.to_stage == "C", StageChange.changed_at < as_of, StageChange.opportunity_id.in_(at_c))
        .group_by(StageChange.opportunity_id)).all()) if at_c else {}
    lists = defaultdict(lambda: {"undecided": [], "beyond_horizon": [], "stale_at_c": []})

    def entry(account_id, name, owner_id, **more):
        return {"account_id": str(account_id), "name": name, "rep_id": str(owner_id),
                "rep_name": rep_name(owners.get(owner_id)), **more}

    for account_id, name, owner_id, count in seen:
        if account_id not in decided:
            lists[owner_id]["undecided"].append(entry(account_id, name, owner_id, visits=count))
    horizon = (as_of + timedelta(days=HORIZON_DAYS)).astimezone(scope.tz).date()
    for o in opportunities:
        if o.status != "open":
            continue
        if o.expected_close is not None and o.expected_close > horizon:
            lists[o.owner_id]["beyond_horizon"].append(entry(
                o.account_id, o.name, o.owner_id, opportunity_id=str(o.id), title=o.title, stage=o.stage,
                expected_close=o.expected_close.isoformat()))
        if o.stage == "C":
            since = entered_c.get(o.id) or o.opened_at
            days = (as_of - since).days
            if days > C_STAGE_DAYS:
                lists[o.owner_id]["stale_at_c"].append(entry(
                    o.account_id, o.name, o.owner_id, opportunity_id=str(o.id), title=o.title, days_at_c=days))
    rows = []
    for rep in scope.reps:
        mine = lists[rep.id]
        rows.append({**rep_row(rep), **{kind: len(items) for kind, items in mine.items()}})
    team = {kind: sum(r[kind] for r in rows) for kind in ("undecided", "beyond_horizon", "stale_at_c")}
    every = {kind: sorted((item for rep in scope.reps for item in lists[rep.id][kind]),
                          key=lambda i: (i["rep_name"] or "", i["name"])) for kind in team}
    return {"rows": rows, "team": team, "as_of": as_of.isoformat(), **{f"{kind}_list": items for kind, items in every.items()},
            "rules": {"judge_within_visits": JUDGE_WITHIN_VISITS, "horizon_days": HORIZON_DAYS,
                      "c_stage_days": C_STAGE_DAYS}}
