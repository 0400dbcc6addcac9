"""Bad input is a clear 4xx, never a 500, and never changes what is stored (issue: security and bad input)."""

import json

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Account, Opportunity, Visit
from tests.conftest import new_id
from tests.sync.phone import Phone

NUL, SURROGATE = "a\x00b", "a\ud800b"


def counts(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Account, Visit, Opportunity))


def send(client, method, path, headers, body=None, raw=None):
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    return client.open(path, method=method, data=data, headers={**headers, "Content-Type": "application/json"})


def bad_cases(world):
    account = str(world.accounts["r1"])
    visit = {"account_id": account, "purpose": "ok"}
    return [
        ("POST", "/api/accounts", {"name": NUL}, "name"),
        ("POST", "/api/accounts", {"name": SURROGATE}, "name"),
        ("PATCH", f"/api/accounts/{account}", {"notes": NUL}, "notes"),
        ("POST", "/api/contacts", {"account_id": account, "name": "x", "notes": SURROGATE}, "notes"),
        ("POST", "/api/visits", {**visit, "check_in_at": "0001-01-01T00:00:00+00:00"}, "check_in_at"),
        ("POST", "/api/visits", {**visit, "check_in_at": "9999-12-31T23:59:59+00:00"}, "check_in_at"),
        (
            "POST",
            "/api/devices",
            {"account_id": account, "ownership": "ours", "brand": "x", "monthly_volume": 2**70},
            "monthly_volume",
        ),
        ("POST", "/api/accounts", {"name": "x", "latitude": float("nan")}, "latitude"),
        (
            "POST",
            "/api/devices",
            {"account_id": account, "ownership": "ours", "brand": "x", "installed_on": "0001-01-01"},
            "installed_on",
        ),
        ("POST", "/api/routes/plan", {"date": "0001-01-01"}, "date"),
        ("POST", "/api/routes/plan", {"date": "9999-12-31"}, "date"),
        # Forms of a date Python reads but the document does not publish (YYYY-MM-DD, then T and the time).
        ("POST", "/api/routes/plan", {"date": "2026-W49"}, "date"),
        ("POST", "/api/routes/plan", {"date": "20261201"}, "date"),
        (
            "POST",
            "/api/devices",
            {"account_id": account, "ownership": "ours", "brand": "x", "installed_on": "2026-W49-1"},
            "installed_on",
        ),
        ("POST", "/api/visits", {**visit, "check_in_at": "2026-W49-1T10:00:00+00:00"}, "check_in_at"),
        ("POST", "/api/visits", {**visit, "check_in_at": "20261130T100000+0000"}, "check_in_at"),
        ("POST", "/api/visits", {**visit, "check_in_at": "2026-11-30 10:00:00+00:00"}, "check_in_at"),
    ]


def test_every_bad_value_is_a_422_naming_its_field_and_nothing_changes(app, client, world):
    before = counts(app)
    for method, path, body, field in bad_cases(world):
        response = send(client, method, path, world.headers("r1"), body)
        assert response.status_code == 422, (path, body, response.status_code, response.get_data(as_text=True)[:300])
        assert field in response.get_json()["error"]["fields"], (path, response.get_json())
    assert counts(app) == before


@pytest.mark.parametrize(
    "query",
    [
        "/api/reports/daily?date=0001-01-01",
        "/api/reports/daily?date=9999-12-31",
        "/api/reports/funnel?from=0001-01-01&to=0001-01-31",
        "/api/reports/time-ratios?from=9999-12-01&to=9999-12-31",
        "/api/exports/visits?from=0001-01-01&to=0001-02-01",
        "/api/visits?from=0001-01-01T00:00:00%2B00:00",
        "/api/visits?to=9999-12-31T00:00:00%2B00:00",
        "/api/accounts?q=%00",
        "/api/reports/targets?from=0001-01-01&to=0001-01-31",
        "/api/reports/daily?date=2026-W49",
        "/api/reports/funnel?from=20261101&to=20261130",
        "/api/exports/visits?from=2026-W45&to=2026-W49",
        "/api/visits?from=2026-W49-1T00:00:00%2B00:00",
    ],
)
def test_bad_dates_and_characters_in_queries_are_422(client, world, query):
    response = client.get(query, headers=world.headers("m1"))
    assert response.status_code == 422, (query, response.status_code, response.get_data(as_text=True)[:300])


def test_a_bad_month_for_a_target_is_422(client, world):
    body = {"rep_id": str(world.users["r1"]), "month": "0000-01", "amount": 100}
    response = client.put("/api/reports/targets/monthly", json=body, headers=world.headers("m1"))
    assert response.status_code == 422 and response.get_json()["error"]["fields"]


def test_login_with_unstorable_characters_is_refused_not_a_500(client):
    for username in (NUL, SURROGATE):
        response = client.post(
            "/api/auth/login",
            data=json.dumps({"username": username, "password": "x"}),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code in (401, 422), response.status_code


def test_a_5000_digit_number_is_refused_not_a_500(app, client, world):
    before = counts(app)
    raw = '{{"account_id": "{}", "ownership": "ours", "brand": "x", "monthly_volume": {}}}'.format(
        world.accounts["r1"],
        "9" * 5000,
    )
    response = send(client, "POST", "/api/devices", world.headers("r1"), raw=raw)
    assert response.status_code in (400, 422) and response.get_json()["error"]
    assert counts(app) == before


def test_deeply_nested_json_is_a_400(client, world):
    deep = "[" * 100_000 + "]" * 100_000
    response = send(client, "POST", "/api/accounts", world.headers("r1"), raw=deep)
    assert response.status_code in (400, 422) and response.get_json()["error"]


@pytest.mark.calendar
def test_one_bad_character_in_a_pushed_record_rejects_that_mutation_only(app, client, world):
    """It used to answer 500 on every retry, so nothing after it ever synced."""
    phone = Phone(client, world.headers("r1"))
    good_before = phone.create("visit", {"account_id": str(world.accounts["r1"]), "purpose": "fine"})
    phone.create("visit", {"account_id": str(world.accounts["r1"]), "purpose": "bad \x00 byte"})
    phone.create("visit", {"account_id": str(world.accounts["r1"]), "purpose": "bad \ud800 half"})
    phone.queue("account", "update", world.accounts["r1"], {"notes": NUL}, 1)
    good_after = phone.create("visit", {"account_id": str(world.accounts["r1"]), "purpose": "also fine"})
    response = phone.push()
    assert response.status_code == 200
    statuses = [r["status"] for r in response.get_json()["results"]]
    assert statuses == ["applied", "rejected", "rejected", "rejected", "applied"]
    assert all("fields" in r and r["fields"] for r in response.get_json()["results"][1:4])
    with app.app_context():
        stored = {str(v.id) for v in db.session.query(Visit)}
    assert {good_before, good_after} <= stored
    assert phone.push() is None  # nothing left: the queue is not wedged
    new_id()


def test_a_fraction_for_a_whole_number_is_refused_not_truncated(app, client, world):
    body = {"account_id": str(world.accounts["r1"]), "ownership": "ours", "brand": "x", "monthly_volume": 2.7}
    response = client.post("/api/devices", json=body, headers=world.headers("r1"))
    assert response.status_code == 422 and "monthly_volume" in response.get_json()["error"]["fields"]
    assert (
        client.post("/api/devices", json={**body, "monthly_volume": 3.0}, headers=world.headers("r1")).status_code
        == 201
    )


def test_a_patch_without_fields_is_refused(client, world):
    response = client.patch(f"/api/accounts/{world.accounts['r1']}", json={}, headers=world.headers("r1"))
    assert response.status_code == 422


@pytest.mark.calendar
def test_percent_and_underscore_in_a_search_are_letters(client, world):
    h = world.headers("r1")
    for name in ("100% Paper", "Print_Shop", "Plain"):
        assert client.post("/api/accounts", json={"name": name}, headers=h).status_code == 201

    def found(q):
        return sorted(a["name"] for a in client.get(f"/api/accounts?q={q}", headers=h).get_json()["items"])

    assert found("%25") == ["100% Paper"]
    assert found("_") == ["Print_Shop"]


@pytest.mark.calendar
def test_a_chunked_body_past_the_limit_is_413_and_a_small_one_is_read(client, world):
    import io

    chunked = {**world.headers("r1"), "Transfer-Encoding": "chunked", "Content-Type": "application/json"}
    big = b'{"name": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = client.post(
        "/api/accounts",
        input_stream=io.BytesIO(big),
        headers=chunked,
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "payload_too_large"
    small = client.post(
        "/api/accounts",
        input_stream=io.BytesIO(b'{"name": "Chunked Ltd"}'),
        headers=chunked,
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert small.status_code == 201 and small.get_json()["name"] == "Chunked Ltd"
