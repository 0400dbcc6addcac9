"""An account's last contact: derived from its visits, written by the visit service alone, never a conflict.

The visit service calls `follow` once its visits' rows are written (flushed, same transaction):

- a new checked-in visit where the customer was met moves it forward only
  (`UPDATE … WHERE last_contact_at < :t`), to the check-in or to now, whichever is earlier: a phone whose
  clock runs ahead never sets it in the future;
- an edited or deleted visit whose check-in, meeting, cancellation or account changed recomputes it from the
  account's visits, the account row locked first (and the account it moved from, too).

Both are plain UPDATEs that leave the account's `version` alone: a derived value is not an edit,
so a rep's visit never makes a manager's account edit stale, nor the other way round (on PostgreSQL
the second writer waits for the row and then goes on). The change log gets a row for the account
(fields `["last_contact_at"]`, the account's current version), so the phones learn the new value.
"""

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.orm import attributes

from . import clock
from .changelog import provisional_numbers
from .models import Account, Change, Visit

# A change to any of these can move an account's last contact backward: it is then recomputed.
CONTACT_FIELDS = ("account_id", "check_in_at", "met", "cancelled_at")


def counts_as_contact(visit):
    return (
        visit.check_in_at is not None
        and visit.account_id is not None
        and visit.met is not False
        and visit.cancelled_at is None
    )


def effects(writes):
    """{account_id: None (recompute) or the instant a new visit moves it forward to}, for
    `writes`: (visit, before) pairs as the services pass them (`before` None on create,
    `{"deleted": True}` on delete, else the changed fields' earlier values)."""
    forward, recompute = {}, set()
    now = clock.now()
    for visit, before in writes:
        if before is None:
            if counts_as_contact(visit):
                contact = min(visit.check_in_at, now)
                if forward.get(visit.account_id) is None or forward[visit.account_id] < contact:
                    forward[visit.account_id] = contact
        elif before.get("deleted"):
            recompute.add(visit.account_id)
        elif any(key in before and before[key] != getattr(visit, key) for key in CONTACT_FIELDS):
            recompute.add(visit.account_id)
            if before.get("account_id") is not None:
                recompute.add(before["account_id"])
    moves = {account_id: at for account_id, at in forward.items() if account_id not in recompute}
    moves.update({account_id: None for account_id in recompute if account_id is not None})
    return moves


def follow(session, writes):
    """Move the last contact of the accounts that `writes` (see `effects`) concern."""
    moves = effects(writes)
    if not moves:
        return
    conn = session.connection()
    table = Account.__table__
    written = []
    for account_id, at in sorted(moves.items(), key=lambda item: str(item[0])):  # one lock order
        if at is None:
            # Lock the row before reading the visits, so a visit committed meanwhile is counted.
            locked = conn.execute(select(table.c.id).where(table.c.id == account_id).with_for_update()).first()
            if locked is None:
                continue
            value = _latest_contact(conn, account_id)
            stmt = update(table).where(table.c.id == account_id, table.c.last_contact_at.is_distinct_from(value))
        else:
            value = at
            stmt = update(table).where(
                table.c.id == account_id, (table.c.last_contact_at.is_(None)) | (table.c.last_contact_at < value)
            )
        row = conn.execute(stmt.values(last_contact_at=value).returning(table.c.version, table.c.owner_id)).first()
        if row is None:
            continue
        written.append((account_id, row.version, row.owner_id))
        account = session.identity_map.get(session.identity_key(Account, account_id))
        if account is not None:
            attributes.set_committed_value(account, "last_contact_at", value)
    if written:
        numbers = provisional_numbers(session, len(written))
        now = clock.now()
        conn.execute(
            insert(Change.__table__),
            [
                {
                    "seq": number,
                    "entity": "account",
                    "entity_id": account_id,
                    "op": "upsert",
                    "version": version,
                    "owner_id": owner,
                    "prev_owner_id": None,
                    "rep_id": None,
                    "fields": ["last_contact_at"],
                    "at": now,
                }
                for number, (account_id, version, owner) in zip(numbers, written)
            ],
        )


def _latest_contact(conn, account_id):
    visits = Visit.__table__
    latest = conn.execute(
        select(func.max(visits.c.check_in_at)).where(
            visits.c.account_id == account_id, visits.c.met.is_(True), visits.c.cancelled_at.is_(None)
        )
    ).scalar()
    return None if latest is None else min(latest, clock.now())


def as_of(session, accounts, at):
    """{account_id: its last contact as it stood at `at`} for `accounts` (rows with `id` and
    `last_contact_at`): the latest visit checked in by then where the customer was met and that was not
    cancelled, or, for an account without one, the stored last contact when it is no later (one taken
    over by an import). A report of a past period reads this, so work done since does not change it."""
    ids = [a.id for a in accounts]
    latest = {}
    visits = Visit.__table__
    for chunk in range(0, len(ids), 1000):
        latest.update(
            session.execute(
                select(visits.c.account_id, func.max(visits.c.check_in_at))
                .where(
                    visits.c.account_id.in_(ids[chunk : chunk + 1000]),
                    visits.c.met.is_(True),
                    visits.c.cancelled_at.is_(None),
                    visits.c.check_in_at <= at,
                )
                .group_by(visits.c.account_id)
            ).all()
        )
    out = {}
    for a in accounts:
        seen = latest.get(a.id)
        if seen is None and a.last_contact_at is not None and a.last_contact_at <= at:
            seen = a.last_contact_at
        out[a.id] = seen
    return out


def then(at):
    """`as_of` in SQL over Account: the account's last contact as it stood at `at`, its latest visit by then
    (one look-up in the visits' index per account, newest first), else the stored last contact when it is
    no later."""
    visits = Visit.__table__
    latest = (
        select(visits.c.check_in_at)
        .where(
            visits.c.account_id == Account.id,
            visits.c.check_in_at <= at,
            visits.c.cancelled_at.is_(None),
            visits.c.met.is_(True),
        )
        .order_by(visits.c.check_in_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(latest, case((Account.last_contact_at <= at, Account.last_contact_at)))
