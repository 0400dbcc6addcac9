"""Pull and push: the protocol's decisions (sync/) applied to the database."""
import time
import uuid
from datetime import timedelta
from functools import cache

from marshmallow import ValidationError
from sqlalchemy import delete, func, insert, or_, select, true, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from sync import merge, protocol

from ..errors import AppError, Conflict, Forbidden, NotFound, Unavailable, ValidationFailed
from ..extensions import db
from ..models import Change, SyncClient, SyncMutation, SyncState, utcnow
from ..fastpaths import dump_many
from ..scoping import team_member_ids
from .entities import ENTITIES

ENTITY_ORDER = protocol.ENTITIES


class ResetRequired(Exception):
    """The client's cursor is unusable; it must drop its server copy and pull again."""


# --- pull ------------------------------------------------------------------------

def _state():
    state = db.session.get(SyncState, 1)
    if state is None:  # a database created before the sync migration's seed row
        state = SyncState(id=1, counter=0, epoch=uuid.uuid4().hex, horizon=0)
        db.session.add(state)
        db.session.commit()
    return state


def _audience(principal):
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
    return [{"entity": entity.name, "id": data["id"], "op": "upsert", "version": obj.version, "data": data}
            for obj, data in zip(objs, dump_many(entity.schema, objs))]


def pull(principal, cursor_text, limit):
    """Return one page of changes for the caller after `cursor_text` (None: start a snapshot)."""
    state = _state()
    head, epoch = state.counter, state.epoch
    if cursor_text is None:
        cursor = protocol.Cursor(epoch=epoch, seq=head, entity=0, mark=_mark_at(head))
    else:
        try:
            cursor = protocol.Cursor.decode(cursor_text)
            protocol.check_cursor(cursor, epoch, head, state.horizon, _mark_at)
        except protocol.CursorError as exc:
            raise ResetRequired(str(exc)) from exc
    if cursor.in_snapshot:
        return _snapshot_page(principal, cursor, limit)
    return _change_page(principal, cursor, limit)


def _mark_at(seq):
    """The mark of the change numbered `seq` (None: there is none, e.g. seq 0)."""
    row = db.session.execute(select(Change.entity, Change.entity_id, Change.version, Change.op, Change.at)
                             .where(Change.seq == seq)).first() if seq > 0 else None
    return None if row is None else protocol.change_mark(*row)


def _snapshot_page(principal, cursor, limit):
    """Page through the caller's current records, entity by entity, in id order."""
    changes, index, after = [], cursor.entity, cursor.after_id
    while index < len(ENTITY_ORDER) and len(changes) < limit:
        entity = ENTITIES[ENTITY_ORDER[index]]
        model = entity.model
        stmt = select(model).where(entity.service.read_scope(principal))
        if after is not None:
            stmt = stmt.where(model.id > uuid.UUID(after))
        rows = db.session.scalars(stmt.order_by(model.id).limit(limit - len(changes))).all()
        changes += _upserts(entity, rows)
        if len(rows) and len(changes) >= limit:
            after = str(rows[-1].id)
            break
        index, after = index + 1, None
    if index >= len(ENTITY_ORDER):
        next_cursor = protocol.Cursor(epoch=cursor.epoch, seq=cursor.seq, mark=cursor.mark)
        return {"changes": changes, "cursor": next_cursor.encode(), "has_more": _has_changes_after(principal, cursor.seq)}
    next_cursor = protocol.Cursor(epoch=cursor.epoch, seq=cursor.seq, entity=index, after_id=after, mark=cursor.mark)
    return {"changes": changes, "cursor": next_cursor.encode(), "has_more": True}


def _has_changes_after(principal, seq):
    return db.session.scalar(
        select(Change.seq).where(Change.seq > seq, _audience(principal)).limit(1)
    ) is not None


def _change_page(principal, cursor, limit):
    rows = db.session.scalars(
        select(Change).where(Change.seq > cursor.seq, _audience(principal)).order_by(Change.seq).limit(limit + 1)
    ).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    latest = {}
    for row in rows:  # the newest change per record wins within the page
        latest.pop((row.entity, row.entity_id), None)
        latest[(row.entity, row.entity_id)] = row
    by_entity = {}
    for (name, record_id), row in latest.items():
        if row.op == "upsert":
            by_entity.setdefault(name, []).append(record_id)
    current = {}
    for name, ids in by_entity.items():
        entity = ENTITIES[name]
        objs = db.session.scalars(
            select(entity.model).where(entity.model.id.in_(ids), entity.service.read_scope(principal))
        ).all()
        for obj, change in zip(objs, _upserts(entity, objs)):
            current[(name, obj.id)] = change
    changes = []
    for key, row in latest.items():
        change = current.get(key)
        if change is not None:
            changes.append(change)
        else:  # deleted, or no longer in the caller's scope: the phone drops it
            changes.append({"entity": row.entity, "id": str(row.entity_id), "op": "delete",
                            "version": row.version, "data": None})
    if rows:
        last = rows[-1]
        next_cursor = protocol.Cursor(epoch=cursor.epoch, seq=last.seq,
                                      mark=protocol.change_mark(last.entity, last.entity_id, last.version, last.op, last.at))
    else:
        next_cursor = protocol.Cursor(epoch=cursor.epoch, seq=cursor.seq, mark=cursor.mark or _mark_at(cursor.seq))
    return {"changes": changes, "cursor": next_cursor.encode(),
            "has_more": has_more}


# --- push ------------------------------------------------------------------------

class SequenceError(Conflict):
    """A gap or a reused seq: nothing from this mutation on is applied."""


class UpgradeRequired(SequenceError):
    """A mutation written in a schema this server no longer (or not yet) reads: the app must update."""

    status = 426


# Mutations applied per commit: a 500-mutation push takes a handful of commits, and the change
# counter (locked by every write transaction, see changelog.py) is never held for long.
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
    _claim_client(principal, client_id)
    results, last_seq = [], None
    for start in range(0, len(mutations), CHUNK):
        part = mutations[start:start + CHUNK]
        done, last_seq, error = _run_chunk(principal, client_id, part, saved=len(results))
        results += done
        if error is not None:
            error.extra.update({"results": results, "last_seq": last_seq})
            raise error
    return {"results": results, "last_seq": last_seq if last_seq is not None else _last_seq(client_id)}


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
        code="unavailable", extra={"saved": saved})


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
        raise Forbidden("This client id belongs to another user; log in as that user to push its outbox.",
                        {"client_id": ["Belongs to another user."]})
    db.session.commit()


def _written(mutation):
    """The journal's note of the record a mutation names (its version is filled in when known)."""
    try:
        entity_id = uuid.UUID(str(mutation["entity_id"]))
    except (KeyError, ValueError):
        entity_id = None
    return {"entity": str(mutation.get("entity"))[:32], "entity_id": entity_id, "version": None}


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
        self.client = _lock_client(client_id)
        self.last_seq = self.client.last_seq
        self.journal, self.rows, self.absent, self.staged = [], [], set(), []
        done = [m["seq"] for m in mutations if m["seq"] <= self.last_seq]
        self.stored = {row.seq: row for row in db.session.scalars(select(SyncMutation).where(
            SyncMutation.client_id == client_id, SyncMutation.seq.in_(done)))} if done else {}
        fresh = [m for m in mutations if m["seq"] > self.last_seq]
        # A mutation id is looked up within this client only: another phone's or user's result is never theirs.
        self.applied = {}
        if fresh:
            for row in db.session.scalars(select(SyncMutation).where(
                    SyncMutation.client_id == client_id, SyncMutation.mutation_id.in_([m["id"] for m in fresh]))
                    .order_by(SyncMutation.seq)):
                self.applied.setdefault(row.mutation_id, row)
        self._warm(fresh)

    def _warm(self, fresh):
        by_entity = {}
        for m in fresh:
            if m["entity"] in ENTITIES:
                by_entity.setdefault(m["entity"], set()).add(m["entity_id"])
        account_ids = {_as_uuid(m["data"].get("account_id")) for m in fresh if isinstance(m.get("data"), dict)}
        if account_ids - {None}:
            by_entity.setdefault("account", set()).update(account_ids - {None})
        for name, ids in by_entity.items():
            model = ENTITIES[name].model
            found = db.session.scalars(select(model).where(model.id.in_(ids))).all()
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
        digest = protocol.payload_hash(mutation)
        verdict = protocol.sequence_verdict(self.last_seq, mutation["seq"])
        if verdict == "replay":
            return _duplicate(mutation, self.stored.get(mutation["seq"]), digest)
        schema = mutation.get("schema", protocol.SCHEMA_VERSION)
        if verdict == "apply" and not protocol.schema_supported(schema):
            raise UpgradeRequired(
                f"Mutation seq {mutation['seq']} uses schema {schema}; this server reads "
                f"{protocol.OLDEST_SCHEMA_VERSION}..{protocol.SCHEMA_VERSION}. Update the app; the outbox is kept.",
                {"schema": ["Unsupported."]}, code="upgrade_required")
        if verdict == "gap":
            expected = self.last_seq + 1
            raise SequenceError(f"Expected seq {expected}, got {mutation['seq']}; nothing from here on was applied.",
                                {"seq": [f"Expected {expected}."]}, code="seq_gap",
                                extra={"expected_seq": expected})
        self.last_seq = mutation["seq"]
        earlier = self.applied.get(mutation["id"])
        if earlier is not None:  # applied before under another seq: once is enough
            result = _duplicate(mutation, earlier, earlier.payload_hash)
            first = {k: v for k, v in result.items() if k not in ("status", "first_status")}
            # Journaled under this seq too, with the first result: a retry of this seq replays it,
            # and a different mutation sent under this seq is refused as seq_reused.
            self.journal.append({"client_id": self.client.id, "seq": mutation["seq"], "mutation_id": mutation["id"],
                                 "payload_hash": digest, "result": {**first, "status": result["first_status"]},
                                 **_written(mutation)})
            return result
        entity, staged = ENTITIES.get(mutation["entity"]), None
        if (self.batched and mutation["op"] == "create" and entity is not None and entity.service.batch_creates
                and self.existing(entity, mutation["entity_id"]) is None):
            try:
                obj = _stage_create(self.principal, entity, mutation)
            except AppError as exc:  # its checks failed before anything was written
                result = _rejected(exc)
            else:
                self.created(entity, obj)
                result, staged = {"status": "applied"}, obj
        else:
            self.flush_staged()  # what was staged is written outside this mutation's savepoint
            try:
                with db.session.begin_nested():  # all of the mutation or none of it
                    result = _effect(self.principal, mutation, self)
            except IntegrityError as exc:
                if mutation["op"] == "create" and entity is not None and _exists_now(entity, mutation["entity_id"]):
                    raise _Transient("created meanwhile by another transaction") from exc  # now it is an edit
                result = _rejected(exc)  # permanent: record it, go on
            except AppError as exc:
                result = _rejected(exc)
        result = {"id": str(mutation["id"]), **result}
        if staged is not None:
            self.staged.append((result, staged))  # its version is known once flushed
        self.journal.append({"client_id": self.client.id, "seq": mutation["seq"], "mutation_id": mutation["id"],
                             "payload_hash": digest, "result": result, **_written(mutation)})
        return result

    def own_versions(self, entity_name, record_id, base_version):
        """Versions after `base_version` of this record that this client's own mutations wrote:
        journaled by earlier pushes, or earlier in this chunk."""
        record_id = uuid.UUID(str(record_id))
        versions = set(db.session.scalars(select(SyncMutation.version).where(
            SyncMutation.client_id == self.client.id, SyncMutation.entity_id == record_id,
            SyncMutation.entity == entity_name, SyncMutation.version > base_version)))
        versions.update(row["result"].get("version") for row in self.journal
                        if row["entity_id"] == record_id and row["entity"] == entity_name)
        return versions

    def flush_staged(self):
        """Write the staged creates; their results get the version they were created with."""
        if self.staged:
            db.session.flush()
            for result, obj in self.staged:
                result["version"] = obj.version
            self.staged = []

    def run(self):
        """Apply the mutations up to the end or a sequence error; commit; return
        (results, last seq, the error or None)."""
        results, error = [], None
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
    if not isinstance(exc, AppError):
        exc = Conflict("The change clashes with stored data.", code="integrity")
    return {"status": "rejected", "reason": exc.code, "message": exc.message, "fields": exc.fields}


def _stage_create(principal, entity, mutation):
    data = _checked_data(entity, mutation)
    data.pop("id", None)
    return entity.service.stage_create(principal, {**data, "id": mutation["entity_id"]}, known_new=True)


def _duplicate(mutation, entry, digest):
    """The first result of a mutation seen again, marked duplicate."""
    if entry is not None and entry.payload_hash != digest:
        raise SequenceError(f"seq {mutation['seq']} was already used for a different mutation.",
                            {"seq": ["Reused with a different payload."]}, code="seq_reused",
                            extra={"seq": mutation["seq"]})
    result = dict(entry.result) if entry is not None else {"id": str(mutation["id"])}
    result["first_status"] = result.get("status")
    result["status"] = "duplicate"
    return result


def _lock_client(client_id):
    """Open the write transaction with an UPDATE of the client row: it row-locks the client on
    PostgreSQL and takes SQLite's write lock, so a concurrent push of the same client waits, and
    the savepoints that follow nest in a real transaction on both."""
    db.session.execute(update(SyncClient).where(SyncClient.id == client_id).values(last_seen_at=utcnow()))
    return db.session.scalars(
        select(SyncClient).where(SyncClient.id == client_id).execution_options(populate_existing=True)
    ).one()


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
    schema = _schema(entity.name, mutation["op"] == "update")
    data = dict(mutation.get("data") or {})
    try:
        loaded = schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed("The mutation's data is invalid.", exc.normalized_messages()) from exc
    loaded.pop("version", None)
    return loaded


def _checked_data(entity, mutation):
    """The mutation's data, validated, with no instant more than 24 h ahead of the server."""
    data = _load(entity, mutation)
    late = merge.too_far_ahead(data, utcnow())
    if late:
        raise ValidationFailed("A time lies more than 24 h ahead of the server clock; check the phone's clock.",
                               {name: ["More than 24 h in the future."] for name in late}, code="clock_skew")
    return data


def _effect(principal, mutation, chunk):
    entity = ENTITIES.get(mutation["entity"])
    if entity is None or not entity.writable:
        raise ValidationFailed(f"Entity {mutation['entity']!r} cannot be changed by sync.",
                               {"entity": ["Not writable."]})
    op, record_id = mutation["op"], mutation["entity_id"]
    existing = chunk.existing(entity, record_id)
    if op == "delete":
        if existing is None:
            if _was_deleted(entity.name, record_id):
                return {"status": "applied"}  # already gone: deleting twice is deleting once
            # Never here, or not the caller's: the same answer, so a delete tells nothing of others' ids.
            raise AppError("No such record.", code="not_found")
        entity.service.apply_delete(principal, record_id)
        return {"status": "applied"}
    data = _checked_data(entity, mutation)
    base = mutation.get("base_version")
    if op == "create":
        data.pop("id", None)
        if existing is None:
            obj = entity.service.apply_create(principal, {**data, "id": record_id}, known_new=True)
            chunk.created(entity, obj)
            return {"status": "applied", "version": obj.version}
        op = "update"  # a create seen before (two devices, a lost ack): apply it as an edit
        base = 1 if base is None else base  # of the record as it was created
    if existing is None:
        if _was_deleted(entity.name, record_id):
            raise AppError("The record was deleted on the server; the edit is dropped.", code="target_deleted")
        raise AppError("No such record.", code="not_found")
    try:  # read again with its row locked: the merge below compares against what is stored now
        existing = entity.service.get(principal, record_id, for_update=True)
    except NotFound:
        if _left_scope(principal, entity.name, record_id):
            raise AppError("The record is no longer in your territory (its account was reassigned); "
                           "the edit is dropped.", code="out_of_scope") from None
        raise
    data.pop("id", None)
    conflicts = {}
    if entity.name not in merge.AUTHOR_OWNED:
        if base is None:
            raise ValidationFailed("An edit of this record must say which version it was made on (base_version); "
                                   "nothing was changed.", {"base_version": ["Required for this entity."]},
                                   code="base_version_required")
        if base == 0:
            base = 1  # version 0: the phone's own create, not yet acknowledged when it edited the record
        if base > existing.version:
            raise ValidationFailed(f"base_version {base} is newer than the stored version {existing.version}; "
                                   "nothing was changed.", {"base_version": [f"At most {existing.version}."]},
                                   code="base_version_invalid")
    if entity.name not in merge.AUTHOR_OWNED and base < existing.version:
        changed = _fields_changed_since(entity.name, record_id, base, existing.version,
                                        own=chunk.own_versions(entity.name, record_id, base))
        server_values = {name: getattr(existing, name) for name in data}
        data, conflicts = merge.merge_update(data, server_values, changed)
    obj = entity.service.apply_update(principal, record_id, data) if data else entity.service.get(principal, record_id)
    if conflicts:
        return {"status": "conflict", "version": obj.version, "server": entity.schema.dump(obj),
                "conflicts": {name: {"client": entity.schema.dump({name: c["client"]}).get(name),
                                     "server": entity.schema.dump({name: c["server"]}).get(name)}
                              for name, c in conflicts.items()}}
    return {"status": "applied", "version": obj.version}


def _left_scope(principal, entity_name, record_id):
    """Whether the change log shows this record was in the caller's territory once (a reassignment)."""
    return db.session.scalar(select(Change.seq).where(
        Change.entity == entity_name, Change.entity_id == record_id,
        or_(Change.owner_id == principal.id, Change.prev_owner_id == principal.id)).limit(1)) is not None


def _was_deleted(entity_name, record_id):
    return db.session.scalar(
        select(func.count()).select_from(Change)
        .where(Change.entity == entity_name, Change.entity_id == record_id, Change.op == "delete")
    ) > 0


def _fields_changed_since(entity_name, record_id, base_version, current_version, own=frozenset()):
    """Fields the server wrote after `base_version`; None when unknown (a change wrote every
    field, or the log no longer holds every version since then). Versions in `own` were written by
    the pushing phone itself (its earlier queued edits): they are not the server's changes."""
    rows = db.session.execute(
        select(Change.version, Change.fields).where(
            Change.entity == entity_name, Change.entity_id == record_id,
            Change.version > base_version, Change.op == "upsert")
    ).all()
    if {version for version, _ in rows} != set(range(base_version + 1, current_version + 1)):
        return None  # part of the history was pruned: assume the server changed everything
    names = set()
    for version, fields in rows:
        if version in own:
            continue
        if fields is None:
            return None
        names.update(fields)
    return names


def prune(days, now=None):
    """Drop change rows older than `days` and raise the horizon; older cursors then reset."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    last = db.session.scalar(select(func.max(Change.seq)).where(Change.at < cutoff))
    if last is None:
        return 0
    removed = db.session.execute(delete(Change).where(Change.seq <= last)).rowcount
    state = db.session.scalars(select(SyncState).where(SyncState.id == 1).with_for_update()).one()
    state.horizon = max(state.horizon, last + 1)
    db.session.commit()
    return removed
