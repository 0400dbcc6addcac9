"""The role x territory matrix: nobody reads or writes outside what their role allows."""

import pytest

from tests.conftest import new_id

# Nothing here depends on the date: the module runs at one fixed instant (see `fixed_clock`).
pytestmark = pytest.mark.usefixtures("fixed_clock")

RESOURCES = {
    "accounts": ("accounts", {"notes": "changed"}),
    "contacts": ("contacts", {"title": "changed"}),
    "devices": ("devices", {"model": "changed"}),
    "opportunities": ("opportunities", {"title": "changed"}),
    "visits": ("visits", {"notes": "changed"}),
    "activities": ("activities", {"notes": "changed"}),
    "appointments": ("appointments", {"notes": "changed"}),
}
# Who reads whose records: (caller, owner of the record) -> visible?
READ = {
    ("r1", "r1"): True,
    ("r1", "r2"): False,
    ("r1", "r3"): False,
    ("m1", "r1"): True,
    ("m1", "r2"): True,
    ("m1", "r3"): False,
    ("m2", "r1"): False,
    ("m2", "r3"): True,
    ("admin", "r1"): True,
    ("admin", "r3"): True,
}


def record_url(world, resource, owner):
    return f"/api/{resource}/{getattr(world, resource)[owner]}"


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("caller,owner", READ)
def test_read(client, world, resource, caller, owner):
    response = client.get(record_url(world, resource, owner), headers=world.headers(caller))
    if READ[(caller, owner)]:
        assert response.status_code == 200
    else:
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("caller", ["r1", "m1", "m2", "admin"])
def test_lists_hold_only_the_callers_territory(client, world, resource, caller):
    response = client.get(f"/api/{resource}", headers=world.headers(caller))
    assert response.status_code == 200
    ids = {item["id"] for item in response.get_json()["items"]}
    expected = {str(getattr(world, resource)[o]) for (c, o), ok in READ.items() if c == caller and ok}
    if caller == "admin":
        expected = {str(v) for v in getattr(world, resource).values()}
    assert ids == expected


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("caller,owner", [("r1", "r2"), ("r1", "r3"), ("m1", "r3"), ("m2", "r1")])
def test_write_outside_territory_is_404_and_changes_nothing(client, world, resource, caller, owner):
    url = record_url(world, resource, owner)
    _, change = RESOURCES[resource]
    before = client.get(url, headers=world.headers("admin")).get_json()
    assert client.patch(url, json=change, headers=world.headers(caller)).status_code == 404
    assert client.delete(url, headers=world.headers(caller)).status_code == 404
    assert client.get(url, headers=world.headers("admin")).get_json() == before


@pytest.mark.parametrize("resource", RESOURCES)
def test_rep_writes_own_territory(client, world, resource):
    _, change = RESOURCES[resource]
    response = client.patch(record_url(world, resource, "r1"), json=change, headers=world.headers("r1"))
    assert response.status_code == 200
    key, value = next(iter(change.items()))
    assert response.get_json()[key] == value


@pytest.mark.parametrize("resource", ["accounts", "contacts", "devices", "opportunities", "appointments"])
def test_manager_writes_team_records(client, world, resource):
    _, change = RESOURCES[resource]
    assert client.patch(record_url(world, resource, "r2"), json=change, headers=world.headers("m1")).status_code == 200


@pytest.mark.parametrize("resource", ["visits", "activities"])
def test_manager_reads_but_does_not_write_the_reps_own_records(client, world, resource):
    url = record_url(world, resource, "r1")
    assert client.get(url, headers=world.headers("m1")).status_code == 200
    assert client.patch(url, json={"notes": "x"}, headers=world.headers("m1")).status_code == 403
    assert client.delete(url, headers=world.headers("m1")).status_code == 403


@pytest.mark.parametrize(
    "resource,body",
    [
        ("contacts", {"name": "New"}),
        ("devices", {"ownership": "ours", "brand": "Fieldday"}),
        ("opportunities", {"title": "New deal"}),
        ("visits", {"purpose": "Intro"}),
        ("appointments", {"starts_at": "2026-12-01T01:00:00+00:00", "ends_at": "2026-12-01T02:00:00+00:00"}),
    ],
)
def test_create_under_another_territorys_account_is_refused(app, client, world, resource, body):
    count = client.get(f"/api/{resource}", headers=world.headers("admin")).get_json()["total"]
    response = client.post(
        f"/api/{resource}", json={**body, "account_id": str(world.accounts["r3"])}, headers=world.headers("r1")
    )
    assert response.status_code == 404
    assert "account_id" in response.get_json()["error"]["fields"]
    assert client.get(f"/api/{resource}", headers=world.headers("admin")).get_json()["total"] == count


def test_rep_cannot_record_a_visit_for_another_rep(client, world):
    response = client.post(
        "/api/visits",
        json={"account_id": str(world.accounts["r1"]), "purpose": "x", "rep_id": str(world.users["r2"])},
        headers=world.headers("r1"),
    )
    assert response.status_code == 403
    assert "rep_id" in response.get_json()["error"]["fields"]


def test_rep_cannot_reassign_an_account(client, world):
    url = record_url(world, "accounts", "r1")
    response = client.patch(url, json={"owner_id": str(world.users["r2"])}, headers=world.headers("r1"))
    assert response.status_code == 403
    assert client.get(url, headers=world.headers("r1")).get_json()["owner_id"] == str(world.users["r1"])


def test_manager_reassigns_within_team_only(client, world):
    url = record_url(world, "accounts", "r1")
    outside = client.patch(url, json={"owner_id": str(world.users["r3"])}, headers=world.headers("m1"))
    assert outside.status_code == 403
    inside = client.patch(url, json={"owner_id": str(world.users["r2"])}, headers=world.headers("m1"))
    assert inside.status_code == 200
    # The account and what hangs off it move with the territory.
    assert client.get(url, headers=world.headers("r1")).status_code == 404
    assert client.get(url, headers=world.headers("r2")).status_code == 200
    contact = record_url(world, "contacts", "r1")
    assert client.get(contact, headers=world.headers("r1")).status_code == 404
    assert client.get(contact, headers=world.headers("r2")).status_code == 200


def test_rep_may_not_delete_accounts(client, world):
    url = record_url(world, "accounts", "r1")
    assert client.delete(url, headers=world.headers("r1")).status_code == 403
    assert client.get(url, headers=world.headers("r1")).status_code == 200


def test_rep_creates_account_in_own_territory(client, world):
    response = client.post("/api/accounts", json={"id": new_id(), "name": "Fresh lead"}, headers=world.headers("r1"))
    assert response.status_code == 201
    assert response.get_json()["owner_id"] == str(world.users["r1"])


def test_a_rep_cannot_use_a_contact_id_to_move_it_into_their_territory(client, world):
    url = record_url(world, "contacts", "r1")
    response = client.patch(url, json={"account_id": str(world.accounts["r3"])}, headers=world.headers("r1"))
    assert response.status_code == 404
    assert client.get(url, headers=world.headers("r1")).get_json()["account_id"] == str(world.accounts["r1"])


def test_reusing_another_territorys_record_id_answers_as_not_yours(client, world):
    """A create with the id of a record the caller cannot see says 404, as any record not yours does;
    only the caller's own record answers 409 "already exists"."""
    theirs = client.post(
        "/api/accounts", json={"id": str(world.accounts["r2"]), "name": "Probe"}, headers=world.headers("r1")
    )
    assert theirs.status_code == 404 and theirs.get_json()["error"]["fields"] == {"id": ["Unknown."]}
    mine = client.post(
        "/api/accounts", json={"id": str(world.accounts["r1"]), "name": "Again"}, headers=world.headers("r1")
    )
    assert mine.status_code == 409 and mine.get_json()["error"]["fields"] == {"id": ["Already exists."]}
    stored = client.get(f"/api/accounts/{world.accounts['r2']}", headers=world.headers("r2")).get_json()
    assert stored["name"] != "Probe"


def test_get_on_a_write_only_api_path_is_405_naming_the_method(client, world):
    for path in ("/api/routes/plan", "/api/sync/push", "/api/auth/login"):
        response = client.get(path, headers=world.headers("r1"))
        assert response.status_code == 405 and set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
        assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert client.get("/api/no-such-thing", headers=world.headers("r1")).status_code == 404
