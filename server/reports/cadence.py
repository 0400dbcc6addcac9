"""Cadence: A/B/C accounts past their owner's team's days at the period's end, per rep, with the list."""

from collections import Counter

from ..cadence import days_since
from ..models.vocab import ACCOUNT_CLASSES
from .reads import period_end
from .rows import canonical, natural_key, rep_keys, rep_name
from .rows import rep_row as _rep_row
from .standing import standing


def cadence(scope):
    """A/B/C accounts past their cadence (their owner's team's days, 7/14/30 by the method) at the end of the
    period, per rep, with the list."""
    as_of = period_end(scope)
    then = standing(scope, as_of)  # holders, classes, last contacts and days as they stood then
    keys = rep_keys(scope.rep_ids)
    cells = {(rep.id, c): {"total": 0, "overdue": 0} for rep in scope.reps for c in ACCOUNT_CLASSES}
    for (holder, account_class, overdue), count in Counter(row[:3] for row in then.accounts).items():
        cell = cells[keys[holder], account_class]
        cell["total"] += count
        cell["overdue"] += count if overdue else 0
    rows = []
    for rep in scope.reps:
        figures = {f"{c}_{k}": cells[rep.id, c][k] for c in ACCOUNT_CLASSES for k in ("total", "overdue")}
        rows.append({**_rep_row(rep), **figures, "overdue": sum(cells[rep.id, c]["overdue"] for c in ACCOUNT_CLASSES)})
    team = {f"{c}_{k}": sum(r[f"{c}_{k}"] for r in rows) for c in ACCOUNT_CLASSES for k in ("total", "overdue")}
    team["overdue"] = sum(r["overdue"] for r in rows)
    return {"rows": rows, "team": team, "as_of": as_of.isoformat(), "overdue_accounts": overdue_accounts(scope)[0]}


def overdue_accounts(scope, first=0, last=None):
    """The accounts past their cadence at the period's end, most overdue first, by the days past the cadence
    (not the days since contact: a C account 35 days unseen is 5 days late, an A account 20 days unseen 13);
    the rep's name, then the account's, break ties. Returns those from `first` up to `last` (a page: the
    others are only counted) and how many there are."""
    as_of = period_end(scope)
    then = standing(scope, as_of)
    keys = rep_keys(scope.rep_ids)
    reps = {rep.id: (str(rep.id), rep_name(rep), natural_key(rep_name(rep))) for rep in scope.reps}
    overdue = []
    for row in then.accounts:
        holder, account_class, past_due, _, name, contact, created_at = row
        if not past_due:
            continue
        rep = reps[keys[holder]]
        every = then.rules[keys[holder]].cadence(account_class)  # the owner's team's days for the class
        # Days past the day the next visit was due: the last contact (never visited: the account's creation)
        # plus its class's days.
        since = days_since(contact or created_at, as_of)
        late = None if since is None else since - every
        overdue.append((-(late if late is not None else 10**6), rep[2], name, row, rep, every, late))
    overdue.sort(key=lambda entry: entry[:3])
    return [_item(*entry[3:], as_of) for entry in overdue[first:last]], len(overdue)


def _item(row, rep, every, late, as_of):
    _, account_class, _, raw_id, name, contact, _ = row
    return {
        "account_id": canonical(raw_id),
        "name": name,
        "account_class": account_class,
        "rep_id": rep[0],
        "rep_name": rep[1],
        "days_since_contact": days_since(contact, as_of),
        "last_contact_at": contact.isoformat() if contact else None,
        "never_visited": contact is None,
        "cadence_days": every,
        "days_overdue": late,
    }
