"""Sync bookkeeping: the change log, its counter, and each phone's pushed mutations."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class SyncState(db.Model):
    """One row: the change counter (row-locked per write transaction) and the database epoch."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    counter: Mapped[int] = mapped_column(BigInteger, default=0)
    epoch: Mapped[str] = mapped_column(String(32))
    # Changes at or below this number may have been pruned; older cursors must reset.
    horizon: Mapped[int] = mapped_column(BigInteger, default=0)


class Change(db.Model):
    """One change to a synced record, numbered in commit order."""

    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_entity_record", "entity", "entity_id", "version"),
        Index("ix_changes_owner_seq", "owner_id", "seq"),
        Index("ix_changes_prev_owner_seq", "prev_owner_id", "seq"),
        Index("ix_changes_rep_seq", "rep_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    op: Mapped[str] = mapped_column(String(8))  # upsert | delete
    version: Mapped[int] = mapped_column(Integer, default=0)
    # Whose territory the record is in now, whose it was before a reassignment, who authored it.
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    prev_owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    rep_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Names of the fields this change wrote (None: all of them), for field-level conflict checks.
    fields: Mapped[list | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncClient(db.Model):
    """A phone install: bound to one user, with the last mutation seq it had applied."""

    __tablename__ = "sync_clients"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncMutation(db.Model):
    """The outcome of one pushed mutation, replayed verbatim when the push is retried."""

    __tablename__ = "sync_mutations"
    # One client's journal; a mutation id may stand under two of its seqs (a renumbered queue).
    __table_args__ = (
        Index("ix_sync_mutations_client_mutation", "client_id", "mutation_id"),
        Index("ix_sync_mutations_client_record", "client_id", "entity_id"),
        Index("ix_sync_mutations_conflict_at", "conflict_at"),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("sync_clients.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    mutation_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    payload_hash: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict] = mapped_column(JSON)
    # The record it wrote and the version that write made: a later edit from the same phone, made on an
    # older base version, does not take the phone's own earlier edit for the server's (no false conflict).
    entity: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    version: Mapped[int | None] = mapped_column(Integer)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # An account edit answered `conflict` (the rep chooses on the phone which value stays): when it was
    # raised, and when the phone said the rep had chosen (POST /api/sync/conflicts/resolved). One raised and
    # not resolved for a while is news for the rep's manager (server/notify/conflicts.py).
    conflict_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
