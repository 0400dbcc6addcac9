"""Bad input gets a clear 4xx with the field named, and nothing is written."""

import re

import pytest

from tests.conftest import new_id

# Nothing here depends on the date: the module runs at one fixed instant (see `fixed_clock`).
pytestmark = pytest.mark.usefixtures("fixed_clock")


def count(client, world, resource):
    return client.get(f"/api/{resource}", headers=world.headers("admin")).get_json()["total"]


def fields_of(response):
    body = response.get_json()
    assert set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"])
    return body["error"]["fields"]


def test_malformed_json_is_400(client, world):
    response = client.post(
        "/api/accounts", data="{not json", content_type="application/json", headers=world.headers("r1")
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize(
    "body,field",
    [
        ({"name": 42}, "name"),
        ({"name": "x", "latitude": "north"}, "latitude"),
        ({"name": "x", "latitude": 91}, "latitude"),
        ({"name": "x", "longitude": -180.5}, "longitude"),
        ({"name": "x", "account_class": "D"}, "account_class"),
        ({"name": "x", "org_type": "shop"}, "org_type"),
        ({"name": "x", "last_year_sales": "-1"}, "last_year_sales"),
        ({"name": "x", "id": "not-a-uuid"}, "id"),
        ({"name": "x", "colour": "red"}, "colour"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({}, "name"),
        ({"name": "x", "last_contact_at": "2026-01-01T00:00:00+00:00"}, "last_contact_at"),
    ],
)
def test_account_fields_are_validated(client, world, body, field):
    before = count(client, world, "accounts")
    response = client.post("/api/accounts", json=body, headers=world.headers("r1"))
    assert response.status_code == 422
    assert field in fields_of(response)
    assert count(client, world, "accounts") == before


@pytest.mark.parametrize(
    "resource,body,field",
    [
        (
            "visits",
            {"purpose": "x", "check_in_at": "2026-11-02T09:00:00+08:00", "check_out_at": "2026-11-02T08:59:00+08:00"},
            "check_out_at",
        ),
        ("visits", {"purpose": "x", "check_out_at": "2026-11-02T09:00:00+08:00"}, "check_out_at"),
        ("visits", {"purpose": "   "}, "purpose"),
        ("visits", {}, "purpose"),
        ("visits", {"purpose": "x", "check_in_at": "2026-11-02T09:00:00"}, "check_in_at"),
        ("visits", {"purpose": "x", "check_in_lat": -91}, "check_in_lat"),
        ("visits", {"purpose": "x", "check_in_accuracy_m": -5}, "check_in_accuracy_m"),
        ("appointments", {"starts_at": "2026-12-01T10:00:00+08:00", "ends_at": "2026-12-01T09:00:00+08:00"}, "ends_at"),
        ("appointments", {"starts_at": "2026-12-01T10:00:00+08:00", "ends_at": "2026-12-01T10:00:00+08:00"}, "ends_at"),
        ("devices", {"ownership": "ours", "brand": "X", "monthly_volume": -1}, "monthly_volume"),
        ("devices", {"ownership": "ours", "brand": "X", "installed_on": "2999-01-01"}, "installed_on"),
        ("contacts", {"name": "A", "email": "not-an-email"}, "email"),
        ("contacts", {"name": "A", "purchase_role": "boss"}, "purchase_role"),
        ("opportunities", {"title": "T", "stage": "X"}, "stage"),
        ("opportunities", {"title": "T", "status": "won", "stage": "D"}, "stage"),
        ("opportunities", {"title": "T", "status": "lost"}, "loss_reason"),
        ("opportunities", {"title": "T", "loss_reason": "price"}, "loss_reason"),
    ],
)
def test_account_records_are_validated(client, world, resource, body, field):
    before = count(client, world, resource)
    response = client.post(
        f"/api/{resource}", json={"account_id": str(world.accounts["r1"]), **body}, headers=world.headers("r1")
    )
    assert response.status_code == 422, response.get_json()
    assert field in fields_of(response)
    assert count(client, world, resource) == before


@pytest.mark.parametrize(
    "body,field",
    [
        ({"category": "lunch", "started_at": "2026-11-02T09:00:00+08:00"}, "category"),
        (
            {"category": "admin", "started_at": "2026-11-02T09:00:00+08:00", "ended_at": "2026-11-02T08:00:00+08:00"},
            "ended_at",
        ),
        ({"category": "admin"}, "started_at"),
        ({"category": "admin", "started_at": "yesterday"}, "started_at"),
    ],
)
def test_activities_are_validated(client, world, body, field):
    before = count(client, world, "activities")
    response = client.post("/api/activities", json=body, headers=world.headers("r1"))
    assert response.status_code == 422
    assert field in fields_of(response)
    assert count(client, world, "activities") == before


def test_end_before_start_on_update_keeps_the_stored_record(client, world):
    url = f"/api/visits/{world.visits['r1']}"
    before = client.get(url, headers=world.headers("r1")).get_json()
    response = client.patch(
        url, json={"check_out_at": "2020-01-01T00:00:00+00:00", "notes": "new"}, headers=world.headers("r1")
    )
    assert response.status_code == 422 and "check_out_at" in fields_of(response)
    assert client.get(url, headers=world.headers("r1")).get_json() == before


def test_unknown_fields_are_named(client, world):
    response = client.patch(f"/api/accounts/{world.accounts['r1']}", json={"nmae": "typo"}, headers=world.headers("r1"))
    assert response.status_code == 422
    assert fields_of(response) == {"nmae": ["Unknown field."]}


def test_a_number_for_a_boolean_is_refused_and_text_with_nul_too(client, world):
    """What the document says of every field: a boolean is true or false (not 0 or 1), text holds no NUL;
    a boolean in the query string is the words true and false."""
    url = f"/api/visits/{world.visits['r1']}"
    before = client.get(url, headers=world.headers("r1")).get_json()
    for body, field in (({"met": 0}, "met"), ({"met": 1.0}, "met"), ({"notes": "a\x00b"}, "notes")):
        response = client.patch(url, json=body, headers=world.headers("r1"))
        assert response.status_code == 422 and list(fields_of(response)) == [field], body
    assert client.get(url, headers=world.headers("r1")).get_json() == before
    assert client.patch(url, json={"met": False}, headers=world.headers("r1")).get_json()["met"] is False
    assert client.get("/api/visits?open=true", headers=world.headers("r1")).status_code == 200
    spec = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    pattern = spec["VisitPatch"]["properties"]["notes"]["pattern"]
    assert re.search(pattern, "a\nb") and not re.search(pattern, "a\x00b")


def test_bad_query_parameters_are_named(client, world):
    response = client.get("/api/accounts?per_page=100000&class=Z", headers=world.headers("r1"))
    assert response.status_code == 422
    assert {"per_page", "class"} <= set(fields_of(response))


def test_oversize_body_is_refused(client, world):
    before = count(client, world, "accounts")
    response = client.post(
        "/api/accounts", json={"name": "x", "notes": "n" * (3 * 1024 * 1024)}, headers=world.headers("r1")
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert count(client, world, "accounts") == before


@pytest.mark.parametrize(
    "body,content_type",
    [
        ("name=x", "application/x-www-form-urlencoded"),
        ('{"name": "x"}', "text/plain"),  # JSON, but not sent as JSON (fetch's default for a string body)
        ('{"name": "x"}', "text/plain;charset=UTF-8"),
        ('{"name": "x"}', None),
    ],
)
def test_a_body_not_sent_as_json_is_a_415(client, world, body, content_type):
    """Before, the body was read as missing: a 422 naming every required field, which sends the client looking
    for a mistake in the fields it did send."""
    before = count(client, world, "accounts")
    response = client.post("/api/accounts", data=body, content_type=content_type, headers=world.headers("r1"))
    assert response.status_code == 415, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "unsupported_media_type" and error["fields"] == {}
    assert "application/json" in error["message"]
    assert count(client, world, "accounts") == before
    # The same body as JSON is taken.
    assert (
        client.post(
            "/api/accounts", data='{"name": "x"}', content_type="application/json", headers=world.headers("r1")
        ).status_code
        == 201
    )


def test_a_request_without_a_body_is_read_as_before(client, world):
    """No body at all is no body of the wrong type: an operation whose body is optional still works without one,
    and one that needs fields names them."""
    assert client.post("/api/accounts", headers=world.headers("r1")).status_code == 422
    assert client.post("/api/auth/logout", headers=world.headers("r1")).status_code == 204


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "x", "notes": "a", "name": "y"}',
        '{"name": "x", "notes": [{"a": 1, "b": {"c": 1, "c": 2}}]}',
    ],
)
def test_a_key_given_twice_is_refused(client, world, body):
    """JSON parsers differ on which of two values counts (the first, the last, an error); the server took the last
    unseen. Now the body is refused, however deep the object, and nothing is written."""
    before = count(client, world, "accounts")
    response = client.post("/api/accounts", data=body, content_type="application/json", headers=world.headers("r1"))
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "duplicate_key" and "twice" in error["message"]
    assert count(client, world, "accounts") == before


def test_the_document_lists_415_and_400_for_every_json_body(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    operations = [op for ops in paths.values() for op in ops.values() if isinstance(op, dict) and "requestBody" in op]
    json_bodies = [op for op in operations if "application/json" in op["requestBody"]["content"]]
    assert json_bodies and all({"400", "415"} <= set(op["responses"]) for op in json_bodies)
    upload = paths["/api/photos/{record_id}/content"]["put"]["responses"]["415"]
    assert upload["description"] == "Not a JPEG, PNG or WebP image"  # its own 415 stays


def test_stale_version_is_a_409_and_keeps_the_newer_data(client, world):
    url = f"/api/accounts/{world.accounts['r1']}"
    version = client.get(url, headers=world.headers("r1")).get_json()["version"]
    assert (
        client.patch(url, json={"notes": "first", "version": version}, headers=world.headers("r1")).status_code == 200
    )
    stale = client.patch(url, json={"notes": "second", "version": version}, headers=world.headers("r1"))
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "version_conflict"
    stored = client.get(url, headers=world.headers("r1")).get_json()
    assert stored["notes"] == "first" and stored["version"] == version + 1


def test_duplicate_client_id_is_a_409(client, world):
    record_id = new_id()
    body = {"id": record_id, "name": "Once"}
    assert client.post("/api/accounts", json=body, headers=world.headers("r1")).status_code == 201
    again = client.post("/api/accounts", json={**body, "name": "Twice"}, headers=world.headers("r1"))
    assert again.status_code == 409 and "id" in fields_of(again)
    assert client.get(f"/api/accounts/{record_id}", headers=world.headers("r1")).get_json()["name"] == "Once"


def test_unknown_record_is_404(client, world):
    response = client.get(f"/api/visits/{new_id()}", headers=world.headers("r1"))
    assert response.status_code == 404
    assert client.get("/api/visits/not-a-uuid", headers=world.headers("r1")).status_code == 404


def test_visit_opportunity_must_belong_to_the_account(client, world):
    response = client.post(
        "/api/visits",
        json={
            "account_id": str(world.accounts["r1"]),
            "purpose": "x",
            "opportunity_id": str(world.opportunities["r3"]),
        },
        headers=world.headers("r1"),
    )
    assert response.status_code == 422 and "opportunity_id" in fields_of(response)
