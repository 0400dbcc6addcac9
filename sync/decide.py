"""What the server does with each pushed mutation and what a pull page holds, decided from plain
facts: no Flask, no database. The server (server/sync_api) reads the facts, asks these functions,
and carries out the answer through the resource services.

Push, for one mutation, in order:
1. `admit`: where its seq stands against the client's last applied one (replay, gap, reused seq,
   unsupported schema, a mutation id applied before under another seq, or to be applied);
2. `route`: what the operation means for a record that exists or not (and was deleted or not):
   create, an edit (a create seen before becomes one), delete, nothing to do, or a refusal;
3. `edit_base`: for a record whose edits need a base version, the base the merge starts from;
4. `merge_edit`: the fields to write and the conflicts, by the field history since that base;
5. `applied` / `conflict` / `rejected`: the result sent back and journaled.

Pull: `latest_per_record` folds a page of change rows to the newest per record, and `page`
turns it into upserts (the records as they are now, for the caller) and deletes (gone, or no
longer the caller's).
"""

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from uuid import UUID

from . import merge, protocol

# --- the mutation ---------------------------------------------------------------------


@dataclass(frozen=True)
class Mutation:
    """One queued change from a phone, as the push schema loaded it."""

    id: UUID
    seq: int
    entity: str
    entity_id: UUID
    op: str  # create | update | delete
    base_version: int | None = None
    data: dict = field(default_factory=dict)
    schema: int = protocol.SCHEMA_VERSION

    @classmethod
    def of(cls, loaded):
        return cls(
            id=loaded["id"],
            seq=loaded["seq"],
            entity=loaded["entity"],
            entity_id=loaded["entity_id"],
            op=loaded["op"],
            base_version=loaded.get("base_version"),
            data=dict(loaded.get("data") or {}),
            schema=loaded.get("schema", protocol.SCHEMA_VERSION),
        )

    @cached_property
    def digest(self):
        """What it asks, fingerprinted: a retry has the same; another mutation under its seq has not."""
        return protocol.payload_hash(
            {
                "id": self.id,
                "entity": self.entity,
                "entity_id": self.entity_id,
                "op": self.op,
                "base_version": self.base_version,
                "data": self.data,
                "schema": self.schema,
            }
        )


@dataclass(frozen=True)
class Journaled:
    """What the journal holds of a mutation applied before: its fingerprint and first result."""

    payload_hash: str
    result: dict


@dataclass(eq=False)
class Refusal(Exception):
    """A mutation the server will not take: `code` and a message, per-field details. `final` means
    the push stops here (seq_gap, seq_reused, upgrade_required: nothing after it is applied);
    otherwise the mutation is journaled as rejected and the push goes on."""

    code: str
    message: str
    fields: dict = field(default_factory=dict)
    final: bool = False
    extra: dict = field(default_factory=dict)

    def __str__(self):
        return self.message


# --- 1. admission -----------------------------------------------------------------------


@dataclass(frozen=True)
class Admission:
    """`apply`: run it. `duplicate`: answer `result` and change nothing; when `journal` is set the
    seq is new (the mutation id was applied under another seq): advance and journal `journal`."""

    verdict: str  # apply | duplicate
    result: dict | None = None
    journal: dict | None = None


def admit(last_seq, mutation, at_seq=None, by_id=None):
    """Judge `mutation`'s seq against the client's `last_seq`. `at_seq`: the journal's entry under
    its seq (when seq <= last_seq); `by_id`: this client's earlier application of the same mutation
    id under another seq. Raises a final Refusal for a gap, a reused seq or an unsupported schema."""
    verdict = protocol.sequence_verdict(last_seq, mutation.seq)
    if verdict == "replay":
        return Admission("duplicate", duplicate(mutation, at_seq, mutation.digest))
    if verdict == "gap":
        expected = last_seq + 1
        raise Refusal(
            "seq_gap",
            f"Expected seq {expected}, got {mutation.seq}; nothing from here on was applied.",
            {"seq": [f"Expected {expected}."]},
            final=True,
            extra={"expected_seq": expected},
        )
    if not protocol.schema_supported(mutation.schema):
        raise Refusal(
            "upgrade_required",
            f"Mutation seq {mutation.seq} uses schema {mutation.schema}; this server reads "
            f"{protocol.OLDEST_SCHEMA_VERSION}..{protocol.SCHEMA_VERSION}. Update the app; the outbox is kept.",
            {"schema": ["Unsupported."]},
            final=True,
        )
    if by_id is not None:  # applied before under another seq: once is enough
        result = duplicate(mutation, by_id, by_id.payload_hash)
        first = {k: v for k, v in result.items() if k not in ("status", "first_status")}
        # Journaled under this seq too, with the first result: a retry of this seq replays it, and a
        # different mutation sent under this seq is refused as seq_reused.
        return Admission("duplicate", result, journal={**first, "status": result["first_status"]})
    return Admission("apply")


def duplicate(mutation, entry, digest):
    """The first result of a mutation seen again, marked duplicate; a different payload under a seq
    already used is refused."""
    if entry is not None and entry.payload_hash != digest:
        raise Refusal(
            "seq_reused",
            f"seq {mutation.seq} was already used for a different mutation.",
            {"seq": ["Reused with a different payload."]},
            final=True,
            extra={"seq": mutation.seq},
        )
    result = dict(entry.result) if entry is not None else {"id": str(mutation.id)}
    result["first_status"] = result.get("status")
    result["status"] = "duplicate"
    return result


# --- 2. the operation against what is stored -----------------------------------------------


@dataclass(frozen=True)
class Route:
    """`create`, `update` (from `base`), `delete`, or `nothing` (already as asked)."""

    action: str
    base: int | None = None


def route(mutation, exists, was_deleted=False):
    """What `mutation` does to its record, which `exists` or not; `was_deleted` (asked only for a
    record that does not exist): the change log holds its tombstone."""
    if mutation.op == "delete":
        if exists:
            return Route("delete")
        if was_deleted:
            return Route("nothing")  # already gone: deleting twice is deleting once
        # Never here, or not the caller's: the same answer, so a delete tells nothing of others' ids.
        raise Refusal("not_found", "No such record.")
    if mutation.op == "create":
        if not exists:
            return Route("create")
        # A create seen before (two devices, a lost ack): an edit of the record as it was created.
        return Route("update", 1 if mutation.base_version is None else mutation.base_version)
    if not exists:
        if was_deleted:
            raise Refusal("target_deleted", "The record was deleted on the server; the edit is dropped.")
        raise Refusal("not_found", "No such record.")
    return Route("update", mutation.base_version)


def out_of_scope():
    """An edit to a record that was the caller's and left their territory (its account was reassigned)."""
    return Refusal(
        "out_of_scope", "The record is no longer in your territory (its account was reassigned); the edit is dropped."
    )


# --- 3. and 4. an edit ------------------------------------------------------------------------


def edit_base(entity, base, stored_version):
    """The version an edit of `entity` was made on, checked against the stored version. Records that
    belong to their author (visits, activities) need none: the later edit wins."""
    if entity in merge.AUTHOR_OWNED:
        return None
    if base is None:
        raise Refusal(
            "base_version_required",
            "An edit of this record must say which version it was made on (base_version); nothing was changed.",
            {"base_version": ["Required for this entity."]},
        )
    if base == 0:
        base = 1  # version 0: the phone's own create, not yet acknowledged when it edited the record
    if base > stored_version:
        raise Refusal(
            "base_version_invalid",
            f"base_version {base} is newer than the stored version {stored_version}; nothing was changed.",
            {"base_version": [f"At most {stored_version}."]},
        )
    return base


def needs_history(base, stored_version):
    """Whether the server changed the record after the edit's base: then the field history decides."""
    return base is not None and base < stored_version


def fields_changed(history, base, stored_version, own=frozenset()):
    """The fields the server wrote after `base`, from the change log's (version, fields) rows of the
    record; None when unknown (a change wrote every field, or the log no longer holds every version
    since then). Versions in `own` were written by the pushing phone itself (its earlier queued
    edits): they are not the server's changes."""
    if {version for version, _ in history} != set(range(base + 1, stored_version + 1)):
        return None  # part of the history was pruned: assume the server changed everything
    names = set()
    for version, fields in history:
        if version in own:
            continue
        if fields is None:
            return None
        names.update(fields)
    return names


def merge_edit(data, server_values, changed):
    """The fields to write and the conflicts (see merge.merge_update); `changed` None: every field."""
    return merge.merge_update(data, server_values, changed)


# --- 5. results ----------------------------------------------------------------------------------


def applied(version=None):
    return {"status": "applied"} if version is None else {"status": "applied", "version": version}


def conflict(version, server, conflicts):
    """Applied in part: `server` is the record now, `conflicts` each field's two values (dumped)."""
    return {"status": "conflict", "version": version, "server": server, "conflicts": conflicts}


def rejected(code, message, fields=None):
    return {"status": "rejected", "reason": code, "message": message, "fields": fields or {}}


# --- pull ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeRow:
    """One row of the change log, as a pull page reads it."""

    seq: int
    entity: str
    entity_id: Any
    version: int
    op: str  # upsert | delete
    at: Any

    @property
    def mark(self):
        return protocol.change_mark(self.entity, self.entity_id, self.version, self.op, self.at)


def latest_per_record(rows):
    """{(entity, id): the newest row} in the order of each record's newest change."""
    latest = {}
    for row in rows:
        latest.pop((row.entity, row.entity_id), None)
        latest[(row.entity, row.entity_id)] = row
    return latest


def to_load(latest):
    """{entity: [ids]} of the records whose newest change is an upsert: read them as they are now."""
    by_entity = {}
    for (name, record_id), row in latest.items():
        if row.op == "upsert":
            by_entity.setdefault(name, []).append(record_id)
    return by_entity


def page(latest, current):
    """The page's changes: each record's upsert from `current` ({(entity, id): change}, the records
    the caller may read now), else a delete (deleted, or no longer in the caller's scope)."""
    changes = []
    for key, row in latest.items():
        change = current.get(key)
        changes.append(
            change
            if change is not None
            else {"entity": row.entity, "id": str(row.entity_id), "op": "delete", "version": row.version, "data": None}
        )
    return changes


def next_change_cursor(cursor, rows, mark_now):
    """The cursor after a page of change rows; with none, where it was (its mark filled in by
    `mark_now()` when it had none)."""
    if rows:
        last = rows[-1]
        return protocol.Cursor(epoch=cursor.epoch, seq=last.seq, mark=last.mark)
    return protocol.Cursor(epoch=cursor.epoch, seq=cursor.seq, mark=cursor.mark or mark_now())
