"""Large imports as background jobs.

The upload is stored with its job and the request answers 202 at once. A worker then runs the same
importer over it: a Celery worker when CELERY_BROKER_URL is set, otherwise one thread of the web
process (jobs queue behind each other, so imports never take more than one core of it). While a job
runs it reports how many rows and bytes it has read: through the task's state in Celery's result
backend, or in this process's memory. The job's end (its report, or why it failed) is stored in the
same transaction as the imported rows, so a job that says "done" has written what its report says.

Without a broker a job names the web process that runs it (`runner`, host and pid). Should that
process stop before the job ends (a restart, a crash), the job could never end: when it is next read
it is marked failed, "send the file again" (nothing of it was written). Under Celery a task whose
worker goes away is delivered again, so its jobs are left to it.
"""

import io
import logging
import os
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from sqlalchemy import select, update

from .. import clock
from ..extensions import db
from ..models import ImportJob, User
from ..security import Principal
from .geocoding import from_config
from .importing import import_file

RUN_IMPORT = "fieldday.run_import"
LISTED_JOBS = 20

log = logging.getLogger(__name__)
_live = {}  # job id -> {"rows_read", "bytes_read"}: jobs running on this process's thread
_mine = set()  # ids of the jobs this process has queued on its thread and not yet ended
_live_lock = threading.Lock()
ABANDONED = "The server stopped before this import ended; nothing of it was written. Send the file again."
UNEXPECTED = "The import stopped on an unexpected error; nothing of it was written."
FAILURE_CODES = {ABANDONED: "abandoned", UNEXPECTED: "unexpected"}  # for the app's catalogue


def _runner():
    """This web process ("host:pid") when it runs its own jobs; None under Celery."""
    return None if current_app.config["CELERY_BROKER_URL"] else f"{socket.gethostname()}:{os.getpid()}"


def create(caller, kind, data, options):
    """Store the file as a queued job; the caller dispatches it once this is committed."""
    runner = _runner()
    job = ImportJob(
        id=uuid.uuid4(),
        kind=kind,
        created_by=caller.id,
        options=options,
        upload=data,
        size_bytes=len(data),
        status="queued",
        rows_read=0,
        runner=runner,
    )
    if runner is not None:
        with _live_lock:
            _mine.add(job.id)  # held here from the start: a read before dispatch must not find it abandoned
    db.session.add(job)
    db.session.commit()
    return job


def dispatch(app, job_id):
    if app.config["CELERY_BROKER_URL"]:
        from ..background import celery_for

        celery_for(app).send_task(RUN_IMPORT, args=(str(job_id),), task_id=str(job_id))
        return
    # setdefault is atomic: two first uploads at once still share one worker thread (an unused
    # executor starts no thread).
    executor = app.extensions.setdefault("import_jobs", ThreadPoolExecutor(max_workers=1, thread_name_prefix="import"))
    executor.submit(_run_here, app, job_id)


def _run_here(app, job_id):
    def live(rows_read, bytes_read):
        with _live_lock:
            _live[job_id] = {"rows_read": rows_read, "bytes_read": bytes_read}

    with app.app_context():
        try:
            run(job_id, live)
        except Exception:
            log.exception("import job %s could not be run", job_id)
        finally:
            with _live_lock:
                _live.pop(job_id, None)
                _mine.discard(job_id)
            db.session.remove()


def run_task(task, job_id):
    """The Celery task: progress goes into the task's state, which `progress` reads back."""
    run(
        uuid.UUID(job_id),
        lambda rows_read, bytes_read: task.update_state(
            state="PROGRESS", meta={"rows_read": rows_read, "bytes_read": bytes_read}
        ),
    )


def run(job_id, on_progress=None):
    """Import a queued job's file. A job already ended is left alone (a task delivered twice); one left
    "running" by a worker that died is run again: nothing of it was committed."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.status in ("done", "failed"):
        return
    user = db.session.get(User, job.created_by)
    job.status, job.started_at = "running", clock.stamp()
    db.session.commit()
    caller = Principal(id=user.id, role=user.role, team_id=user.team_id)
    data, options, kind = job.upload or b"", dict(job.options or {}), job.kind

    def finish(report):
        ended = db.session.get(ImportJob, job_id)  # the importer expunges as it goes
        ended.status, ended.finished_at, ended.upload = "done", clock.stamp(), None
        ended.report, ended.rows_read = report.as_dict(), report.rows

    try:
        import_file(
            caller,
            kind,
            io.BytesIO(data),
            owner=options.get("owner"),
            dry_run=bool(options.get("dry_run")),
            skip_invalid=bool(options.get("skip_invalid")),
            datum=options.get("datum") or "wgs84",
            geocoder=from_config(current_app.config),
            progress=on_progress,
            finish=finish,
        )
    except Exception:
        log.exception("import job %s failed", job_id)
        db.session.rollback()
        failed = db.session.get(ImportJob, job_id)
        failed.status, failed.finished_at, failed.upload = "failed", clock.stamp(), None
        failed.failure = UNEXPECTED
        db.session.commit()


def progress(app, job):
    """{"rows_read", "bytes_read"} for a running job, when the worker running it says."""
    if job.status != "running":
        return None
    if app.config["CELERY_BROKER_URL"]:
        from ..background import celery_for

        result = celery_for(app).AsyncResult(str(job.id))
        return result.info if result.state == "PROGRESS" and isinstance(result.info, dict) else None
    with _live_lock:
        return dict(_live[job.id]) if job.id in _live else None


def for_caller(caller, job_id):
    """The job if the caller started it (or is an admin), else None: another's job is not found."""
    job = db.session.get(ImportJob, job_id)
    if job is None or (job.created_by != caller.id and not caller.is_admin):
        return None
    return _settled(job)


def recent(caller):
    return [
        _settled(job)
        for job in db.session.scalars(
            select(ImportJob)
            .where(ImportJob.created_by == caller.id)
            .order_by(ImportJob.created_at.desc())
            .limit(LISTED_JOBS)
        )
    ]


def abandoned(job):
    """Whether a queued or running job's web process has gone: this process, which no longer holds it,
    or another one on this host that no longer runs. A runner on another host cannot be asked: its
    job is left as it says."""
    if job.status not in ("queued", "running") or not job.runner:
        return False
    host, _, pid = job.runner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        with _live_lock:
            return job.id not in _mine
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it runs, as another user
        return False
    return False


def _settled(job):
    """The job, marked failed if its web process has gone (see `abandoned`)."""
    if abandoned(job):
        ended = db.session.execute(
            update(ImportJob)
            .where(ImportJob.id == job.id, ImportJob.status.in_(("queued", "running")))
            .values(status="failed", failure=ABANDONED, finished_at=clock.stamp(), upload=None)
        )
        db.session.commit()
        if ended.rowcount:
            log.warning("import job %s was left by %s, which has stopped: marked failed", job.id, job.runner)
        db.session.refresh(job)
    return job
