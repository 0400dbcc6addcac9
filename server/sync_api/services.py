"""Pull and push: the protocol's decisions (sync/) applied to the database."""

import time
import uuid
from datetime import timedelta
from functools import cache

from marshmallow import ValidationError
from sqlalchemy import Integer, bindparam, delete, func, insert, or_, select, true, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from sync import decide, merge, protocol

from .. import clock
from ..changelog import MissingCounter, recorded
from ..errors import AppError, Conflict, Forbidden, NotFound, Unavailable, ValidationFailed
from ..extensions import db
from ..fastpaths import dump_many, row_dump
from ..geocode.services import fill_addresses, fill_candidates
from ..models import Change, RoutePlan, SyncClient, SyncMutation, SyncState, Visit, utcnow
from ..scoping import team_member_ids
from ..security import Principal
from .entities import ENTITIES


def _read(statement, params=None):
    """Run a select of columns (no ORM object) on the session's connection, in the session's transaction.
    The session's own execute (its ORM execution context, autoflush, rows through its loader) costs about
    0.12 ms of CPU more a statement; these run where nothing is pending to flush (a pull writes nothing, a
    push chunk reads before it changes anything)."""
    return db.session.connection().execute(statement, params)


class ResetRequired(Exception):
    """The client's cursor is unusable; it must drop its server copy and pull again."""


# --- pull ------------------------------------------------------------------------


def _state(seq=0, me=None):
    """The change counter's row (counter, epoch, horizon, rescoped) and, read in the same statement, the mark of
    the change numbered `seq` (None: there is none). `rescoped`: the scope of the user `me` changed after `seq`."""
    row = _read(_STATE, {"seq": max(seq, 0), "me": me}).first()
    if row is None:
        raise MissingCounter()
    return row, None if row[4] is None else protocol.change_mark(*row[4:])


# What a change's mark is made of (protocol.change_mark).
_MARKED = (Change.entity, Change.entity_id, Change.version, Change.op, Change.at)

# The statements every pull runs, built once with their values bound per request (building a statement
# and its cache key costs a few tenths of a millisecond each time): the counter with the cursor's change,
# and a rep's change rows after the cursor (a manager's or an admin's are built per request).
_RESCOPED = (
    select(Change.seq)
    .where(Change.entity == protocol.SCOPE, Change.entity_id == bindparam("me"), Change.seq > bindparam("seq"))
    .exists()
)
_STATE = (
    select(SyncState.counter, SyncState.epoch, SyncState.horizon, _RESCOPED.label("rescoped"), *_MARKED)
    .select_from(SyncState)
    .outerjoin(Change, Change.seq == bindparam("seq"))
    .where(SyncState.id == 1)
)
_CHANGES = select(Change.seq, *_MARKED).order_by(Change.seq)
_REP_CHANGES = _CHANGES.where(
    Change.seq > bindparam("after"),
    or_(Change.owner_id == bindparam("me"), Change.prev_owner_id == bindparam("me"), Change.rep_id == bindparam("me")),
).limit(bindparam("limit", type_=Integer))


def _concerning(principal):
    """Change-log rows that concern the caller: their territory now or before, or their own work."""
    if principal.is_admin:
        return true()
    if principal.is_manager:
        team = team_member_ids(principal)
        return or_(Change.owner_id.in_(team), Change.prev_owner_id.in_(team), Change.rep_id.in_(team))
    me = principal.id
    return or_(Change.owner_id == me, Change.prev_owner_id == me, Change.rep_id == me)


def _upserts(entity, objs):
    """Serialise records with the entity's REST schema, in one pass."""
    return [
        {"entity": entity.name, "id": data["id"], "op": "upsert", "version": obj.version, "data": data}
        for obj, data in zip(objs, dump_many(entity.schema, objs))
    ]


def pull(principal, cursor_text, limit):
    """Return one page of changes for the caller after `cursor_text` (None: start a snapshot)."""
    if cursor_text is None:
        state, _ = _state()
        cursor = protocol.Cursor(epoch=state.epoch, seq=state.counter, entity=0, mark=_mark_at(state.counter))
        page = _snapshot_page(principal, cursor, limit)
        page["snapshot_total"] = _snapshot_total(principal)
        page["first"] = _first_records(principal)
        return page
    try:
        cursor = protocol.Cursor.decode(cursor_text)
        # The cursor's change, and whether the caller's scope changed since, are read with the counter: one statement.
        state, mark = _state(cursor.seq, principal.id)
        protocol.check_cursor(
            cursor, state.epoch, state.counter, state.horizon, lambda seq: mark if seq == cursor.seq else _mark_at(seq)
        )
        if state.rescoped:
            raise protocol.CursorError("your team or role changed since this cursor: what the phone holds is rebuilt")
    except protocol.CursorError as exc:
        raise ResetRequired(str(exc)) from exc
    if cursor.in_snapshot:
        return _snapshot_page(principal, cursor, limit)
    return _change_page(principal, cursor, limit, mark)


def _snapshot_total(principal):
    """How many records the snapshot starting now holds (the phone shows its progress through them)."""
    return sum(
        db.session.scalar(select(func.count()).select_from(entity.model).where(entity.service.read_scope(principal)))
        for entity in (ENTITIES[name] for name in protocol.PULL_ORDER)
    )


def _first_records(principal):
    """What the caller's day needs before the rest of a snapshot: their own day plans from yesterday on (a date
    as seen anywhere on Earth), the appointments and accounts those plans' stops name, and their own visits
    still open or checked in within the last 36 hours with those visits' accounts. The phone writes them first
    and draws Today while the snapshot goes on; each comes again in its place in the snapshot."""
    since = clock.latest_today() - timedelta(days=2)
    mine = (RoutePlan.rep_id == principal.id, RoutePlan.plan_date >= since)
    plans = _upserts_of(principal, ENTITIES["route_plan"], *mine)
    recent = clock.now() - timedelta(hours=36)
    visits = _upserts_of(
        principal,
        ENTITIES["visit"],
        Visit.rep_id == principal.id,
        Visit.check_in_at.is_not(None),
        or_(Visit.check_out_at.is_(None), Visit.check_in_at >= recent),
    )
    stops = [stop for plan in plans for stop in plan["data"]["stops"]]
    account_ids = {uuid.UUID(s["account_id"]) for s in stops} | {uuid.UUID(v["data"]["account_id"]) for v in visits}
    appointment_ids = {uuid.UUID(s["appointment_id"]) for s in stops if s.get("appointment_id")}
    accounts = _upserts_by_id(principal, ENTITIES["account"], account_ids) if account_ids else []
    appointments = _upserts_by_id(principal, ENTITIES["appointment"], appointment_ids) if appointment_ids else []
    return accounts + appointments + visits + plans


def _mark_at(seq):
    """The mark of the change numbered `seq` (None: there is none, e.g. seq 0)."""
    row = db.session.execute(select(*_MARKED).where(Change.seq == seq)).first() if seq > 0 else None
    return None if row is None else protocol.change_mark(*row)


def _upserts_of(principal, entity, *where, limit=None):
    """The caller's records of `entity` that match `where` (with a `limit`: the first in id order), as upserts.
    An entity whose schema dumps plain columns (fastpaths.row_dump) is read as rows and dumped row by row: no
    ORM object per record."""
    model = entity.model
    fast = row_dump(entity.schema, model)
    stmt = (select(*fast.columns) if fast else select(model)).where(entity.service.read_scope(principal), *where)
    if limit is not None:
        stmt = stmt.order_by(model.id).limit(limit)
    return _read_upserts(entity, fast, stmt)


def _upserts_by_id(principal, entity, ids):
    """The caller's records of `entity` among `ids`, as upserts: `_upserts_of` with `entity.model.id.in_(ids)`,
    its statement built once (see `_by_id`)."""
    fast = row_dump(entity.schema, entity.model)
    stmt = _by_id(entity.name, principal.role, principal.team_id is not None, fast)
    return _read_upserts(entity, fast, stmt, {"me": principal.id, "team": principal.team_id, "ids": list(ids)})


@cache
def _by_id(entity_name, role, has_team, fast):
    """The statement of `_upserts_by_id` for callers of one role (with a team or none), the caller's id and team
    bound per request (`me`, `team`) with the ids: building it and its cache key anew took about a third of a
    millisecond on every pull that brings changes. A read scope is made of the caller's id, role and team only."""
    entity = ENTITIES[entity_name]
    caller = Principal(id=bindparam("me"), role=role, team_id=bindparam("team") if has_team else None)
    return (select(*fast.columns) if fast else select(entity.model)).where(
        entity.service.read_scope(caller), entity.model.id.in_(bindparam("ids", expanding=True))
    )


def _read_upserts(entity, fast, stmt, params=None):
    if not fast:
        return _upserts(entity, db.session.scalars(stmt, params).all())
    return [
        {"entity": entity.name, "id": data["id"], "op": "upsert", "version": row[fast.version_at], "data": data}
        for row in _read(stmt, params)
        for data in (fast.dump(row),)
    ]


def _snapshot_page(principal, cursor, limit):
    """Page through the caller's current records, entity by entity, in id order."""
    changes, index, after = [], cursor.entity, cursor.after_id
    while index < len(protocol.PULL_ORDER) and len(changes) < limit:
        entity = ENTITIES[protocol.PULL_ORDER[index]]
        where = () if after is None else (entity.model.id > uuid.UUID(after),)
        found = _upserts_of(principal, entity, *where, limit=limit - len(changes))
        changes += found
        if found and len(changes) >= limit:
            after = changes[-1]["id"]
            break
        index, after = index + 1, None
    if index >= len(protocol.PULL_ORDER):
        next_cursor = protocol.Cursor(epoch=cursor.epoch, seq=cursor.seq, mark=cursor.mark)
        return {
            "changes": changes,
            "cursor": next_cursor.encode(),
            "has_more": _has_changes_after(principal, cursor.seq),
            "snapshot": True,
        }
    next_cursor = protocol.Cursor(epoch=cursor.epoch, seq=cursor.seq, entity=index, after_id=after, mark=cursor.mark)
    return {"changes": changes, "cursor": next_cursor.encode(), "has_more": True, "snapshot": True}


def _has_changes_after(principal, seq):
    return db.session.scalar(select(Change.seq).where(Change.seq > seq, _concerning(principal)).limit(1)) is not None


def _change_page(principal, cursor, limit, mark):
    """The change log after `cursor` (whose change's mark now is `mark`)."""
    if principal.is_admin or principal.is_manager:
        found = _read(_CHANGES.where(Change.seq > cursor.seq, _concerning(principal)).limit(limit + 1))
    else:  # _concerning's rows of a rep
        found = _read(_REP_CHANGES, {"after": cursor.seq, "me": principal.id, "limit": limit + 1})
    rows = [decide.ChangeRow(*row) for row in found]
    has_more = len(rows) > limit
    rows = rows[:limit]
    # The newest change per record wins within the page; a scope row (an admin reads them all) is no record.
    latest = decide.latest_per_record([row for row in rows if row.entity != protocol.SCOPE])
    current = {}
    for name, ids in decide.to_load(latest).items():
        entity = ENTITIES[name]
        for change in _upserts_by_id(principal, entity, ids):
            current[(name, uuid.UUID(change["id"]))] = change
    next_cursor = decide.next_change_cursor(cursor, rows, lambda: mark)
    return {"changes": decide.page(latest, current), "cursor": next_cursor.encode(), "has_more": has_more}


# --- push ------------------------------------------------------------------------


class SequenceError(Conflict):
    """A gap or a reused seq: nothing from this mutation on is applied."""


class UpgradeRequired(SequenceError):
    """A mutation written in a schema this server no longer (or not yet) reads: the app must update."""

    status = 426


# Mutations applied per commit: a 500-mutation push takes a handful of commits, each holding its
# records' row locks (and, at its commit, the change counter: see changelog.py) for a while only.
CHUNK = 100
# How often a chunk that met a transient clash is run again, from fresh reads, before the push
# answers 503 (what was committed before it stays, with its results).
CHUNK_ATTEMPTS = 4


class _Transient(Exception):
    """Another transaction got in between (a row changed since the chunk read it, a record created
    meanwhile, a deadlock): nothing of the chunk may be journaled; it runs again from fresh reads."""


def _is_transient(exc):
    if isinstance(exc, (StaleDataError, _Transient)):
        return True
    if isinstance(exc, OperationalError):
        return True  # deadlock, serialization failure, lost connection: nothing was committed
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(exc, DBAPIError) and code in ("40001", "40P01")


def push(principal, client_id, mutations):
    """Apply mutations in seq order, each atomically; return one result per mutation.

    Each chunk locks the client row first, so two pushes from one client run one after the
    other, and commits its results with its records: a retry after a lost response finds them.
    A chunk that meets a transient clash is rolled back and run again; a permanent refusal is
    only ever a mutation's own fault."""
    mutations = [decide.Mutation.of(m) for m in mutations]
    if not mutations:  # otherwise the first chunk registers the client id, or checks it is the caller's
        _claim_client(principal, client_id)
    results, last_seq = [], None
    for start in range(0, len(mutations), CHUNK):
        part = mutations[start : start + CHUNK]
        done, last_seq, error = _run_chunk(principal, client_id, part, saved=len(results))
        results += done
        if error is not None:
            error.extra.update({"results": results, "last_seq": last_seq})
            raise error
    answer = {"results": results, "last_seq": last_seq if last_seq is not None else _last_seq(client_id)}
    # Prospects created offline without an address get the one at their position (committed: a
    # server edit the next pull brings back; see geocode/services.py).
    fill_addresses(principal, fill_candidates(mutations))
    return answer


def _run_chunk(principal, client_id, part, saved):
    batched = True
    for attempt in range(CHUNK_ATTEMPTS):
        try:
            return _Chunk(principal, client_id, part, batched=batched).run()
        except IntegrityError:  # a batched write failed: redo the chunk one mutation at a time
            db.session.rollback()
            if not batched:
                raise
            batched = False
        except Exception as exc:
            db.session.rollback()
            if not _is_transient(exc):
                raise
            time.sleep(0.01 * (attempt + 1))
    raise Unavailable(
        f"Another change to the same records kept getting in the way; retry the push. The first {saved} "
        "mutations of this push were saved (their results are in `results`); nothing after them was.",
        code="unavailable",
        extra={"saved": saved},
    )


def _last_seq(client_id):
    return db.session.scalar(select(SyncClient.last_seq).where(SyncClient.id == client_id)) or 0


def _claim_client(principal, client_id):
    client = db.session.get(SyncClient, client_id)
    if client is None:
        try:
            db.session.add(SyncClient(id=client_id, user_id=principal.id, last_seq=0))
            db.session.commit()
        except IntegrityError:  # another request registered it first
            db.session.rollback()
            client = db.session.get(SyncClient, client_id)
    if client is not None and client.user_id != principal.id:
        raise _foreign_client()
    db.session.commit()


def _foreign_client():
    return Forbidden(
        "This client id belongs to another user; log in as that user to push its outbox.",
        {"client_id": ["Belongs to another user."]},
    )


def _final(refusal):
    """A refusal that stops the push, as the error it answers with."""
    error = UpgradeRequired if refusal.code == "upgrade_required" else SequenceError
    return error(refusal.message, refusal.fields, code=refusal.code, extra=dict(refusal.extra))


class _Chunk:
    """Up to CHUNK mutations of one push, applied in one transaction and committed together.

    Each mutation is atomic. Batched, the creates of records whose service allows it
    (`batch_creates`: visits, activities) are checked one by one but flushed together; should
    that flush fail, push() rolls the chunk back and runs it again unbatched, every mutation in
    a savepoint of its own, so each one's result is what applying it alone gives.

    Opening it locks the client row and reads up front, one query per kind: the journal entries of
    seqs already applied (a retry), mutation ids already applied under another seq, the records the
    new mutations name (or the knowledge that they do not exist yet) and the accounts they hang off.
    The session's identity map holds loaded rows only weakly; `rows` keeps them there for the chunk,
    so the checks along the way (scope, last contact, change log) need no further reads."""

    def __init__(self, principal, client_id, mutations, batched):
        self.principal, self.mutations, self.batched = principal, mutations, batched
        self.client = _lock_client(principal, client_id)
        self.last_seq = self.client.last_seq
        self.journal, self.rows, self.absent, self.staged = [], [], set(), []
        done = [m.seq for m in mutations if m.seq <= self.last_seq]
        self.stored = (
            {
                seq: decide.Journaled(digest, result)
                for seq, digest, result in _read(
                    select(SyncMutation.seq, SyncMutation.payload_hash, SyncMutation.result).where(
                        SyncMutation.client_id == client_id, SyncMutation.seq.in_(done)
                    )
                )
            }
            if done
            else {}
        )
        fresh = [m for m in mutations if m.seq > self.last_seq]
        # A mutation id is looked up within this client only: another phone's or user's result is never theirs.
        self.applied = {}
        if fresh:
            for mutation_id, digest, result in _read(_APPLIED, {"client_id": client_id, "ids": [m.id for m in fresh]}):
                self.applied.setdefault(mutation_id, decide.Journaled(digest, result))
        self._warm(fresh)

    def _warm(self, fresh):
        by_entity = {}
        for m in fresh:
            if m.entity in ENTITIES:
                by_entity.setdefault(m.entity, set()).add(m.entity_id)
        account_ids = {_as_uuid(m.data.get("account_id")) for m in fresh}
        if account_ids - {None}:
            by_entity.setdefault("account", set()).update(account_ids - {None})
        for name, ids in by_entity.items():
            model = ENTITIES[name].model
            found = db.session.scalars(_records_by_id(model), {"ids": list(ids)}).all()
            self.rows += found
            self.absent |= {(name, i) for i in ids} - {(name, row.id) for row in found}

    def existing(self, entity, record_id):
        """The stored record, or None; a record known absent at the chunk's start costs no query."""
        if (entity.name, record_id) in self.absent:
            return None
        return db.session.get(entity.model, record_id)

    def created(self, entity, obj):
        self.absent.discard((entity.name, obj.id))
        self.rows.append(obj)

    def apply(self, mutation):
        if mutation.id in self.applied:
            self.flush_staged()  # the first result, of a create staged in this chunk, gets its version
        try:
            admission = decide.admit(
                self.last_seq, mutation, self.stored.get(mutation.seq), self.applied.get(mutation.id)
            )
        except decide.Refusal as refusal:
            raise _final(refusal) from None
        if admission.verdict == "duplicate" and admission.journal is None:
            return admission.result  # a replay: nothing changes
        self.last_seq = mutation.seq
        if admission.journal is not None:
            self.note(mutation, admission.journal)
            return admission.result
        entity, staged = ENTITIES.get(mutation.entity), None
        if (
            self.batched
            and mutation.op == "create"
            and entity is not None
            and entity.service.batch_creates
            and self.existing(entity, mutation.entity_id) is None
        ):
            try:
                obj = _stage_create(self.principal, entity, mutation)
            except AppError as exc:  # its checks failed before anything was written
                result = _rejected(exc)
            else:
                self.created(entity, obj)
                result, staged = decide.applied(), obj
        else:
            self.flush_staged()  # what was staged is written outside this mutation's savepoint
            try:
                with db.session.begin_nested():  # all of the mutation or none of it
                    result = _effect(self.principal, mutation, self)
            except IntegrityError as exc:
                if mutation.op == "create" and entity is not None and _exists_now(entity, mutation.entity_id):
                    raise _Transient("created meanwhile by another transaction") from exc  # now it is an edit
                result = _rejected(exc)  # permanent: record it, go on
            except (AppError, decide.Refusal) as exc:
                result = _rejected(exc)
        result = {"id": str(mutation.id), **result}
        if staged is not None:
            self.staged.append((result, staged, entity))  # its version is known once flushed
        self.note(mutation, result)
        return result

    def note(self, mutation, result):
        """Journal the mutation's result under its seq, naming the record it wrote (the version is
        filled in when known)."""
        decided_on_phone = result.get("status") == "conflict" and mutation.entity == "account"
        # The same id again later in this push (two entries of one mutation in an outbox) is a duplicate.
        self.applied.setdefault(mutation.id, decide.Journaled(mutation.digest, result))
        self.journal.append(
            {
                "client_id": self.client.id,
                "seq": mutation.seq,
                "mutation_id": mutation.id,
                "payload_hash": mutation.digest,
                "result": result,
                "entity": mutation.entity[:32],
                "entity_id": mutation.entity_id,
                "version": None,
                # The rep decides an account's clashing fields on the phone: open until it says they did.
                "conflict_at": clock.stamp() if decided_on_phone else None,
            }
        )

    def own_versions(self, entity_name, record_id, base_version):
        """Versions after `base_version` of this record that this client's own mutations wrote:
        journaled by earlier pushes, or earlier in this chunk."""
        record_id = uuid.UUID(str(record_id))
        versions = set(
            db.session.scalars(
                select(SyncMutation.version).where(
                    SyncMutation.client_id == self.client.id,
                    SyncMutation.entity_id == record_id,
                    SyncMutation.entity == entity_name,
                    SyncMutation.version > base_version,
                )
            )
        )
        versions.update(
            row["result"].get("version")
            for row in self.journal
            if row["entity_id"] == record_id and row["entity"] == entity_name
        )
        return versions

    def flush_staged(self):
        """Write the staged creates, then let each service follow them up (a visit's last contact);
        their results get the version they were created with."""
        if self.staged:
            db.session.flush()
            written = {}
            for result, obj, entity in self.staged:
                result["version"] = obj.version
                written.setdefault(entity.service, []).append(obj)
            for service, objs in written.items():
                service.after_creates(self.principal, objs)
            self.staged = []

    def run(self):
        """Apply the mutations up to the end or a sequence error; commit; return
        (results, last seq, the error or None)."""
        results, error = [], None
        with recorded(db.session):
            try:
                for mutation in self.mutations:
                    results.append(self.apply(mutation))
            except SequenceError as exc:
                error = exc
            self.flush_staged()
            if self.journal:
                for row in self.journal:
                    row["version"] = row["result"].get("version")  # staged creates know theirs only now
                db.session.execute(insert(SyncMutation), self.journal)
            self.client.last_seq = self.last_seq
            db.session.commit()
        return results, self.last_seq, error


def _exists_now(entity, record_id):
    return db.session.scalar(select(func.count()).select_from(entity.model).where(entity.model.id == record_id)) > 0


def _rejected(exc):
    if not isinstance(exc, (AppError, decide.Refusal)):
        exc = Conflict("The change clashes with stored data.", code="integrity")
    return decide.rejected(exc.code, exc.message, exc.fields)


def _stage_create(principal, entity, mutation):
    data = _checked_data(entity, mutation)
    data.pop("id", None)
    return entity.service.stage_create(principal, {**data, "id": mutation.entity_id})


def _lock_client(principal, client_id):
    """Open the write transaction with an UPDATE of the client row: it row-locks the client on
    PostgreSQL and takes SQLite's write lock, so a concurrent push of the same client waits, and
    the savepoints that follow nest in a real transaction on both. The row comes back with the UPDATE
    (RETURNING): one statement, as it stands now. A client id not seen before is registered to the
    caller first (committed on its own); one bound to another user is refused (403), nothing changed."""
    client = _locked_client(client_id)
    if client is None:
        _claim_client(principal, client_id)
        client = _locked_client(client_id)
    if client.user_id != principal.id:
        raise _foreign_client()
    return client


def _locked_client(client_id):
    return db.session.scalars(_LOCK_CLIENT, {"client_id": client_id, "now": utcnow()}).one_or_none()


# The statements every push runs, built once with their values bound per push (building a statement and
# its cache key costs a few tenths of a millisecond each time).
_LOCK_CLIENT = (
    update(SyncClient)
    .where(SyncClient.id == bindparam("client_id"))
    .values(last_seen_at=bindparam("now"))
    .returning(SyncClient)
    .execution_options(populate_existing=True)
)
_APPLIED = (
    select(SyncMutation.mutation_id, SyncMutation.payload_hash, SyncMutation.result)
    .where(
        SyncMutation.client_id == bindparam("client_id"),
        SyncMutation.mutation_id.in_(bindparam("ids", expanding=True)),
    )
    .order_by(SyncMutation.seq)
)


@cache
def _records_by_id(model):
    return select(model).where(model.id.in_(bindparam("ids", expanding=True)))


def _as_uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@cache
def _schema(entity_name, partial):
    entity = ENTITIES[entity_name]
    return type(entity.write_schema or entity.schema)(partial=partial)


def _load(entity, mutation):
    """Deserialise a mutation's data with the entity's API schema (the same rules as REST)."""
    schema = _schema(entity.name, mutation.op == "update")
    data = dict(mutation.data)
    try:
        loaded = schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed("The mutation's data is invalid.", exc.normalized_messages()) from exc
    loaded.pop("version", None)
    return loaded


def _checked_data(entity, mutation):
    """The mutation's data, validated, with no instant more than 24 h ahead of the server."""
    data = _load(entity, mutation)
    late = merge.too_far_ahead(data, clock.now())
    if late:
        raise ValidationFailed(
            "A time lies more than 24 h ahead of the server clock; check the phone's clock.",
            {name: ["More than 24 h in the future."] for name in late},
            code="clock_skew",
        )
    return data


def _effect(principal, mutation, chunk):
    """Carry out what sync/decide.py decides for one mutation, through the entity's service."""
    entity = ENTITIES.get(mutation.entity)
    if entity is None or not entity.writable:
        raise ValidationFailed(f"Entity {mutation.entity!r} cannot be changed by sync.", {"entity": ["Not writable."]})
    record_id = mutation.entity_id
    existing = chunk.existing(entity, record_id)
    route = decide.route(
        mutation, existing is not None, was_deleted=existing is None and _was_deleted(entity.name, record_id)
    )
    if route.action == "nothing":
        return decide.applied()
    if route.action == "delete":
        entity.service.apply_delete(principal, record_id)
        return decide.applied()
    data = _checked_data(entity, mutation)
    data.pop("id", None)
    if route.action == "create":
        service = entity.service  # the route says the id is new: no second look-up
        obj = service.write_new(principal, service.stage_create(principal, {**data, "id": record_id}))
        chunk.created(entity, obj)
        return decide.applied(obj.version)
    try:  # read again with its row locked: the merge below compares against what is stored now
        existing = entity.service.get(principal, record_id, for_update=True)
    except NotFound:
        if _left_scope(principal, entity.name, record_id):
            raise decide.out_of_scope() from None
        raise
    base = decide.edit_base(entity.name, route.base, existing.version)
    conflicts = {}
    if decide.needs_history(base, existing.version):
        history = db.session.execute(
            select(Change.version, Change.fields).where(
                Change.entity == entity.name,
                Change.entity_id == record_id,
                Change.version > base,
                Change.op == "upsert",
            )
        ).all()
        changed = decide.fields_changed(
            history, base, existing.version, own=chunk.own_versions(entity.name, record_id, base)
        )
        data, conflicts = decide.merge_edit(data, {name: getattr(existing, name) for name in data}, changed)
    obj = entity.service.apply_update(principal, record_id, data) if data else entity.service.get(principal, record_id)
    if conflicts:
        return decide.conflict(
            obj.version,
            entity.schema.dump(obj),
            {
                name: {
                    "client": entity.schema.dump({name: c["client"]}).get(name),
                    "server": entity.schema.dump({name: c["server"]}).get(name),
                }
                for name, c in conflicts.items()
            },
        )
    return decide.applied(obj.version)


def _left_scope(principal, entity_name, record_id):
    """Whether the change log shows this record was in the caller's territory once (a reassignment)."""
    return (
        db.session.scalar(
            select(Change.seq)
            .where(
                Change.entity == entity_name,
                Change.entity_id == record_id,
                or_(Change.owner_id == principal.id, Change.prev_owner_id == principal.id),
            )
            .limit(1)
        )
        is not None
    )


def _was_deleted(entity_name, record_id):
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Change)
            .where(Change.entity == entity_name, Change.entity_id == record_id, Change.op == "delete")
        )
        > 0
    )


def resolve_conflicts(principal, client_id, mutation_ids):
    """Mark the conflicts this client's pushes raised under `mutation_ids` as decided by the rep (the phone
    sends them once the rep chose, or once more if it did not hear the answer); how many were open."""
    client = db.session.get(SyncClient, client_id)
    if client is None or client.user_id != principal.id:
        raise NotFound("No phone with this client id pushed as you.", {"client_id": ["Unknown."]})
    done = db.session.execute(
        update(SyncMutation)
        .where(
            SyncMutation.client_id == client_id,
            SyncMutation.mutation_id.in_(mutation_ids),
            SyncMutation.conflict_at.is_not(None),
            SyncMutation.resolved_at.is_(None),
        )
        .values(resolved_at=clock.stamp())
    ).rowcount
    db.session.commit()
    return done


def prune(days, now=None):
    """Drop change rows older than `days` and raise the horizon; older cursors then reset."""
    cutoff = (now or clock.now()) - timedelta(days=days)
    last = db.session.scalar(select(func.max(Change.seq)).where(Change.at < cutoff))
    if last is None:
        return 0
    removed = db.session.execute(delete(Change).where(Change.seq <= last)).rowcount
    state = db.session.scalars(select(SyncState).where(SyncState.id == 1).with_for_update()).one()
    state.horizon = max(state.horizon, last + 1)
    db.session.commit()
    return removed
