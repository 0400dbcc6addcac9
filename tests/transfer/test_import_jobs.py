"""Large imports run as background jobs: 202 with a job to poll, progress while it runs, the report at
the end, all-or-nothing as a synchronous import; in this process's thread, or on a real Celery worker."""

import io
import socket
import time
import uuid

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Account, ImportJob

HEADER = "external_key,name,address,latitude,longitude,class,owner\n"


def _rows(n, owner="r1", start=0):
    return "".join(
        f"J{i},Job account {i},Road {i},31.{i % 1000:03d},121.4,B,{owner}\n" for i in range(start, start + n)
    )


def _post(client, world, who, content, query=""):
    return client.post(
        f"/api/imports/accounts{query}",
        headers=world.headers(who),
        data={"file": (io.BytesIO(content), "accounts.csv")},
        content_type="multipart/form-data",
    )


def _wait(client, world, who, location, seen=None, timeout_s=120):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(location, headers=world.headers(who)).get_json()
        if seen is not None:
            seen.append(job)
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"the job did not end within {timeout_s} s: {job}")


def _accounts(app, prefix="J"):
    with app.app_context():
        return db.session.scalar(select(func.count()).where(Account.external_key.like(f"{prefix}%")))


@pytest.fixture
def paused(monkeypatch):
    """The job pauses after its first progress report until the test sets this event (polled once)."""
    import threading

    from server.transfer import jobs

    polled, real_import = threading.Event(), jobs.import_file

    def import_that_waits(*args, progress, **kwargs):
        def report_then_wait(rows, read):
            progress(rows, read)
            polled.wait(30)

        return real_import(*args, progress=report_then_wait, **kwargs)

    monkeypatch.setattr(jobs, "import_file", import_that_waits)
    yield polled
    polled.set()


def _progress_while_paused(client, world, location, paused, size):
    deadline = time.monotonic() + 30
    while not (during := client.get(location, headers=world.headers("m1")).get_json())["progress"]:
        assert time.monotonic() < deadline, during
        time.sleep(0.02)
    paused.set()
    assert during["status"] == "running" and during["progress"]["rows_read"] == 250
    assert 0 < during["progress"]["bytes_read"] <= size and 0 < during["progress"]["percent"] <= 100


def test_a_file_over_the_threshold_is_a_job_whose_progress_moves_and_whose_report_matches(app, client, world, paused):
    app.config["IMPORT_BACKGROUND_BYTES"] = 4096
    content = (HEADER + _rows(1000)).encode()  # four progress reports (every 250 rows), and an end
    answer = _post(client, world, "m1", content)
    assert answer.status_code == 202, answer.get_json()
    job = answer.get_json()
    assert job["status"] in ("queued", "running") and job["size_bytes"] == len(content) and job["report"] is None
    assert answer.headers["Location"] == f"/api/imports/jobs/{job['id']}"
    _progress_while_paused(client, world, answer.headers["Location"], paused, len(content))
    seen = []
    ended = _wait(client, world, "m1", answer.headers["Location"], seen)
    assert ended["status"] == "done" and ended["failure"] is None
    report = ended["report"]
    assert (report["rows"], report["created"], report["written"], report["error_count"]) == (1000, 1000, True, 0)
    assert ended["progress"] == {"rows_read": 1000, "bytes_read": len(content), "percent": 100.0}
    assert _accounts(app) == 1000
    running = [j["progress"] for j in seen if j["status"] == "running" and j["progress"]]
    # Progress, where the poll caught the job running, only moves forward and stays inside the file.
    rows = [p["rows_read"] for p in running]
    assert rows == sorted(rows) and all(0 < p["bytes_read"] <= len(content) for p in running)
    with app.app_context():
        stored = db.session.get(ImportJob, uuid.UUID(job["id"]))
        assert stored.upload is None and stored.finished_at >= stored.started_at  # the file is not kept


def test_a_job_with_a_bad_row_writes_nothing_and_reports_the_row_and_skip_invalid_writes_the_rest(app, client, world):
    content = (HEADER + _rows(40) + "J999,Bad row,Road,95,121.4,B,r1\n" + _rows(5, start=40)).encode()
    answer = _post(client, world, "m1", content, "?background=true")
    assert answer.status_code == 202
    ended = _wait(client, world, "m1", answer.headers["Location"])
    report = ended["report"]
    assert ended["status"] == "done" and report["written"] is False and report["error_count"] == 1
    assert report["errors"][0]["row"] == 42 and report["errors"][0]["field"] == "latitude"
    assert _accounts(app) == 0
    again = _post(client, world, "m1", content, "?background=true&skip_invalid=true")
    report = _wait(client, world, "m1", again.headers["Location"])["report"]
    assert (report["written"], report["created"], report["skipped"]) == (True, 45, 1) and _accounts(app) == 45
    dry = _post(client, world, "m1", (HEADER + _rows(3, start=100)).encode(), "?background=true&dry_run=true")
    report = _wait(client, world, "m1", dry.headers["Location"])["report"]
    assert report["dry_run"] and report["created"] == 3 and not report["written"] and _accounts(app) == 45


def test_jobs_are_the_callers_own_and_reps_cannot_start_them(app, client, world):
    content = (HEADER + _rows(2)).encode()
    assert _post(client, world, "r1", content, "?background=true").status_code == 403
    answer = _post(client, world, "m1", content, "?background=true")
    location = answer.headers["Location"]
    _wait(client, world, "m1", location)
    for who, status in (("m2", 404), ("r1", 403), ("admin", 200)):
        assert client.get(location, headers=world.headers(who)).status_code == status, who
    assert client.get(f"/api/imports/jobs/{uuid.uuid4()}", headers=world.headers("m1")).status_code == 404
    listed = client.get("/api/imports/jobs", headers=world.headers("m1")).get_json()["jobs"]
    assert [j["id"] for j in listed] == [answer.get_json()["id"]]
    assert client.get("/api/imports/jobs", headers=world.headers("m2")).get_json()["jobs"] == []


def test_a_job_whose_rows_clash_with_a_stored_record_says_so_and_a_second_run_leaves_it_alone(app, client, world):
    """A task delivered twice (Celery's acks-late) runs once: an ended job is left as it is."""
    from server.transfer import jobs

    answer = _post(client, world, "m1", (HEADER + _rows(3)).encode(), "?background=true")
    ended = _wait(client, world, "m1", answer.headers["Location"])
    assert ended["report"]["created"] == 3
    with app.app_context():
        jobs.run(uuid.UUID(ended["id"]))
    again = client.get(answer.headers["Location"], headers=world.headers("m1")).get_json()
    assert again == ended and _accounts(app) == 3


def _redis_reachable():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


def test_with_a_broker_the_job_runs_on_a_celery_worker_and_reports_progress_through_it(app, client, world, paused):
    from celery.contrib.testing.worker import start_worker

    from server.background import celery_for

    if not _redis_reachable():
        pytest.skip("Redis on 127.0.0.1:6379 is not reachable: the Celery path is not tested here")
    app.config.update(
        CELERY_BROKER_URL="redis://127.0.0.1:6379/15",
        CELERY_QUEUE=f"fieldday-test-{uuid.uuid4().hex}",
        IMPORT_BACKGROUND_BYTES=4096,
    )
    content = (HEADER + _rows(600)).encode()  # progress at 250 and 500, then the end
    with start_worker(celery_for(app), pool="threads", concurrency=1, perform_ping_check=False, loglevel="WARNING"):
        answer = _post(client, world, "m1", content)
        assert answer.status_code == 202
        _progress_while_paused(client, world, answer.headers["Location"], paused, len(content))
        seen = []
        ended = _wait(client, world, "m1", answer.headers["Location"], seen)
    assert ended["status"] == "done" and ended["report"]["created"] == 600 and _accounts(app) == 600
    running = [j["progress"]["rows_read"] for j in seen if j["status"] == "running" and j["progress"]]
    assert running == sorted(running)


def test_a_job_left_by_a_web_process_that_has_gone_ends_as_failed_and_others_are_left_alone(app, client, world):
    """Without a broker the web process runs its jobs. One left queued or running by a process that has
    stopped (a restart mid-import) is reported failed, "send the file again", when next read; a job held by
    a live process, or by one on another host, is left as it says."""
    import os
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process id that no longer runs
    host = socket.gethostname()
    with app.app_context():
        manager = world.users["m1"]

        def job(status, runner):
            row = ImportJob(
                kind="accounts", created_by=manager, options={}, upload=b"x", size_bytes=1, status=status, runner=runner
            )
            db.session.add(row)
            db.session.commit()
            return str(row.id)

        left_running = job("running", f"{host}:{gone.pid}")
        left_queued = job("queued", f"{host}:{gone.pid}")
        dropped_here = job("running", f"{host}:{os.getpid()}")  # this process, which does not hold it
        elsewhere = job("running", f"{host}:{os.getppid()}")  # a live process
        other_host = job("running", f"another-host.example:{gone.pid}")

    def read(job_id):
        answer = client.get(f"/api/imports/jobs/{job_id}", headers=world.headers("m1"))
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    for job_id in (left_running, left_queued, dropped_here):
        ended = read(job_id)
        assert ended["status"] == "failed" and "Send the file again" in ended["failure"] and ended["finished_at"]
        assert ended["failure_code"] == "abandoned"  # the app says it in the phone's language
    assert read(elsewhere)["status"] == "running" and read(other_host)["status"] == "running"
    listed = {
        j["id"]: j["status"] for j in client.get("/api/imports/jobs", headers=world.headers("m1")).get_json()["jobs"]
    }
    assert listed[left_running] == "failed" and listed[elsewhere] == "running"
    with app.app_context():
        assert db.session.get(ImportJob, uuid.UUID(left_running)).upload is None  # the file is not kept
