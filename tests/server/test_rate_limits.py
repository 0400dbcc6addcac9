"""The expensive operations are rate-limited per user: over the limit, 429 in the usual envelope with
Retry-After, and another user is not held up by it."""
from tests.transfer.test_import_export import HEADER_ZH, _upload, rows_zh


def test_route_planning_is_limited_per_user(app, client, world):
    app.config["PLAN_RATE_LIMIT"] = "3 per minute"
    answers = [client.post("/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers("r1"))
               for _ in range(4)]
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
    codes = [_upload(client, world, "m1", content, "?dry_run=true").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_plans_beyond_the_processs_solver_slots_wait_for_one_then_answer_503(app, world, monkeypatch):
    """Two real requests at once, on two threads: while one plan holds the only slot, a second waits
    for it and gets it when it frees, or answers 503 planner_busy with Retry-After when none frees in
    time; other requests (the health check, a stored plan) are served meanwhile."""
    import threading

    from server.route_plans import views as planning

    entered, release, real_plan_day = threading.Event(), threading.Event(), planning.plan_day

    def plan_that_holds(*args, **kwargs):
        if not entered.is_set():
            entered.set()
            assert release.wait(30)
        return real_plan_day(*args, **kwargs)

    monkeypatch.setattr(planning, "plan_day", plan_that_holds)
    app.config.update(PLAN_CONCURRENCY=1, PLAN_QUEUE_WAIT_S=0.3)
    answers = {}

    def plan(who):
        answers[who] = app.test_client().post("/api/routes/plan", json={"date": "2026-11-10"},
                                              headers=world.headers(who))

    first = threading.Thread(target=plan, args=("r1",))
    first.start()
    assert entered.wait(30)
    plan("r2")  # the slot stays taken past PLAN_QUEUE_WAIT_S
    busy = answers["r2"]
    assert busy.status_code == 503 and busy.get_json()["error"]["code"] == "planner_busy"
    assert int(busy.headers["Retry-After"]) >= 5  # the limiter may name its own, later, window end
    client = app.test_client()
    assert client.get("/api/health").status_code == 200
    app.config["PLAN_QUEUE_WAIT_S"] = 30
    second = threading.Thread(target=plan, args=("r2",))
    second.start()  # waits for the slot this time
    second.join(0.3)
    assert second.is_alive() and "r1" not in answers
    release.set()
    first.join(60)
    second.join(60)
    assert answers["r1"].status_code == 200 and answers["r2"].status_code == 200
    assert answers["r2"].get_json()["rep_id"] == str(world.users["r2"])
