"""Record every change to a synced record in the change log, in the same transaction.

Code that writes synced records says so: it runs inside `recorded(session)`, and every flush there
writes the change rows of what it flushes. A flush of a synced record outside such a block raises
`UnrecordedChange` and writes nothing, so a write path that forgot the phones fails loudly instead
of leaving them behind. Nothing here writes domain data.

Numbers are given at commit, in commit order. A flush writes its change rows at once (so the
transaction's own reads of the log see them, and a rolled-back savepoint takes its rows with it) under
provisional numbers: negative, unique among the transactions in flight (the connection's backend id
and a count), in the order written. The last thing before COMMIT (`before_commit`) takes as many real
numbers from one counter row (`sync_state`, id 1) as the transaction's rows that survived, and renumbers
them in that order. The counter row stays locked from there to the end of the commit: numbers are
gapless, transactions commit in number order, and so a reader that has seen number N has seen every
change up to N, on PostgreSQL as on SQLite. The holder of the counter waits for no other lock after
taking it (it only renumbers its own rows and commits), so the counter can take part in no deadlock,
and it is held for a renumbering and a commit, not for the whole write: writers of other records (another
team's) overlap up to their commits. Each change row notes whose territory the record is in (and was in,
after a reassignment) so a pull can pick the caller's changes without leaking others'.

A user moved to another team, or given another role, changes what some phones may hold without any record
changing: the managers of the team they left and of the one they joined (and the user, when they manage) read
under the old scope. The same flush writes a `scope` row naming each of those users (sync.protocol.SCOPE), numbered
as any change, and their phones' older cursors reset (sync_api/services.py).
"""

import hashlib
import random
import uuid
from contextlib import contextmanager
from functools import cache

from sqlalchemy import BigInteger, bindparam, event, func, insert, inspect, select, text, update
from sqlalchemy.orm import scoped_session

from sync import entities as declared
from sync.protocol import SCOPE

from .models import Account, Change, RoutePlan, RouteStop, SyncState, User, utcnow


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


def write_lock(session, *key):
    """Take what makes the caller's read-then-write safe from other writers, before it reads.

    On SQLite: the database's one write lock. SQLite ignores FOR UPDATE and locks only at a transaction's
    first write: this write takes its write lock at once, so what the caller reads next stays current until
    it commits. On PostgreSQL the caller's row locks (FOR UPDATE) do that for rows that exist; a `key`
    (e.g. "route_plan", a rep's id, a day) also takes a lock on that name until the transaction ends, so two
    writers of a record that may not exist yet (or of rows derived from others) take turns. Nothing global
    is taken: the change counter is taken at commit only (see the module's docstring)."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        state = SyncState.__table__
        conn.execute(update(state).where(state.c.id == 1).values(counter=state.c.counter))
    elif key:
        name_lock(conn, *key)


def name_lock(conn, *key):
    """PostgreSQL: lock the name `key` until this transaction ends (a transaction-scoped advisory lock on a
    64-bit hash of it); nothing on SQLite, whose writers never overlap."""
    if conn.dialect.name == "postgresql":
        digest = hashlib.blake2b(repr(tuple(str(part) for part in key)).encode(), digest_size=8).digest()
        conn.execute(_NAME_LOCK, {"key": int.from_bytes(digest, "big", signed=True)})


_NAME_LOCK = select(func.pg_advisory_xact_lock(bindparam("key", type_=BigInteger)))


class MissingCounter(RuntimeError):
    """The change counter's row, which the schema's migrations create, is not there."""

    def __init__(self):
        super().__init__("The sync_state row is missing: the database was not built by `flask db upgrade`.")


# Core statements, built once: no ORM bookkeeping on the hot path of every write.
_STATE = SyncState.__table__
_CHANGES = Change.__table__
# This transaction's rows: its provisional numbers lie in [low, high] (no other transaction's do, and
# committed rows have real numbers). A range, not `seq < 0`: the renumbered rows' dead index entries
# (until vacuum) sit below zero too, and a scan of all of them would cost more than the write.
_MINE = _CHANGES.c.seq.between(bindparam("low", type_=BigInteger), bindparam("high", type_=BigInteger))
# As many numbers as the transaction's rows (those a rolled-back savepoint removed are gone).
_TAKE_NUMBERS = (
    update(_STATE)
    .where(_STATE.c.id == 1)
    .values(counter=_STATE.c.counter + select(func.count()).select_from(_CHANGES).where(_MINE).scalar_subquery())
    .returning(_STATE.c.counter)
)
# Their real numbers, ending at the counter's new head, in the order written: the row written last (the
# lowest provisional number) gets the head, the one before it head - 1, and so on.
_ORDERED = (
    select(
        _CHANGES.c.seq.label("old"),
        (bindparam("head", type_=BigInteger) + 1 - func.row_number().over(order_by=_CHANGES.c.seq)).label("new"),
    )
    .where(_MINE)
    .subquery()
)
_RENUMBER = update(_CHANGES).where(_CHANGES.c.seq == _ORDERED.c.old).values(seq=_ORDERED.c.new)
# PostgreSQL does both in one statement: under load each round trip in the lock costs a wait for a CPU.
_NUMBER_AT_ONCE = text(
    "WITH taken AS (UPDATE sync_state SET counter = counter"
    " + (SELECT count(*) FROM changes WHERE seq BETWEEN :low AND :high) WHERE id = 1 RETURNING counter),"
    " mine AS (SELECT seq AS old, row_number() OVER (ORDER BY seq) AS n FROM changes"
    " WHERE seq BETWEEN :low AND :high)"
    " UPDATE changes SET seq = taken.counter + 1 - mine.n FROM taken, mine WHERE changes.seq = mine.old"
)
_COUNT_MINE = select(func.count()).select_from(_CHANGES).where(_MINE)

PROVISIONAL = "fieldday.provisional"  # session.info: (low, high), this transaction's provisional numbers
NUMBERED = "fieldday.numbered"  # session.info: this transaction's changes have their numbers
_SPAN = 2**32  # provisional numbers per connection (a new one starts at a random place among them)


def _next_provisional(conn, count):
    """The connection's next `count` provisional numbers, each below the one before: minus (a number no
    other connection to the database has while this one lives, PostgreSQL's backend pid, 0 on SQLite whose
    writers never overlap, times _SPAN, plus a count kept with the pooled connection that never goes back,
    so no number is used twice while the dead index entries of its last use may still be there)."""
    info = conn.info
    if "fieldday.provisional" not in info:
        if conn.dialect.name == "postgresql":
            pid = getattr(getattr(conn.connection.dbapi_connection, "info", None), "backend_pid", None)
            pid = pid or conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        else:
            pid = 0
        info["fieldday.provisional"] = pid * _SPAN + random.randrange(_SPAN // 2)
    given = info["fieldday.provisional"]
    info["fieldday.provisional"] = given + count
    return [-(given + n) for n in range(1, count + 1)]


def provisional_numbers(session, count):
    """`count` provisional change numbers for rows written now, in order (each one below the one before,
    all negative); `before_commit` gives them their real numbers, in the same order."""
    numbers = _next_provisional(session.connection(), count)
    low, high = session.info.get(PROVISIONAL, (numbers[-1], numbers[0]))
    session.info[PROVISIONAL] = (min(low, numbers[-1]), max(high, numbers[0]))
    return numbers


def number_changes(session):
    """Give this transaction's change rows their real numbers: the last step before its COMMIT. The
    counter row is locked from here to the end of the commit."""
    mine = session.info.pop(PROVISIONAL, None)
    if mine is None:
        return
    session.info[NUMBERED] = True  # nothing more may be logged before the commit
    conn = session.connection()
    span = {"low": mine[0], "high": mine[1]}
    if conn.dialect.name == "postgresql":
        # None renumbered: all were rolled back with savepoints, or the counter's row is missing.
        if not conn.execute(_NUMBER_AT_ONCE, span).rowcount and conn.execute(_COUNT_MINE, span).scalar():
            raise MissingCounter()
        return
    head = conn.execute(_TAKE_NUMBERS, span).scalar()
    if head is None:
        raise MissingCounter()
    conn.execute(_RENUMBER, {**span, "head": head})


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
        event.listen(session, "before_commit", _number_at_commit)
        event.listen(session, "after_transaction_end", _forget)


def _write_rows(session, rows):
    """Write change rows (dicts of their columns but the number and the instant) under provisional numbers, in
    order, straight away in the flush's transaction: plain rows, no unit-of-work bookkeeping."""
    if session.info.get(NUMBERED):
        raise RuntimeError("A change was flushed after its transaction's changes were numbered for the commit.")
    numbers = provisional_numbers(session, len(rows))
    now = utcnow()
    session.connection().execute(
        insert(Change.__table__), [{**row, "seq": number, "at": now} for number, row in zip(numbers, rows)]
    )


def _number_at_commit(session):
    if session.in_nested_transaction():
        return  # a savepoint's release: its rows wait for the transaction's commit
    session.flush()  # what the commit would flush next logs its changes first
    number_changes(session)


def _forget(session, transaction):
    if transaction.parent is None:
        session.info.pop(PROVISIONAL, None)
        session.info.pop(NUMBERED, None)


def _scope_changed(session):
    """The ids of the users whose scope this flush changes: for each user whose team or role changes, the managers
    of the team left and of the team joined, and the user when they manage (before or after)."""
    teams, users = set(), set()
    for obj in session.dirty:
        if not isinstance(obj, User):
            continue
        state = inspect(obj)
        team, role = state.attrs.team_id.history, state.attrs.role.history
        if not (team.has_changes() or role.has_changes()):
            continue
        teams |= {t for t in (*team.deleted, *team.unchanged, *team.added) if t is not None}
        if "manager" in (*role.deleted, *role.unchanged, *role.added):
            users.add(obj.id)
    if teams:
        managers = select(User.id).where(User.team_id.in_(teams), User.role == "manager")
        users |= set(session.scalars(managers))
    return sorted(users - {None}, key=str)


def _log_changes(session, _flush_context, _instances):
    with session.no_autoflush:
        rescoped = _scope_changed(session)
        pending = _collect(session)
        if rescoped:  # no record: these need no `recorded` block
            _write_rows(session, [{"entity": SCOPE, "entity_id": u, "op": "reset", "version": 1} for u in rescoped])
        if not pending:
            return
        if not session.info.get(RECORDING):
            _op, obj, *_ = pending[0]
            raise UnrecordedChange(entity_of(obj).name, obj.id)
        _write_rows(
            session,
            [
                {
                    "entity": entity_of(obj).name,
                    "entity_id": obj.id,
                    "op": op,
                    "version": version or 1,
                    "owner_id": owner,
                    "prev_owner_id": prev,
                    "rep_id": rep,
                    "fields": fields,
                }
                for op, obj, fields, version, owner, prev, rep in pending
            ],
        )
