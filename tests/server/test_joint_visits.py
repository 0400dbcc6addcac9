"""Managers in the field: a joint visit (陪访) is the rep's visit naming the manager who went along; it counts in
the manager's own time split and in the rep's coaching figures, and syncs once. What a user's phone may create
is published with the user, from the rules the server enforces: a manager is never offered what is refused."""

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from server.extensions import db
from server.models import Visit
from tests.conftest import PASSWORD
from tests.records import writing
from tests.sync.phone import Phone

SH = ZoneInfo("Asia/Shanghai")
DAY = "from=2026-11-16&to=2026-11-16"


def at(hh, mm=0):
    return datetime(2026, 11, 16, hh, mm, tzinfo=SH).isoformat()


@pytest.fixture
def evening(clock):
    clock.set(datetime(2026, 11, 16, 19, 0, tzinfo=SH))


def visit(world, rep="r1", **extra):
    return {"account_id": str(world.accounts[rep]), "purpose": "Demo the colour model", **extra}


def test_a_joint_visit_counts_in_the_managers_time_and_the_reps_coaching(client, world, evening):
    h, m1 = world.headers("r1"), str(world.users["m1"])
    joint = visit(world, check_in_at=at(9), check_out_at=at(9, 45), accompanied_by=m1)
    answer = client.post("/api/visits", json=joint, headers=h)
    assert answer.status_code == 201 and answer.get_json()["accompanied_by"] == m1
    absent = visit(world, check_in_at=at(10), check_out_at=at(10, 20), met=False, accompanied_by=m1)
    assert client.post("/api/visits", json=absent, headers=h).status_code == 201
    alone = visit(world, check_in_at=at(11), check_out_at=at(11, 30))
    assert client.post("/api/visits", json=alone, headers=h).status_code == 201
    cancelled = visit(world, check_in_at=at(12), check_out_at=at(12, 30), accompanied_by=m1)
    cancelled_id = client.post("/api/visits", json=cancelled, headers=h).get_json()["id"]
    patch = {"cancelled_at": at(13), "cancel_reason": "Wrong account"}
    assert client.patch(f"/api/visits/{cancelled_id}", json=patch, headers=h).status_code == 200

    report = client.get(f"/api/reports/time-ratios?{DAY}", headers=world.headers("m1")).get_json()
    rows = {r["username"]: r for r in report["rows"]}
    # The rep's coaching figure: two joint visits, 45 minutes face to face with the manager (the absent one none).
    assert (rows["r1"]["joint_visits"], rows["r1"]["joint_min"]) == (2, 45.0)
    assert (rows["r2"]["joint_visits"], rows["r2"]["joint_min"]) == (0, 0.0)
    assert (report["team"]["joint_visits"], report["team"]["joint_min"]) == (2, 45.0)
    # The rep's own split is unchanged by the manager's presence: 45 face to face + 30 alone, 20 travel.
    assert (rows["r1"]["face_to_face_min"], rows["r1"]["travel_min"]) == (75.0, 20.0)
    # The manager's own time: their joint visits only, split as a rep's is (9:00 to 10:20, 15 minutes unrecorded).
    [manager] = report["extra"]["managers"]
    assert (manager["user_id"], manager["joint_visits"], manager["working_days"]) == (m1, 2, 1)
    assert (manager["face_to_face_min"], manager["travel_min"], manager["unrecorded_min"], manager["span_min"]) == (
        45.0,
        20.0,
        15.0,
        80.0,
    )
    # 56.25 % and 18.75 % unrecorded: one tenth goes up so that the shares add to 100 (56.3 + 25.0 + 18.7)
    assert (manager["face_to_face_pct"], manager["travel_pct"], manager["unrecorded_pct"]) == (56.3, 25.0, 18.7)
    # The rep sees their own coaching figure; another team's manager sees none of it.
    own = client.get(f"/api/reports/time-ratios?{DAY}", headers=h).get_json()
    assert own["rows"][0]["joint_visits"] == 2
    south = client.get(f"/api/reports/time-ratios?{DAY}", headers=world.headers("m2")).get_json()
    assert south["extra"]["managers"] == [] and south["team"]["joint_visits"] == 0
    # The daily report names who went along on each visit.
    daily = client.get(f"/api/reports/daily?date=2026-11-16&rep_id={world.users['r1']}", headers=world.headers("m1"))
    names = [v["accompanied_by_name"] for v in daily.get_json()["reports"][0]["visits"]]
    assert names == ["m1", "m1", None, "m1"]
    csv = client.get(f"/api/reports/time-ratios?{DAY}&format=csv", headers=world.headers("m1")).get_data(as_text=True)
    assert "joint_visits" in csv.splitlines()[0]


def test_only_a_manager_of_the_reps_team_goes_along(client, world, evening):
    h = world.headers("r1")
    for someone in ("m2", "r2", "admin"):  # another team's manager, a fellow rep, an admin
        answer = client.post(
            "/api/visits", json=visit(world, check_in_at=at(9), accompanied_by=str(world.users[someone])), headers=h
        )
        assert answer.status_code == 422, someone
        assert "accompanied_by" in answer.get_json()["error"]["fields"]
    unknown = client.post("/api/visits", json=visit(world, accompanied_by=str(uuid.uuid4())), headers=h)
    assert unknown.status_code == 422
    # Named later (the rep forgot at check-in), and taken off again.
    made = client.post("/api/visits", json=visit(world, check_in_at=at(9)), headers=h).get_json()
    url = f"/api/visits/{made['id']}"
    named = client.patch(url, json={"accompanied_by": str(world.users["m1"])}, headers=h)
    assert named.status_code == 200 and named.get_json()["accompanied_by"] == str(world.users["m1"])
    assert client.patch(url, json={"accompanied_by": str(world.users["m2"])}, headers=h).status_code == 422
    assert client.patch(url, json={"accompanied_by": None}, headers=h).get_json()["accompanied_by"] is None
    # The visit stays the rep's: the manager who went along cannot write it.
    assert client.patch(url, json={"notes": "x"}, headers=world.headers("m1")).status_code == 403


def test_a_manager_says_they_went_along_on_a_reps_visit_and_nothing_more(client, world, evening):
    made = client.post("/api/visits", json=visit(world, check_in_at=at(9)), headers=world.headers("r1")).get_json()
    url, m1 = f"/api/visits/{made['id']}", str(world.users["m1"])
    manager = world.headers("m1")
    joined = client.patch(url, json={"accompanied_by": m1}, headers=manager)
    assert joined.status_code == 200 and joined.get_json()["accompanied_by"] == m1
    assert joined.get_json()["rep_id"] == str(world.users["r1"])  # still the rep's visit
    for refused in ({"notes": "x"}, {"accompanied_by": m1, "outcome": "x"}, {"accompanied_by": str(world.users["r2"])}):
        answer = client.patch(url, json=refused, headers=manager)
        assert answer.status_code == 403, refused
    assert client.delete(url, headers=manager).status_code == 403
    # Another team's manager does not see the visit at all; a fellow rep cannot say they went along.
    assert (
        client.patch(url, json={"accompanied_by": str(world.users["m2"])}, headers=world.headers("m2")).status_code
        == 404
    )
    left = client.patch(url, json={"accompanied_by": None}, headers=manager)
    assert left.status_code == 200 and left.get_json()["accompanied_by"] is None
    # Clearing it when it does not name them is not theirs to do.
    assert client.patch(url, json={"accompanied_by": None}, headers=manager).status_code == 403
    # A manager still records no visit of their own.
    assert client.post("/api/visits", json=visit(world, check_in_at=at(10)), headers=manager).status_code == 403


def phone_creates(world, user):
    """What a user's phone creates, as the phone sends it (no owner, no rep named): {permission: body}."""
    account = str(world.accounts["r1"])
    return {
        "create_account": ("accounts", {"name": f"Prospect of {user}", "latitude": 31.2, "longitude": 121.4}),
        "record_visit": ("visits", {"account_id": account, "purpose": "First call", "check_in_at": at(9)}),
        "record_activity": ("activities", {"category": "admin", "started_at": at(8), "ended_at": at(8, 30)}),
        "book_appointment": (
            "appointments",
            {"account_id": account, "starts_at": at(20), "ends_at": at(20, 45), "purpose": "Demo"},
        ),
    }


@pytest.mark.parametrize("user", ["r1", "m1", "admin"])
def test_the_phone_is_told_what_the_server_keeps(client, world, evening, user):
    logged_in = client.post("/api/auth/login", json={"username": user, "password": PASSWORD}).get_json()["user"]
    may = logged_in["may"]
    assert may == client.get("/api/auth/me", headers=world.headers(user)).get_json()["may"]
    assert set(may) == set(phone_creates(world, user)) | {"join_visit", "reassign_account"}
    assert may["join_visit"] is (user == "m1")
    # Giving r1's account to r2 (same team) is offered exactly when the server takes it.
    given = client.patch(
        f"/api/accounts/{world.accounts['r1']}", json={"owner_id": str(world.users["r2"])}, headers=world.headers(user)
    )
    assert (given.status_code == 200) is may["reassign_account"] is (user != "r1"), given.get_json()
    # A rep records all of it; a manager none (they go along with a rep); an admin only an unowned account.
    expected = {"r1": [True] * 4, "m1": [False] * 4, "admin": [True, False, False, False]}[user]
    assert [may[k] for k in ("create_account", "record_visit", "record_activity", "book_appointment")] == expected
    for permission, (path, body) in phone_creates(world, user).items():
        answer = client.post(f"/api/{path}", json=body, headers=world.headers(user))
        # Published as allowed exactly when the server keeps it.
        assert (answer.status_code == 201) is may[permission], (permission, answer.get_json())
    assert logged_in["manager"] == (
        {"id": str(world.users["m1"]), "username": "m1", "display_name": ""} if user == "r1" else None
    )


def test_a_joint_visit_syncs_once_and_reaches_the_managers_phone(app, client, world, evening):
    rep = Phone(client, world.headers("r1"))
    m1 = str(world.users["m1"])
    visit_id = rep.create("visit", visit(world, check_in_at=at(9), check_out_at=at(9, 40), accompanied_by=m1))
    batch = list(rep.outbox)
    lost = client.post("/api/sync/push", json={"client_id": rep.client_id, "mutations": batch}, headers=rep.headers)
    assert lost.get_json()["results"][0]["status"] == "applied"  # the answer is lost on the way
    again = rep.push().get_json()["results"][0]
    assert (again["status"], again["first_status"]) == ("duplicate", "applied")
    with writing(app):
        assert db.session.query(Visit).filter(Visit.accompanied_by == uuid.UUID(m1)).count() == 1
    manager = Phone(client, world.headers("m1"))
    manager.pull()
    assert manager.store[("visit", visit_id)]["data"]["accompanied_by"] == m1
    # Named on the rep's phone later, offline: an edit like any other of the rep's visit.
    other = rep.create("visit", visit(world, check_in_at=at(10), check_out_at=at(10, 30)))
    rep.queue("visit", "update", other, {"accompanied_by": m1})
    assert [r["status"] for r in rep.push().get_json()["results"]] == ["applied", "applied"]
    manager.pull()
    assert manager.store[("visit", other)]["data"]["accompanied_by"] == m1
    report = client.get(f"/api/reports/time-ratios?{DAY}", headers=world.headers("m1")).get_json()
    assert report["extra"]["managers"][0]["joint_visits"] == 2
    assert report["extra"]["managers"][0]["face_to_face_min"] == 70.0


def test_a_manager_joins_a_reps_visit_offline_and_it_syncs_once(app, client, world, evening):
    rep = Phone(client, world.headers("r1"))
    visit_id = rep.create("visit", visit(world, check_in_at=at(14), check_out_at=at(14, 50)))
    rep.sync()
    manager = Phone(client, world.headers("m1"))
    manager.pull()
    assert manager.store[("visit", visit_id)]["data"]["accompanied_by"] is None
    m1 = str(world.users["m1"])
    manager.queue("visit", "update", visit_id, {"accompanied_by": m1})  # tapped offline, sent later
    batch = list(manager.outbox)
    lost = client.post(
        "/api/sync/push", json={"client_id": manager.client_id, "mutations": batch}, headers=manager.headers
    )
    assert lost.get_json()["results"][0]["status"] == "applied"
    again = manager.push().get_json()["results"][0]
    assert (again["status"], again["first_status"]) == ("duplicate", "applied")
    rep.pull()
    assert rep.store[("visit", visit_id)]["data"]["accompanied_by"] == m1
    # The rep's later edit of another field leaves the manager on it (edits send only what changed).
    rep.queue("visit", "update", visit_id, {"outcome": "Trial agreed"})
    rep.sync()
    with writing(app):
        stored = db.session.get(Visit, uuid.UUID(visit_id))
        assert (stored.accompanied_by, stored.outcome) == (uuid.UUID(m1), "Trial agreed")
    # Anything else from the manager's phone is refused, with the reason.
    manager.queue("visit", "update", visit_id, {"outcome": "Manager's words"})
    [refused] = manager.push().get_json()["results"]
    assert refused["status"] == "rejected" and refused["reason"] == "forbidden"
    report = client.get(f"/api/reports/time-ratios?{DAY}", headers=world.headers("m1")).get_json()
    assert report["extra"]["managers"][0]["face_to_face_min"] == 50.0


def test_a_managers_phone_visit_is_refused_with_a_reason_and_nothing_is_kept(app, client, world, evening):
    manager = Phone(client, world.headers("m1"))
    manager.create("visit", visit(world, check_in_at=at(9), accompanied_by=str(world.users["m1"])))
    manager.create("account", {"name": "Manager's prospect"})
    results = manager.push().get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert results[0]["reason"] == "forbidden" and "accompanying" in results[0]["message"]
    with writing(app):
        assert db.session.query(Visit).filter(Visit.accompanied_by.is_not(None)).count() == 0
    # A rep's phone naming another team's manager: refused with the field, never stored half.
    rep = Phone(client, world.headers("r1"))
    rep.create("visit", visit(world, check_in_at=at(9), accompanied_by=str(world.users["m2"])))
    [result] = rep.push().get_json()["results"]
    assert result["status"] == "rejected" and "accompanied_by" in result["fields"]


def test_a_manager_creates_a_prospect_for_a_rep_of_their_team_by_naming_the_owner(client, world, evening):
    """What the phone does not offer a manager (an unowned prospect) the API keeps when a rep of their team is
    named as its owner: the prospect is the rep's, in the rep's territory; another team's rep is refused."""
    body = {"name": "Prospect for r1", "latitude": 31.2, "longitude": 121.4, "owner_id": str(world.users["r1"])}
    made = client.post("/api/accounts", json=body, headers=world.headers("m1"))
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["owner_id"] == str(world.users["r1"])
    listed = client.get("/api/accounts?q=Prospect%20for%20r1", headers=world.headers("r1")).get_json()["items"]
    assert [a["id"] for a in listed] == [made.get_json()["id"]]
    other = client.post(
        "/api/accounts",
        json={**body, "name": "Prospect for r3", "owner_id": str(world.users["r3"])},
        headers=world.headers("m1"),
    )
    assert other.status_code in (403, 404, 422) and "owner_id" in other.get_json()["error"]["fields"]
    unowned = client.post(
        "/api/accounts", json={"name": "Nobody's", "latitude": 31.2, "longitude": 121.4}, headers=world.headers("m1")
    )
    assert unowned.status_code == 403
