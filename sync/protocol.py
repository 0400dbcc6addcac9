"""Wire-level rules: limits, schema versions, opaque cursors and the mutation sequence."""
import base64
import hashlib
import json
from dataclasses import dataclass

MAX_MUTATIONS = 500
MAX_PULL = 1000
DEFAULT_PULL = 500
# The mutation schema the app writes now, and the oldest one the server still accepts.
SCHEMA_VERSION = 1
OLDEST_SCHEMA_VERSION = 1
TOMBSTONE_DAYS = 180
MAX_CLOCK_AHEAD_S = 24 * 3600

# Pull order: parents before the records that hang off them.
ENTITIES = ("account", "contact", "device", "opportunity", "appointment", "visit", "activity", "route_plan")


class CursorError(ValueError):
    """The cursor cannot be used: the client must reset and pull a fresh snapshot."""


@dataclass(frozen=True)
class Cursor:
    """Where a client is: in the snapshot (entity index + last id) or in the change log (seq)."""

    epoch: str
    seq: int
    entity: int | None = None  # set while the first full snapshot is being paged
    after_id: str | None = None

    @property
    def in_snapshot(self):
        return self.entity is not None

    def encode(self):
        raw = json.dumps([1, self.epoch, self.seq, self.entity, self.after_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text):
        try:
            padded = text + "=" * (-len(text) % 4)
            fmt, epoch, seq, entity, after_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        except (ValueError, TypeError) as exc:
            raise CursorError("unreadable cursor") from exc
        if fmt != 1 or not isinstance(seq, int) or not isinstance(epoch, str):
            raise CursorError("unknown cursor format")
        if entity is not None and not (isinstance(entity, int) and 0 <= entity < len(ENTITIES)):
            raise CursorError("unknown cursor format")
        return cls(epoch=epoch, seq=seq, entity=entity, after_id=after_id)


def check_cursor(cursor, epoch, head, horizon):
    """Raise CursorError unless the cursor belongs to this database and lies in [horizon, head]."""
    if cursor.epoch != epoch:
        raise CursorError("cursor from another database")
    if cursor.seq > head:
        raise CursorError("cursor from the future (restored database?)")
    if cursor.seq < horizon:
        raise CursorError("cursor older than the tombstone horizon")


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
