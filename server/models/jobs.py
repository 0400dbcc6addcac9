"""Work that runs after the request that asked for it: a large CSV import, with its progress."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import Timestamped, UTCDateTime, UUIDPrimaryKey

IMPORT_STATES = ("queued", "running", "done", "failed")


class ImportJob(UUIDPrimaryKey, Timestamped, db.Model):
    """One uploaded file waiting for, going through or done with the importer. The file is kept
    only until the job ends; the report (capped like the synchronous one) stays."""

    __tablename__ = "import_jobs"

    kind: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    options: Mapped[dict] = mapped_column(JSON, default=dict)  # owner, dry_run, skip_invalid
    upload: Mapped[bytes | None] = mapped_column(LargeBinary)
    size_bytes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    rows_read: Mapped[int] = mapped_column(Integer, default=0)  # as of the end: live figures are in jobs.progress
    report: Mapped[dict | None] = mapped_column(JSON)
    failure: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "host:pid" of the web process that runs it when no broker is set (None under Celery): a job left
    # queued or running by a process that has gone is reported failed instead of waited for forever.
    runner: Mapped[str | None] = mapped_column(String(96))
