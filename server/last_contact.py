"""An account's last contact: derived from its visits, written in one place, never a conflict.

Every flush that writes visits moves the last contact of the accounts they concern, after the
visits' own rows are written (`after_flush`, in the same transaction):

- a new checked-in visit where the customer was met moves it forward only (`UPDATE … WHERE last_contact_at < :t`), to the
  check-in or to now, whichever is earlier: a phone whose clock runs ahead never sets it in the future;
- an edited or deleted visit recomputes it from the account's visits, the account row locked first.

Both are plain UPDATEs that leave the account's `version` alone: a derived value is not an edit,
so a rep's visit never makes a manager's account edit stale, nor the other way round (on PostgreSQL
the second writer waits for the row and then goes on). The change log gets a row for the account
(fields `["last_contact_at"]`, the account's current version), so the phones learn the new value.
"""
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import attributes

from . import clock
from .models import Account, Change, Visit


def _effects(session):
    """{account_id: None (recompute) or the instant a new visit may move it forward to}."""
    forward, recompute = {}, set()
    now = clock.now()
    for obj in session.new:
        if (isinstance(obj, Visit) and obj.check_in_at is not None and obj.account_id is not None
                and obj.met is not False and obj.cancelled_at is None):
            contact = min(obj.check_in_at, now)
            if obj.account_id not in forward or forward[obj.account_id] < contact:
                forward[obj.account_id] = contact
    for obj in list(session.dirty) + list(session.deleted):
        if not isinstance(obj, Visit):
            continue
        state = attributes.instance_state(obj)
        moved = state.attrs.account_id.history
        if obj in session.deleted or moved.has_changes() or any(
                state.attrs[name].history.has_changes() for name in ("check_in_at", "met", "cancelled_at")):
            recompute.add(obj.account_id)
            recompute.update(a for a in moved.deleted if a is not None)
    effects = {account_id: at for account_id, at in forward.items() if account_id not in recompute}
    effects.update({account_id: None for account_id in recompute if account_id is not None})
    return effects


def apply(session, take_numbers):
    """Write the last contacts this flush moves; `take_numbers(n)` gives change numbers."""
    effects = _effects(session)
    if not effects:
        return
    conn = session.connection()
    table = Account.__table__
    written = []
    for account_id, at in sorted(effects.items(), key=lambda item: str(item[0])):  # one lock order
        if at is None:
            # Lock the row before reading the visits, so a visit committed meanwhile is counted.
            locked = conn.execute(select(table.c.id).where(table.c.id == account_id).with_for_update()).first()
            if locked is None:
                continue
            visits = Visit.__table__
            latest = conn.execute(select(func.max(visits.c.check_in_at)).where(
                visits.c.account_id == account_id, visits.c.met.is_(True), visits.c.cancelled_at.is_(None))).scalar()
            value = None if latest is None else min(latest, clock.now())
            stmt = update(table).where(table.c.id == account_id, table.c.last_contact_at.is_distinct_from(value))
        else:
            value = at
            stmt = update(table).where(table.c.id == account_id,
                                       (table.c.last_contact_at.is_(None)) | (table.c.last_contact_at < value))
        row = conn.execute(stmt.values(last_contact_at=value).returning(table.c.version, table.c.owner_id)).first()
        if row is None:
            continue
        written.append((account_id, row.version, row.owner_id))
        account = session.identity_map.get(session.identity_key(Account, account_id))
        if account is not None:
            attributes.set_committed_value(account, "last_contact_at", value)
    if written:
        first = take_numbers(len(written))
        now = clock.now()
        conn.execute(insert(Change.__table__), [
            {"seq": first + n, "entity": "account", "entity_id": account_id, "op": "upsert", "version": version,
             "owner_id": owner, "prev_owner_id": None, "rep_id": None, "fields": ["last_contact_at"], "at": now}
            for n, (account_id, version, owner) in enumerate(written)])
