"""Wire-level rules: limits, schema versions, opaque cursors and the mutation sequence."""

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass

from . import entities

MAX_MUTATIONS = 500
MAX_PULL = 1000
DEFAULT_PULL = 500
# The mutation schema the app writes now, and the oldest one the server still accepts.
SCHEMA_VERSION = 1
OLDEST_SCHEMA_VERSION = 1
TOMBSTONE_DAYS = 180
MAX_CLOCK_AHEAD_S = 24 * 3600
# The largest change number a database column holds (a 64-bit integer): a cursor naming a larger one is not one
# this server gave, and the database would refuse the number outright.
MAX_SEQ = 2**63 - 1
MAX_CURSOR = 2000  # characters; the server's cursors are about 130: a longer one is not one of them

# Pull order: parents before the records that hang off them, as sync/entities.py declares them
# (append only: a cursor names an entity by its place here).
PULL_ORDER = entities.pull_order()


# A change-log row of this entity is no record: it says the scope of the user it names (`entity_id`) changed (their
# team or role), so that what their phone holds was read under another scope; their cursors from before it reset.
SCOPE = "scope"


class CursorError(ValueError):
    """The cursor cannot be used: the client must reset and pull a fresh snapshot."""


@dataclass(frozen=True)
class Cursor:
    """Where a client is: in the snapshot (entity index + last id) or in the change log (seq).

    `mark` fingerprints the change numbered `seq` (see `change_mark`), so the cursor names a point
    in this database's history, not just a number: after a restore from a backup the same number
    is reused by another change, and the cursor no longer matches."""

    epoch: str
    seq: int
    entity: int | None = None  # set while the first full snapshot is being paged
    after_id: str | None = None
    mark: str | None = None  # None: a cursor from before marks (format 1), checked by number only

    @property
    def in_snapshot(self):
        return self.entity is not None

    def encode(self):
        raw = json.dumps([2, self.epoch, self.seq, self.entity, self.after_id, self.mark], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text):
        if len(text) > MAX_CURSOR:
            raise CursorError("unreadable cursor")
        try:
            padded = text + "=" * (-len(text) % 4)
            parts = json.loads(base64.urlsafe_b64decode(padded.encode()))
            fmt = parts[0]
            if fmt == 1:
                _, epoch, seq, entity, after_id = parts
                mark = None
            elif fmt == 2:
                _, epoch, seq, entity, after_id, mark = parts
            else:
                raise CursorError("unknown cursor format")
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise CursorError("unreadable cursor") from exc
        if type(seq) is not int or abs(seq) > MAX_SEQ:
            raise CursorError("unknown cursor format")
        if not isinstance(epoch, str) or not (mark is None or isinstance(mark, str)):
            raise CursorError("unknown cursor format")
        if entity is not None and not (type(entity) is int and 0 <= entity < len(PULL_ORDER)):
            raise CursorError("unknown cursor format")
        if after_id is not None:
            if entity is None or not isinstance(after_id, str):
                raise CursorError("unknown cursor format")
            try:
                after_id = str(uuid.UUID(after_id))
            except ValueError as exc:
                raise CursorError("unknown cursor format") from exc
        return cls(epoch=epoch, seq=seq, entity=entity, after_id=after_id, mark=mark)


def change_mark(entity, entity_id, version, op, at):
    """A short fingerprint of one change row: what a cursor remembers of the change it stands on.
    The instant is part of it: after a restore, the same record can change again at the same number."""
    stamp = at.isoformat() if hasattr(at, "isoformat") else str(at)
    return hashlib.sha256(f"{entity}:{entity_id}:{version}:{op}:{stamp}".encode()).hexdigest()[:16]


def check_cursor(cursor, epoch, head, horizon, mark_at=None):
    """Raise CursorError unless the cursor belongs to this database's history and lies in [horizon - 1, head].

    `mark_at(seq)` gives the mark of the change numbered seq now (None: no such change)."""
    if cursor.epoch != epoch:
        raise CursorError("cursor from another database")
    if cursor.seq < 0 or cursor.seq > head:
        raise CursorError("cursor from the future (restored database?)")
    # Changes below `horizon` may be gone; a cursor at horizon - 1 has seen all of them already.
    if cursor.seq < horizon - 1:
        raise CursorError("cursor older than the tombstone horizon")
    if (
        cursor.mark is not None
        and mark_at is not None
        and cursor.seq > 0
        and cursor.seq >= horizon
        and mark_at(cursor.seq) != cursor.mark
    ):
        raise CursorError("cursor from another history (restored database?)")


def payload_hash(mutation):
    """A stable fingerprint of what a mutation asks, to tell a retry from a reused seq."""
    body = {k: mutation.get(k) for k in ("id", "entity", "entity_id", "op", "base_version", "data", "schema")}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def sequence_verdict(last_seq, seq):
    """'replay' for an already-applied seq, 'apply' for the next one, 'gap' for one that skips ahead."""
    if seq <= last_seq:
        return "replay"
    if seq == last_seq + 1:
        return "apply"
    return "gap"


def schema_supported(version):
    return OLDEST_SCHEMA_VERSION <= version <= SCHEMA_VERSION
