"""Coverage of a territory, at the end of the period:

- new accounts: those the rep took (created, or reassigned to them) in the 90 days before the end;
  the method asks that every one of them is seen face to face in that first quarter. Each counts as
  visited once a met visit by the rep follows the day they took it; the rest are listed;
- A/B/C coverage against cadence, week by week: of the accounts of a class, how many had a met
  visit within their cadence (A 7, B 14, C 30 days) before the end of each week of the period.
"""

import uuid
from bisect import bisect_left
from collections import defaultdict, namedtuple
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from .. import clock
from ..fastpaths import epoch
from ..models import Account, AccountReassignment, Visit
from ..models.vocab import ACCOUNT_CLASSES
from .asof import as_of as accounts_as_of
from .asof import rules_as_of
from .rows import canonical, core_rows, pct, raw_text, rep_keys, rep_name, rep_row
from .timesplit import week_start

FIRST_QUARTER_DAYS = 90
_Account = namedtuple("_Account", "id name owner_id account_class created_at")


def coverage(scope):
    as_of = min(scope.end_utc, clock.now())
    owners, keys = {rep.id: rep for rep in scope.reps}, rep_keys(scope.rep_ids)
    then = accounts_as_of(scope, as_of)  # each account's holder and class at the end: later changes change nothing
    # Account ids stay as the database's text (thousands of rows): only the listed ones are converted.
    accounts = [
        _Account(i, name, keys[owner], cls, created)
        for i, name, owner, cls, created in core_rows(
            select(
                raw_text(Account.id),
                Account.name,
                raw_text(then.owner),
                then.account_class,
                Account.created_at,
            ).where(then.held)
        )
    ]
    # When the owner then took each account: its latest reassignment to them before the end, else its creation.
    reassigned = dict(
        core_rows(
            select(raw_text(AccountReassignment.account_id), func.max(AccountReassignment.at))
            .where(AccountReassignment.to_owner_id.in_(scope.rep_ids), AccountReassignment.at < as_of)
            .group_by(AccountReassignment.account_id)
        )
    )
    since = as_of - timedelta(days=FIRST_QUARTER_DAYS)
    took = {a.id: _later(reassigned.get(a.id), a.created_at) for a in accounts}
    fresh = [a for a in accounts if since <= took[a.id] < as_of]
    visits = defaultdict(list)  # new account -> [(check-in, rep)]
    for account_id, rep_id, at in core_rows(
        select(raw_text(Visit.account_id), Visit.rep_id, Visit.check_in_at).where(
            Visit.account_id.in_([uuid.UUID(a.id) for a in fresh]),
            Visit.cancelled_at.is_(None),
            Visit.met.is_not(False),
            Visit.check_in_at >= since,
            Visit.check_in_at < as_of,
        )
    ):
        visits[account_id].append((at, rep_id))
    new = defaultdict(lambda: {"new_accounts": 0, "visited": 0, "unvisited": []})
    for a in fresh:
        cell = new[a.owner_id]
        cell["new_accounts"] += 1
        if any(at >= took[a.id] and rep == a.owner_id for at, rep in visits[a.id]):
            cell["visited"] += 1
        else:
            rep = owners.get(a.owner_id)
            cell["unvisited"].append(
                {
                    "account_id": canonical(a.id),
                    "name": a.name,
                    "account_class": a.account_class,
                    "rep_name": rep_name(rep),
                    "taken_on": took[a.id].astimezone(scope.tz).date().isoformat(),
                }
            )
    rows = []
    for rep in scope.reps:
        cell = new[rep.id]
        rows.append(
            {
                **rep_row(rep),
                "new_accounts": cell["new_accounts"],
                "new_visited": cell["visited"],
                "new_coverage_pct": pct(cell["visited"], cell["new_accounts"]),
            }
        )
    team = {"new_accounts": sum(r["new_accounts"] for r in rows), "new_visited": sum(r["new_visited"] for r in rows)}
    team["new_coverage_pct"] = pct(team["new_visited"], team["new_accounts"])
    # Week by week: each account's met visits from a cadence before the first week, as epoch seconds
    # straight from the database (tens of thousands of rows: no datetime per row).
    first_week = datetime.combine(week_start(scope.start), time(0), scope.tz)
    # Each account by its owner's team's cadence (server/team_settings.py).
    cadence = {rep.id: rules_as_of(scope, rep, as_of) for rep in scope.reps}  # as it stood at the end
    earliest = first_week - timedelta(days=max([s.longest_cadence for s in cadence.values()] or [0]))
    times = defaultdict(list)
    for raw_id, at in core_rows(
        select(raw_text(Visit.account_id), epoch(Visit.check_in_at))
        .join(Account, Account.id == Visit.account_id)
        .where(
            then.held,
            Visit.cancelled_at.is_(None),
            Visit.met.is_not(False),
            Visit.check_in_at >= earliest,
            Visit.check_in_at < as_of,
        )
    ):
        times[raw_id].append(at)
    for ordered in times.values():
        ordered.sort()
    by_class = defaultdict(lambda: defaultdict(list))  # class -> its cadence days -> [visit times]
    for a in accounts:
        by_class[a.account_class][cadence[a.owner_id].cadence(a.account_class)].append(times.get(a.id, ()))
    weeks = []
    monday = week_start(scope.start)
    while monday <= scope.end:
        end = min(datetime.combine(monday + timedelta(days=7), time(0), scope.tz), as_of)
        row = {"week_start": monday.isoformat()}
        for cls in ACCOUNT_CLASSES:
            groups = by_class[cls]
            total = sum(len(mine) for mine in groups.values())
            covered = sum(
                _covered(mine, (end - timedelta(days=days)).timestamp(), end.timestamp())
                for days, mine in groups.items()
            )
            row.update({f"{cls}_accounts": total, f"{cls}_covered": covered, f"{cls}_pct": pct(covered, total)})
        weeks.append(row)
        monday += timedelta(days=7)
    unvisited = sorted(
        (i for rep in scope.reps for i in new[rep.id]["unvisited"]), key=lambda i: (i["rep_name"] or "", i["name"])
    )
    return {
        "rows": rows,
        "team": team,
        "weeks": weeks,
        "unvisited_new": unvisited,
        "first_quarter_days": FIRST_QUARTER_DAYS,
    }


def _later(a, b):
    return b if a is None else a if b is None else max(a, b)


def _covered(accounts, start, end):
    """How many of the accounts' time-ordered lists of visits hold an instant in [start, end)."""
    count = 0
    for ordered in accounts:
        i = bisect_left(ordered, start)
        count += i < len(ordered) and ordered[i] < end
    return count
