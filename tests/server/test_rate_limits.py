"""The expensive operations are rate-limited per user: over the limit, 429 in the usual envelope with
Retry-After, and another user is not held up by it."""

from tests.transfer.test_import_export import HEADER_ZH, _upload, rows_zh


def test_route_planning_is_limited_per_user(app, client, world, clock):
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    app.config["PLAN_RATE_LIMIT"] = "3 per minute"
    answers = [
        client.post("/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers("r1")) for _ in range(4)
    ]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.get_json()["error"]["code"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) > 0
    # Another rep plans as usual: the limit is per user, not for everyone.
    assert client.post("/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers("r2")).status_code == 200
    # A stored plan can still be read: only the expensive call is limited.
    assert client.get(f"/api/routes/{world.users['r1']}/2026-11-10", headers=world.headers("r1")).status_code == 200


def test_imports_are_limited_per_user(app, client, world):
    app.config["IMPORT_RATE_LIMIT"] = "2 per minute"
    content = (HEADER_ZH + rows_zh(1)).encode()
    codes = [_upload(client, world, "m1", content).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_a_plan_beyond_the_processs_solver_slots_is_refused_at_once_with_retry_after(app, world, monkeypatch, clock):
    """Two real requests at once, on two threads: while one plan holds the only slot, a second is refused
    at once (503 planner_busy, Retry-After PLAN_QUEUE_WAIT_S: it never waits on a server thread for the
    slot) and other requests (the health check, a stored plan) are served meanwhile; once the slot is
    free, the refused plan asked again goes through."""
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    import threading
    import time

    from server.route_plans import views as planning

    entered, release, real_plan_day = threading.Event(), threading.Event(), planning.plan_day

    def plan_that_holds(*args, **kwargs):
        if not entered.is_set():
            entered.set()
            assert release.wait(30)
        return real_plan_day(*args, **kwargs)

    monkeypatch.setattr(planning, "plan_day", plan_that_holds)
    app.config.update(PLAN_CONCURRENCY=1, PLAN_QUEUE_WAIT_S=7)
    answers = {}

    def plan(who):
        answers[who] = app.test_client().post(
            "/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers(who)
        )

    first = threading.Thread(target=plan, args=("r1",))
    first.start()
    try:
        assert entered.wait(30)
        t0 = time.perf_counter()
        plan("r2")
        took = time.perf_counter() - t0
        busy = answers["r2"]
        assert took < 5, f"refused after {took:.2f} s: it waited for the slot"  # PLAN_QUEUE_WAIT_S is 7
        assert busy.status_code == 503, busy.get_json()
        error = busy.get_json()["error"]
        assert (error["code"], error["retry_after_s"]) == ("planner_busy", 7)
        assert busy.headers["Retry-After"] == "7"  # ours, not the rate limiter's window end
        client = app.test_client()
        t0 = time.perf_counter()
        assert client.get("/api/health").status_code == 200
        assert time.perf_counter() - t0 < 5  # not held behind the plan (bounds wide: a shared machine)
        assert client.get(f"/api/routes/{world.users['r1']}/2026-11-10", headers=world.headers("r1")).status_code in (
            200,
            404,
        )
        assert first.is_alive() and "r1" not in answers  # the first plan still holds the slot
    finally:
        release.set()
        first.join(60)
    assert answers["r1"].status_code == 200
    plan("r2")  # asked again once the slot is free
    assert answers["r2"].status_code == 200 and answers["r2"].get_json()["rep_id"] == str(world.users["r2"])


def test_the_plan_operation_documents_the_busy_answer(client):
    post = client.get("/api/openapi.json").get_json()["paths"]["/api/routes/plan"]["post"]
    for status in ("503", "429"):
        answer = post["responses"][status]
        assert answer["headers"]["Retry-After"]["schema"]["type"] == "integer"
        assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "planner_busy" in post["responses"]["503"]["description"]


def test_dry_runs_do_not_use_up_the_write_limit_and_have_their_own(app, client, world):
    """With the defaults (writes 10 a minute, dry runs 60): a manager checks a dozen files in a row,
    then imports ten; the eleventh write is refused with Retry-After, while checking still goes on."""
    assert app.config["IMPORT_RATE_LIMIT"] == "10 per minute"
    assert app.config["IMPORT_DRY_RUN_RATE_LIMIT"] == "60 per minute"
    content = (HEADER_ZH + rows_zh(1)).encode()
    checks = [_upload(client, world, "m1", content, "?dry_run=true") for _ in range(12)]
    assert [r.status_code for r in checks] == [200] * 12
    assert all(r.get_json()["dry_run"] for r in checks)
    writes = [_upload(client, world, "m1", content).status_code for _ in range(11)]
    assert writes == [200] * 10 + [429]
    refused = _upload(client, world, "m1", content, "?dry_run=false")
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) > 0
    assert _upload(client, world, "m1", content, "?dry_run=1").status_code == 200  # checking goes on
    # Another manager's writes (of their own territory's rows: m1's are not theirs) are theirs to count.
    south = (HEADER_ZH + rows_zh(1, start=900).replace(",r1,", ",r3,")).encode()
    assert _upload(client, world, "m2", south).status_code == 200


def test_dry_runs_past_their_own_limit_are_refused(app, client, world):
    app.config["IMPORT_DRY_RUN_RATE_LIMIT"] = "3 per minute"
    content = (HEADER_ZH + rows_zh(1)).encode()
    codes = [_upload(client, world, "m1", content, "?dry_run=true").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = _upload(client, world, "m1", content, "?dry_run=yes")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    # A value the import would not read as a dry run counts as a write (and is refused by the import).
    assert _upload(client, world, "m1", content, "?dry_run=maybe").status_code == 422
    assert _upload(client, world, "m1", content).status_code == 200


def test_the_import_documents_its_limits_and_the_429(client):
    post = client.get("/api/openapi.json").get_json()["paths"]["/api/imports/{kind}"]["post"]
    refused = post["responses"]["429"]
    assert "IMPORT_RATE_LIMIT" in refused["description"] and "IMPORT_DRY_RUN_RATE_LIMIT" in refused["description"]
    assert refused["headers"]["Retry-After"]["schema"]["type"] == "integer"
    assert refused["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
