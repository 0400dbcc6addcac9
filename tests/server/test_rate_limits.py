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
