"""Record every change to a synced record in the change log, in the same transaction.

Code that writes synced records says so: it runs inside `recorded(session)`, and every flush there
writes the change rows of what it flushes. A flush of a synced record outside such a block raises
`UnrecordedChange` and writes nothing, so a write path that forgot the phones fails loudly instead
of leaving them behind. Nothing here writes domain data.

Numbers come from one counter row that each write transaction updates (and so
locks until it commits): transactions that write changes commit in number order,
so a reader that has seen number N has seen every change up to N, on PostgreSQL
as on SQLite. Each change row notes whose territory the record is in (and was in,
after a reassignment) so a pull can pick the caller's changes without leaking others'.
"""

import uuid
from contextlib import contextmanager
from functools import cache

from sqlalchemy import BigInteger, bindparam, event, insert, inspect, select, update
from sqlalchemy.orm import scoped_session

from sync import entities as declared

from .models import Account, Change, RoutePlan, RouteStop, SyncState, utcnow


@cache
def _models():
    """(model -> declared entity, account children): read from the sync endpoints' bindings on first use,
    when every service module is loaded (they import this module)."""
    from .sync_api.entities import ENTITIES

    of = {e.model: e.declared for e in ENTITIES.values()}
    children = tuple((model, e) for model, e in of.items() if e.territory == declared.ACCOUNT)
    return of, children


def entity_of(obj):
    """The declared entity of a record, or None when it is not synced."""
    return _models()[0].get(type(obj))


def _changed_fields(obj):
    state = inspect(obj)
    return sorted(
        attr.key
        for attr in state.mapper.column_attrs
        if attr.key not in ("version", "updated_at") and state.attrs[attr.key].history.has_changes()
    )


def _account_owner(session, account_id):
    account = session.get(Account, account_id)
    return account.owner_id if account is not None else None


def _whose(session, obj):
    """(owner_id, rep_id) of a record: the territory it sits in and its author, as its entity declares."""
    territory = entity_of(obj).territory
    if territory == declared.OWN:
        return obj.owner_id, None
    if territory == declared.REP:
        return obj.rep_id, obj.rep_id
    owner = _account_owner(session, obj.account_id)
    return owner, getattr(obj, "rep_id", None)


def _subtree(session, account_id):
    """Every record in an account's territory. A record hung off another child (a visit's photos) is looked
    for only when the account has such parents."""
    found = {"account"}
    for model, entity in _models()[1]:
        if entity.parent not in found:
            continue
        rows = session.scalars(select(model).where(model.account_id == account_id)).all()
        if rows:
            found.add(entity.name)
        yield from rows


def _hung_off(session, obj):
    """The records declared with this record's entity as their parent (a visit's photos)."""
    name = entity_of(obj).name
    for model, entity in _models()[1]:
        if entity.parent == name:
            yield from session.scalars(select(model).where(getattr(model, f"{name}_id") == obj.id))


def _collect(session):
    """List (op, obj, fields, version, owner, prev_owner, rep) for what this flush writes."""
    out = []
    for obj in list(session.new):
        if entity_of(obj) is not None:
            if obj.id is None:
                obj.id = uuid.uuid4()
            owner, rep = _whose(session, obj)
            out.append(("upsert", obj, None, obj.version or 1, owner, None, rep))
    touched_plans = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, RouteStop):
            touched_plans.add(obj.route_plan_id or (obj.plan.id if obj.plan is not None else None))
    for obj in list(session.dirty):
        if entity_of(obj) is None or not session.is_modified(obj, include_collections=False):
            if isinstance(obj, RoutePlan):
                touched_plans.add(obj.id)
            continue
        fields = _changed_fields(obj)
        if not fields:
            continue
        owner, rep = _whose(session, obj)
        prev = None
        if isinstance(obj, Account) and "owner_id" in fields:
            deleted = inspect(obj).attrs.owner_id.history.deleted
            prev = deleted[0] if deleted else None
            for child in _subtree(session, obj.id):
                out.append(("upsert", child, [], child.version, owner, prev, getattr(child, "rep_id", None)))
        elif "account_id" in fields and entity_of(obj).territory == declared.ACCOUNT:
            # Moved to another account (an opportunity, a contact...): the old account's holder hears of it
            # too, so their phone drops what left their territory.
            deleted = inspect(obj).attrs.account_id.history.deleted
            old_owner = _account_owner(session, deleted[0]) if deleted and deleted[0] is not None else None
            prev = old_owner if old_owner != owner else None
        if isinstance(obj, RoutePlan) and obj.id in touched_plans:
            fields = sorted({*fields, "stops"})  # its stops were written in the same flush
        out.append(("upsert", obj, fields, (obj.version or 0) + 1, owner, prev, rep))
        touched_plans.discard(getattr(obj, "id", None))
    for plan_id in touched_plans - {None}:
        plan = session.get(RoutePlan, plan_id)
        if plan is not None and plan not in session.deleted and plan not in session.new:
            out.append(("upsert", plan, ["stops"], plan.version, plan.rep_id, None, plan.rep_id))
    for obj in list(session.deleted):
        if entity_of(obj) is None:
            continue
        owner, rep = _whose(session, obj)
        # The database cascades what hangs off the record away; the phones need a tombstone for each.
        children = _subtree(session, obj.id) if isinstance(obj, Account) else _hung_off(session, obj)
        for child in children:
            if child not in session.deleted:
                out.append(("delete", child, None, child.version, owner, None, getattr(child, "rep_id", None)))
        out.append(("delete", obj, None, obj.version, owner, None, rep))
    return out


def lock_counter(session):
    """Take the counter's row lock now, before any record row is locked.

    Locks are always taken in one order, a sync client's row, then the counter, then records, so
    two writers never wait for each other in a circle: a write that locks a record to read it
    (an update, a delete) takes the counter first, as every flush that logs a change takes it anyway."""
    state = SyncState.__table__
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        # SQLite ignores FOR UPDATE and locks only at a transaction's first write: this write takes
        # its one write lock now, so what the caller reads next stays current until it commits.
        conn.execute(update(state).where(state.c.id == 1).values(counter=state.c.counter))
    else:
        conn.execute(select(state.c.counter).where(state.c.id == 1).with_for_update())


class MissingCounter(RuntimeError):
    """The change counter's row, which the schema's migrations create, is not there."""

    def __init__(self):
        super().__init__("The sync_state row is missing: the database was not built by `flask db upgrade`.")


# A Core statement, built once: no ORM bookkeeping on the hot path of every write.
_TAKE_NUMBERS = (
    update(SyncState.__table__)
    .where(SyncState.__table__.c.id == 1)
    .values(counter=SyncState.__table__.c.counter + bindparam("count", type_=BigInteger))
    .returning(SyncState.__table__.c.counter)
)


def next_numbers(session, count):
    """Take `count` change numbers; the counter row stays locked until this transaction ends."""
    head = session.connection().execute(_TAKE_NUMBERS, {"count": count}).scalar()
    if head is None:
        raise MissingCounter()
    return head - count + 1


RECORDING = "fieldday.recording"


@contextmanager
def recorded(session):
    """Write the change rows of the synced records flushed inside this block (blocks may nest)."""
    target = session() if isinstance(session, scoped_session) else session  # the block's own session
    target.info[RECORDING] = target.info.get(RECORDING, 0) + 1
    try:
        yield target
    finally:
        target.info[RECORDING] -= 1


class UnrecordedChange(RuntimeError):
    """A synced record was flushed outside `recorded(...)`: the phones would never learn of it."""

    def __init__(self, entity, record_id):
        super().__init__(
            f"The {entity} {record_id} was written outside changelog.recorded(): "
            "wrap the write and its commit in `with recorded(db.session):`."
        )


def init_app(app, session):
    """Hook the change log into the app's sessions, once. It writes change rows only, never domain data."""
    if not event.contains(session, "before_flush", _log_changes):
        event.listen(session, "before_flush", _log_changes)


def _log_changes(session, _flush_context, _instances):
    with session.no_autoflush:
        pending = _collect(session)
        if not pending:
            return
        if not session.info.get(RECORDING):
            _op, obj, *_ = pending[0]
            raise UnrecordedChange(entity_of(obj).name, obj.id)
        first = next_numbers(session, len(pending))
    now = utcnow()
    # Written straight away in the flush's transaction: plain rows, no unit-of-work bookkeeping.
    session.connection().execute(
        insert(Change.__table__),
        [
            {
                "seq": first + offset,
                "entity": entity_of(obj).name,
                "entity_id": obj.id,
                "op": op,
                "version": version or 1,
                "owner_id": owner,
                "prev_owner_id": prev,
                "rep_id": rep,
                "fields": fields,
                "at": now,
            }
            for offset, (op, obj, fields, version, owner, prev, rep) in enumerate(pending)
        ],
    )
