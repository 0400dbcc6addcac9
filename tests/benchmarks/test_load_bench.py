"""The expensive operations under load, over HTTP on a threaded live server:

- a health check while 8 route plans arrive at once, with the process's solver slots uncapped (8, as
  before PLAN_CONCURRENCY) and capped (1, the default: the other 7 are refused at once, 503 planner_busy),
  in one run (gunicorn under bursts of plans: test_plan_slots_bench.py);
- a 20,000-row accounts import as a background job: how soon the upload is answered, and how long
  the job takes, against a web worker's 30 s timeout.

    make bench
"""

import json
import statistics
import threading
import time
import urllib.error
import urllib.request
import uuid

from server.extensions import db
from tests.pwa.conftest import PASSWORD, start_live_server, today_local


def _call(url, path, token=None, body=None, method=None, data=None, content_type="application/json"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        data = json.dumps(body).encode()
    if data is not None:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _token(url, username):
    return _call(url, "/api/auth/login", body={"username": username, "password": PASSWORD})[1]["access_token"]


def _health_during_plans(server, token, slots):
    server.app.config.update(PLAN_CONCURRENCY=slots, PLAN_RATE_LIMIT="1000 per minute")
    server.app.extensions["planner_slots"] = threading.BoundedSemaphore(slots)
    day = today_local().isoformat()
    codes = []
    planners = [
        threading.Thread(
            target=lambda: codes.append(_call(server.url, "/api/routes/plan", token, {"date": day, "preview": True}))
        )
        for _ in range(8)
    ]
    for thread in planners:
        thread.start()
    waits = []
    while any(t.is_alive() for t in planners):
        t0 = time.perf_counter()
        assert _call(server.url, "/api/health")[0] == 200
        waits.append(time.perf_counter() - t0)
        time.sleep(0.1)
    for thread in planners:
        thread.join()
    assert {status for status, _ in codes} <= {200, 503}, codes  # 503: the client retries after Retry-After
    busy = sum(1 for status, body in codes if status == 503 and body["error"]["code"] == "planner_busy")
    return waits, sum(1 for status, _ in codes if status == 503) - busy, busy


def test_health_during_eight_plans_and_a_large_background_import(tmp_path):
    server = start_live_server(tmp_path, today_local(), weeks=1)
    try:
        rep, manager = _token(server.url, "rep1"), _token(server.url, "manager")
        print()
        for slots in (8, 1):
            t0 = time.perf_counter()
            waits, clashes, busy = _health_during_plans(server, rep, slots)
            took = time.perf_counter() - t0
            print(
                f"health check during 8 simultaneous plans, {slots} solver slot(s): median "
                f"{statistics.median(waits) * 1000:.0f} ms, max {max(waits) * 1000:.0f} ms over {len(waits)} checks; "
                f"the 8 plans took {took:.1f} s, {busy} refused at once as planner_busy, {clashes} answered 503 "
                "(SQLite busy)"
            )
            if slots == 1:
                assert clashes == 0 and busy >= 1  # one solve at a time: the others refused, no database clash
        rows = 20000
        content = (
            "external_key,name,address,latitude,longitude,class,owner\n"
            + "".join(
                f"L{i},Load account {i},Road {i},31.{i % 1000:03d},121.{i % 997:03d},{'ABC'[i % 3]},rep1\n"
                for i in range(rows)
            )
        ).encode()
        boundary = uuid.uuid4().hex
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'.encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        t0 = time.perf_counter()
        status, job = _call(
            server.url,
            "/api/imports/accounts",
            manager,
            method="POST",
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        answered = time.perf_counter() - t0
        assert status == 202, job
        polls = []
        while job["status"] not in ("done", "failed"):
            time.sleep(0.5)
            p0 = time.perf_counter()
            job = _call(server.url, f"/api/imports/jobs/{job['id']}", manager)[1]
            polls.append(time.perf_counter() - p0)
        took = time.perf_counter() - t0
        assert job["status"] == "done" and job["report"]["created"] == rows, job
        print(
            f"import of {rows:,} accounts ({len(content) / 1e6:.1f} MB) as a background job: answered 202 in "
            f"{answered * 1000:.0f} ms, done in {took:.1f} s ({rows / took:,.0f} rows/s); progress polls median "
            f"{statistics.median(polls) * 1000:.0f} ms"
        )
    finally:
        server.stop()
        with server.app.app_context():
            db.engine.dispose()
