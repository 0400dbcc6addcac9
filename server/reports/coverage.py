"""Coverage of a territory, at the end of the period:

- new accounts: those the rep took (created, or reassigned to them) in the 90 days before the end;
  the method asks that every one of them is seen face to face in that first quarter. Each counts as
  visited once a met visit by the rep follows the day they took it; the rest are listed;
- A/B/C coverage against cadence, week by week: of the accounts of a class, how many had a met
  visit within their cadence (A 7, B 14, C 30 days) before the end of each week of the period.
"""

import uuid
from collections import defaultdict, namedtuple
from datetime import datetime, time, timedelta

import numpy
from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from .. import clock
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
    # When the owner then took each account: its latest reassignment to them before the end, else its creation.
    moved = (AccountReassignment.to_owner_id.in_(scope.rep_ids), AccountReassignment.at < as_of)
    reassigned = dict(
        core_rows(
            select(raw_text(AccountReassignment.account_id), func.max(AccountReassignment.at))
            .where(*moved)
            .group_by(AccountReassignment.account_id)
        )
    )
    since = as_of - timedelta(days=FIRST_QUARTER_DAYS)
    # The accounts taken in the 90 days are among those created since, or moved to one of the reps: only those
    # are read (ids as the database's text, converted when listed); the others are counted by class.
    accounts = [
        _Account(i, name, keys[owner], cls, created)
        for i, name, owner, cls, created in core_rows(
            select(
                raw_text(Account.id),
                Account.name,
                raw_text(then.owner),
                then.account_class,
                Account.created_at,
            ).where(
                then.held,
                or_(Account.created_at >= since, Account.id.in_(select(AccountReassignment.account_id).where(*moved))),
            )
        )
    ]
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
    # Week by week, against each account's cadence then (its holder's team's days, server/team_settings.py).
    cadence = {rep.id: rules_as_of(scope, as_of) for rep in scope.reps}  # as it stood at the end
    ends, monday = [], week_start(scope.start)
    while monday <= scope.end:
        ends.append((monday, min(datetime.combine(monday + timedelta(days=7), time(0), scope.tz), as_of)))
        monday += timedelta(days=7)
    # The accounts held then that existed then, as the cadence report counts them: one added since is in no past week.
    existed = (then.held, Account.created_at <= as_of)
    covered = _covered_by_week(then, existed, cadence, [end for _, end in ends])
    held = select(then.account_class.label("cls")).where(*existed).subquery()
    totals = dict(core_rows(select(held.c.cls, func.count()).group_by(held.c.cls)))  # accounts by class then
    weeks = []
    for k, (monday, _) in enumerate(ends):
        row = {"week_start": monday.isoformat()}
        for cls in ACCOUNT_CLASSES:
            total, seen = totals.get(cls, 0), covered[cls][k]
            row.update({f"{cls}_accounts": total, f"{cls}_covered": seen, f"{cls}_pct": pct(seen, total)})
        weeks.append(row)
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


def _covered_by_week(then, existed, cadence, ends):
    """{class: [how many of the accounts `existed` picks (held then) had a met visit within their cadence before
    each of `ends`]}.

    An account is covered at an end when its last met visit before it is within its cadence: each visit
    answers for the ends after it up to its account's next visit, and of those for the ones within its
    cadence. The database gives each account's visits as one list of epoch seconds (thousands of rows, not
    one per visit); the ends each visit answers for are found for all of them at once (numpy)."""
    n = len(ends)
    if not cadence:  # no rep, no account
        return {cls: [0] * n for cls in ACCOUNT_CLASSES}
    days = _cadence_days(then, cadence)
    earliest = ends[0] - timedelta(days=max(rules.longest_cadence for rules in cadence.values()))
    # Each account's visits as one value of epoch seconds, read by a subquery per account from the visits'
    # index on (account, check-in): no sort or grouping of the year's visits as a GROUP BY over their join
    # needs on SQLite.
    stamps = (
        select(_Epochs(Visit.check_in_at))
        .where(
            Visit.account_id == Account.id,
            Visit.cancelled_at.is_(None),
            Visit.met.is_not(False),
            Visit.check_in_at >= earliest,
            Visit.check_in_at < ends[-1],
        )
        .scalar_subquery()
    )
    accounts = [
        row
        for row in core_rows(
            select(then.account_class, days, stamps).where(*existed, then.account_class.in_(ACCOUNT_CLASSES))
        )
        if row[2] is not None
    ]
    if not accounts or not n:
        return {cls: [0] * n for cls in ACCOUNT_CLASSES}
    classes, spans, stamps = zip(*accounts, strict=True)
    counts, at = _epoch_seconds(stamps)
    at, following = _in_time_order(at, numpy.repeat(numpy.arange(len(counts)), counts))
    bounds = numpy.array([end.timestamp() for end in ends])
    first = numpy.searchsorted(bounds, at, side="right")  # the first end after the visit
    until = numpy.searchsorted(bounds, following, side="right")  # ... up to the next visit
    span = numpy.repeat(numpy.array(spans), counts)
    for d in set(spans):  # ... and within the cadence
        mine = span == d
        cutoffs = numpy.array([(end - timedelta(days=d)).timestamp() for end in ends])
        until[mine] = numpy.minimum(until[mine], numpy.searchsorted(cutoffs, at[mine], side="right"))
    kind = numpy.repeat(numpy.array([ACCOUNT_CLASSES.index(c) for c in classes], dtype=numpy.int8), counts)
    covered = {}
    for k, cls in enumerate(ACCOUNT_CLASSES):
        mine = kind == k
        steps = numpy.bincount(first[mine], minlength=n + 1) - numpy.bincount(until[mine], minlength=n + 1)
        covered[cls] = [int(c) for c in numpy.cumsum(steps)[:n]]
    return covered


def _in_time_order(at, account):
    """Each account's instants in time order (`account` numbers them, its instants one after another), and each
    one's next instant of the same account (none: infinity). The database reads them from an index in that
    order already: they are sorted only when not."""
    same = account[1:] == account[:-1]
    if (at[1:][same] < at[:-1][same]).any():
        at = at[numpy.lexsort((at, account))]
    following = numpy.full(len(at), numpy.inf)
    following[:-1][same] = at[1:][same]
    return at, following


class _Epochs(FunctionElement):
    """An aggregate of instants as seconds since the epoch: on PostgreSQL the float8 of each, 8 bytes big-endian
    one after another (read as they come, nothing to parse: the text of a team's year of visits took longer to
    parse than to query); on SQLite their whole seconds as text, comma-separated (`unixepoch`, a third of the
    time `strftime('%s')` takes)."""

    inherit_cache = True


@compiles(_Epochs, "postgresql")
def _epochs_postgresql(element, compiler, **kw):
    return f"string_agg(float8send(date_part('epoch', {compiler.process(element.clauses, **kw)})), ''::bytea)"


@compiles(_Epochs, "sqlite")
def _epochs_sqlite(element, compiler, **kw):
    return f"group_concat(unixepoch({compiler.process(element.clauses, **kw)}), ',')"


def _epoch_seconds(values):
    """(how many instants each value of `_Epochs` holds, all of them as one float array in that order)."""
    if isinstance(values[0], bytes | memoryview):
        blob = b"".join(values)
        return [len(v) // 8 for v in values], numpy.frombuffer(blob, dtype=">f8").astype(float)
    return [v.count(",") + 1 for v in values], numpy.fromstring(",".join(values), dtype=float, sep=",")


def _cadence_days(then, cadence):
    """The days of the account's class by its holder's team then, as SQL (the classes of ACCOUNT_CLASSES)."""
    teams = defaultdict(list)  # the days of each class -> the reps whose team had them
    for rep_id, rules in cadence.items():
        teams[tuple(sorted(rules.cadence_days.items()))].append(rep_id)
    whens = []
    for days, reps in teams.items():
        holder = then.owner.in_(reps) if len(teams) > 1 else true()
        whens += [(and_(holder, then.account_class == cls), d) for cls, d in days]
    return case(*whens)
