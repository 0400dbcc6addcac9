"""The sync protocol through the HTTP API, one test per failure scenario (F1-F18: lost acks, retries,
seq gaps, conflicts, deletes, reassignment, clock skew...), each named in its test."""

import threading
import uuid
from datetime import datetime, timedelta

import pytest
from flask_jwt_extended import create_access_token
from sqlalchemy import select, text, update

from server import clock, create_app
from server.extensions import db
from server.models import Account, Change, RoutePlan, RouteStop, SyncState, User, Visit, WeeklyReview
from server.sync_api import services
from sync import protocol
from sync.entities import DECLARED
from tests.conftest import make_config
from tests.records import statements_run, writing
from tests.sync.phone import Phone

# Each synced entity's REST collection, as sync/entities.py declares it.
REST = {e.name: e.path for e in DECLARED if e.path}


def server_state(client, headers):
    """What the REST API says the caller may see: {(entity, id): version}."""
    state = {}
    for entity, path in REST.items():
        page = 1
        while True:
            body = client.get(f"/api/{path}?per_page=500&page={page}", headers=headers).get_json()
            state.update({(entity, item["id"]): item["version"] for item in body["items"]})
            if page * 500 >= body["total"]:
                break
            page += 1
    return state


def phone_state(phone):
    return {key: value["version"] for key, value in phone.store.items()}


def now_iso(**delta):
    return (clock.now() + timedelta(**delta)).isoformat()


def visit_data(world, rep="r1", **extra):
    return {"account_id": str(world.accounts[rep]), "purpose": "Check the copier", **extra}


def count_visits(app):
    with writing(app):
        return db.session.query(Visit).count()


@pytest.fixture
def phone(client, world):
    return Phone(client, world.headers("r1"))


@pytest.mark.calendar
def test_first_pull_is_a_paginated_snapshot_of_the_territory(client, world, phone):
    phone.pull(limit=2)
    assert phone_state(phone) == server_state(client, world.headers("r1"))
    assert phone.ids("account") == {str(world.accounts["r1"])}
    assert phone.ids("visit") == {str(world.visits["r1"])}


@pytest.mark.calendar
def test_a_snapshots_first_page_says_how_many_records_it_holds(client, world):
    for user in ("r1", "m1", "admin"):
        headers = world.headers(user)
        first = client.get("/api/sync/pull?limit=2", headers=headers).get_json()
        seen, page = len(first["changes"]), first
        while page["has_more"]:
            page = client.get(f"/api/sync/pull?limit=2&cursor={page['cursor']}", headers=headers).get_json()
            assert "snapshot_total" not in page and page["snapshot"] is True  # only the first page counts
            seen += len(page["changes"])
        assert first["snapshot_total"] == seen == len(server_state(client, headers)), user
        assert first["snapshot"] is True
    # The change log after the snapshot is not one.
    assert "snapshot" not in client.get(f"/api/sync/pull?cursor={page['cursor']}", headers=headers).get_json()


def test_a_snapshots_first_page_brings_the_days_plans_and_their_accounts_first(app, client, world, clock):
    """`first`: the caller's own plans from yesterday on, the accounts and appointments their stops name, and the
    caller's open visit with its account; not an older plan, not another rep's, not an account outside the plans.
    Each comes again in its place: the snapshot's pages still name every record once."""
    clock.set("2026-11-18T10:00:00+08:00")
    with writing(app):
        spare = Account(name="Not planned", address="r1 road 2", latitude=31.3, longitude=121.5)
        spare.owner_id = world.users["r1"]
        db.session.add(spare)
        db.session.flush()
        plans = {}
        for rep, day in (("r1", "2026-11-18"), ("r1", "2026-11-19"), ("r1", "2026-11-10"), ("r2", "2026-11-18")):
            plan = RoutePlan(rep_id=world.users[rep], plan_date=datetime.fromisoformat(day).date())
            plan.stops = [
                RouteStop(
                    position=0,
                    account_id=world.accounts[rep],
                    appointment_id=world.appointments[rep] if day == "2026-11-18" else None,
                    planned_arrival=datetime.fromisoformat(f"{day}T09:00:00+08:00"),
                )
            ]
            db.session.add(plan)
            db.session.flush()
            plans[rep, day] = str(plan.id)
        spare_id = str(spare.id)
        db.session.commit()
    r1 = Phone(client, world.headers("r1"))
    open_visit = r1.create("visit", visit_data(world, check_in_at=now_iso(minutes=-20)))
    r1.sync()
    first = client.get("/api/sync/pull?limit=2", headers=world.headers("r1")).get_json()
    named = {(c["entity"], c["id"]) for c in first["first"]}
    assert named == {
        ("route_plan", plans["r1", "2026-11-18"]),
        ("route_plan", plans["r1", "2026-11-19"]),
        ("account", str(world.accounts["r1"])),
        ("appointment", str(world.appointments["r1"])),
        ("visit", open_visit),
    }, named
    assert first["first"][0]["entity"] == "account"  # parents before what hangs off them
    assert all(c["op"] == "upsert" and c["data"]["id"] == c["id"] for c in first["first"])
    assert ("account", spare_id) not in named
    later = client.get(f"/api/sync/pull?limit=2&cursor={first['cursor']}", headers=world.headers("r1")).get_json()
    assert "first" not in later
    # Another rep's first records are their own.
    other = client.get("/api/sync/pull", headers=world.headers("r2")).get_json()["first"]
    assert {(c["entity"], c["id"]) for c in other} == {
        ("route_plan", plans["r2", "2026-11-18"]),
        ("account", str(world.accounts["r2"])),
        ("appointment", str(world.appointments["r2"])),
    }
    fresh = Phone(client, world.headers("r1"))
    fresh.pull(limit=3)
    assert phone_state(fresh) == server_state(client, world.headers("r1"))


def test_each_caller_pulls_changes_of_their_own_scope_from_the_same_statements(client, world, clock):
    """A change page reads its records with statements built once per role and kept (the caller's id and team
    bound per request): two managers of two teams and two reps, pulling one after another through them, each
    get their own team's or territory's changes and none of the other's."""
    clock.set("2026-11-18T10:00:00+08:00")
    callers = ("m1", "m2", "r1", "r3")
    phones = {who: Phone(client, world.headers(who)) for who in callers}
    for phone in phones.values():
        phone.pull()
    for rep, title in (("r1", "CFO"), ("r3", "CTO")):
        manager = "m1" if rep == "r1" else "m2"
        edited = client.patch(
            f"/api/contacts/{world.contacts[rep]}", json={"title": title}, headers=world.headers(manager)
        )
        assert edited.status_code == 200, edited.get_json()
    for who in callers:
        phones[who].pull()
    seen = {who: {key for key in phones[who].store if key[0] == "contact"} for who in callers}
    north, south = ("contact", str(world.contacts["r1"])), ("contact", str(world.contacts["r3"]))
    assert north in seen["m1"] and north in seen["r1"] and south in seen["m2"] and south in seen["r3"]
    assert north not in seen["m2"] | seen["r3"] and south not in seen["m1"] | seen["r1"]
    for who in callers:
        assert phone_state(phones[who]) == server_state(client, world.headers(who)), who


@pytest.mark.calendar
def test_manager_and_admin_snapshots_match_their_scope(client, world):
    for user in ("m1", "admin"):
        phone = Phone(client, world.headers(user))
        phone.pull(limit=3)
        assert phone_state(phone) == server_state(client, world.headers(user))


@pytest.mark.calendar
def test_changes_after_the_snapshot_arrive_once(client, world, phone):
    phone.pull()
    other = Phone(client, world.headers("r1"))
    visit_id = other.create("visit", visit_data(world, check_in_at=now_iso()))
    other.sync()
    client.patch(f"/api/contacts/{world.contacts['r1']}", json={"title": "CFO"}, headers=world.headers("m1"))
    phone.pull()
    assert ("visit", visit_id) in phone.store
    assert phone.store[("contact", str(world.contacts["r1"]))]["data"]["title"] == "CFO"
    assert phone_state(phone) == server_state(client, world.headers("r1"))


@pytest.mark.calendar
def test_f1_response_lost_after_commit_then_retry(app, client, world, phone):
    visit_id = phone.create("visit", visit_data(world, check_in_at=now_iso()))
    batch = list(phone.outbox)
    lost = client.post("/api/sync/push", json={"client_id": phone.client_id, "mutations": batch}, headers=phone.headers)
    assert lost.status_code == 200  # the phone never sees this answer
    retry = phone.push()
    result = retry.get_json()["results"][0]
    assert result["status"] == "duplicate" and result["first_status"] == "applied"
    assert retry.get_json()["last_seq"] == 1 and phone.outbox == []
    with writing(app):
        assert db.session.query(Visit).filter_by(id=uuid.UUID(visit_id)).count() == 1


@pytest.mark.calendar
def test_f2_same_batch_pushed_twice_at_once(app, world, database_url):
    client_id = str(uuid.uuid4())
    visit_id = str(uuid.uuid4())
    batch = [
        {
            "id": str(uuid.uuid4()),
            "seq": 1,
            "entity": "visit",
            "entity_id": visit_id,
            "op": "create",
            "data": visit_data(world),
        }
    ]
    headers = world.headers("r1")
    statuses, bodies = [], []

    def send():
        response = app.test_client().post(
            "/api/sync/push", json={"client_id": client_id, "mutations": batch}, headers=headers
        )
        statuses.append(response.status_code)
        bodies.append(response.get_json())

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 500 not in statuses and 200 in statuses
    # Whatever raced, a retry settles it and there is exactly one visit.
    again = app.test_client().post("/api/sync/push", json={"client_id": client_id, "mutations": batch}, headers=headers)
    assert again.status_code == 200 and again.get_json()["results"][0]["status"] == "duplicate"
    assert count_visits(app) == 4


@pytest.mark.calendar
def test_f3_gap_is_refused_and_nothing_after_it_applied(app, client, world, phone):
    phone.create("visit", visit_data(world))
    phone.create("visit", visit_data(world))
    phone.create("visit", visit_data(world))
    del phone.outbox[1]  # seq 2 went missing
    response = phone.push()
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "seq_gap" and error["expected_seq"] == 2
    assert [r["status"] for r in error["results"]] == ["applied"] and error["last_seq"] == 1
    assert count_visits(app) == 3 + 1


@pytest.mark.calendar
def test_f3_same_seq_with_different_payload_is_409(app, client, world, phone):
    phone.create("visit", visit_data(world))
    first = dict(phone.outbox[0])
    assert phone.push().status_code == 200
    forged = {**first, "id": str(uuid.uuid4()), "data": visit_data(world, purpose="Something else")}
    response = client.post(
        "/api/sync/push", json={"client_id": phone.client_id, "mutations": [forged]}, headers=phone.headers
    )
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "seq_reused"


@pytest.mark.calendar
def test_f4_two_devices_edit_one_account_offline(client, world):
    a, b = Phone(client, world.headers("r1")), Phone(client, world.headers("r1"))
    a.pull()
    b.pull()
    key = ("account", str(world.accounts["r1"]))
    base = a.store[key]["version"]
    a.queue("account", "update", world.accounts["r1"], {"notes": "from A", "industry": "logistics"}, base)
    b.queue("account", "update", world.accounts["r1"], {"notes": "from B", "region": "Pudong"}, base)
    assert a.push().get_json()["results"][0]["status"] == "applied"
    result = b.push().get_json()["results"][0]
    assert result["status"] == "conflict"
    assert result["conflicts"] == {"notes": {"client": "from B", "server": "from A"}}
    assert result["server"]["notes"] == "from A" and result["server"]["region"] == "Pudong"
    a.pull()
    b.pull()
    assert a.store[key] == b.store[key]
    data = a.store[key]["data"]
    assert (data["notes"], data["industry"], data["region"]) == ("from A", "logistics", "Pudong")


@pytest.mark.calendar
def test_f4b_a_phones_own_queued_edits_never_conflict_with_each_other(client, world):
    """Two edits of one field queued offline on the same base: the later one is the rep's intent and
    wins, in one push or over two; another phone's edit in between still conflicts."""
    a = Phone(client, world.headers("r1"))
    a.pull()
    key = ("account", str(world.accounts["r1"]))
    base = a.store[key]["version"]
    a.queue("account", "update", world.accounts["r1"], {"notes": "first thought"}, base)
    a.queue("account", "update", world.accounts["r1"], {"notes": "second thought"}, base)
    assert [r["status"] for r in a.push().get_json()["results"]] == ["applied", "applied"]
    stored = client.get(f"/api/accounts/{world.accounts['r1']}", headers=world.headers("r1")).get_json()
    assert stored["notes"] == "second thought"

    a.queue("account", "update", world.accounts["r1"], {"notes": "third"}, stored["version"])
    assert a.push().get_json()["results"][0]["status"] == "applied"
    a.queue("account", "update", world.accounts["r1"], {"notes": "fourth"}, stored["version"])  # a later push
    assert a.push().get_json()["results"][0]["status"] == "applied"

    b = Phone(client, world.headers("r1"))
    b.pull()
    now = b.store[key]["version"]
    b.queue("account", "update", world.accounts["r1"], {"notes": "from B"}, now)
    assert b.push().get_json()["results"][0]["status"] == "applied"
    a.queue("account", "update", world.accounts["r1"], {"notes": "fifth"}, now)  # made before B's edit came
    result = a.push().get_json()["results"][0]
    assert result["status"] == "conflict" and result["conflicts"]["notes"] == {"client": "fifth", "server": "from B"}


@pytest.mark.calendar
def test_f5_protected_field_is_rejected_and_the_queue_goes_on(client, world, phone):
    phone.pull()
    base = phone.store[("account", str(world.accounts["r1"]))]["version"]
    phone.queue("account", "update", world.accounts["r1"], {"owner_id": str(world.users["r2"])}, base)
    visit_id = phone.create("visit", visit_data(world))
    results = phone.push().get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert results[0]["reason"] == "forbidden" and "owner_id" in results[0]["fields"]
    account = client.get(f"/api/accounts/{world.accounts['r1']}", headers=world.headers("r1")).get_json()
    assert account["owner_id"] == str(world.users["r1"])
    assert client.get(f"/api/visits/{visit_id}", headers=world.headers("r1")).status_code == 200


@pytest.mark.calendar
def test_f6_expired_token_keeps_the_outbox_and_client_ids_belong_to_one_user(app, client, world):
    with writing(app):
        expired = create_access_token(
            identity=db.session.get(User, world.users["r1"]), expires_delta=timedelta(seconds=-1)
        )
    phone = Phone(client, {"Authorization": f"Bearer {expired}"})
    phone.create("visit", visit_data(world))
    assert phone.push().status_code == 401 and len(phone.outbox) == 1
    thief = Phone(client, world.headers("r2"), client_id=phone.client_id)
    phone.headers = world.headers("r1")  # after refresh or a new login
    assert phone.push().status_code == 200 and phone.outbox == []
    thief.create("visit", visit_data(world, "r2"))
    response = thief.push()
    assert response.status_code == 403 and "client_id" in response.get_json()["error"]["fields"]


@pytest.mark.calendar
def test_f7_phone_clock_far_ahead_is_rejected_behind_is_data(client, world, phone):
    ahead = phone.create("visit", visit_data(world, check_in_at=now_iso(days=3)))
    behind = phone.create("visit", visit_data(world, check_in_at=now_iso(days=-365)))
    response = phone.push()
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert results[0]["reason"] == "clock_skew" and "check_in_at" in results[0]["fields"]
    assert datetime.fromisoformat(response.get_json()["server_time"])
    assert response.headers["X-Server-Time"]
    assert client.get(f"/api/visits/{ahead}", headers=world.headers("r1")).status_code == 404
    assert client.get(f"/api/visits/{behind}", headers=world.headers("r1")).status_code == 200


@pytest.mark.calendar
def test_f8_unsupported_schema_is_426_and_keeps_the_outbox(app, client, world, phone):
    phone.create("visit", visit_data(world))
    phone.create("visit", visit_data(world))
    phone.outbox[1]["schema"] = protocol.SCHEMA_VERSION + 1
    response = phone.push()
    assert response.status_code == 426
    body = response.get_json()["error"]
    assert body["code"] == "upgrade_required" and [r["status"] for r in body["results"]] == ["applied"]
    assert count_visits(app) == 4
    # The app updates; the same mutation written in a supported schema drains.
    phone.outbox = phone.outbox[1:]
    phone.outbox[0]["schema"] = protocol.SCHEMA_VERSION
    assert phone.push().status_code == 200 and count_visits(app) == 5


@pytest.mark.calendar
def test_f9_pull_cut_mid_page_resumes(client, world, phone):
    phone.pull_page(limit=2)
    saved_cursor, saved_store = phone.cursor, dict(phone.store)
    phone.pull_page(limit=2)  # this answer is lost: restore what was committed locally
    phone.cursor, phone.store = saved_cursor, saved_store
    phone.pull(limit=2)
    fresh = Phone(client, world.headers("r1"))
    fresh.pull()
    assert phone_state(phone) == phone_state(fresh) == server_state(client, world.headers("r1"))


@pytest.mark.calendar
def test_f10_a_writer_committing_late_is_not_skipped(app, client, world, phone, database_url):
    phone.pull()
    writer_app = create_app(make_config(database_url))
    with writing(writer_app):
        session = db.session
        session.get(Account, world.accounts["r1"]).notes = "written slowly"
        session.flush()  # holds change number N, not yet committed
        phone.pull()  # a reader meanwhile must not move past N
        assert phone.store[("account", str(world.accounts["r1"]))]["data"]["notes"] == ""
        session.commit()
        session.remove()
        db.engine.dispose()
    phone.pull()
    assert phone.store[("account", str(world.accounts["r1"]))]["data"]["notes"] == "written slowly"


@pytest.mark.calendar
def test_f11_stale_future_and_foreign_cursors_reset_and_keep_the_outbox(app, client, world, phone):
    phone.pull()
    phone.create("visit", visit_data(world))
    with writing(app):
        state = db.session.get(SyncState, 1)
        epoch, head = state.epoch, state.counter
    # A change number past what a 64-bit column holds is no cursor of this server's either (it was a 500).
    beyond = (protocol.Cursor(epoch, 2**63), protocol.Cursor(epoch, 2**70, entity=0), protocol.Cursor(epoch, -(2**70)))
    for cursor in (protocol.Cursor(epoch, head + 50), protocol.Cursor("f" * 32, head), *beyond):
        phone.cursor = cursor.encode()
        page = phone.pull_page()
        assert page["reset_required"] is True and phone.store == {} and len(phone.outbox) == 1
    phone.cursor = "not-a-cursor"
    assert phone.pull_page()["reset_required"] is True
    phone.pull()
    with writing(app):  # tombstones older than the horizon were pruned
        db.session.execute(update(SyncState).values(horizon=head + 1))
        db.session.commit()
    phone.cursor = protocol.Cursor(epoch, head - 1).encode()  # it never saw change `head`, now pruned
    assert phone.pull_page()["reset_required"] is True
    phone.sync()
    assert phone.outbox == [] and phone_state(phone) == server_state(client, world.headers("r1"))


@pytest.mark.calendar
def test_f12_reassigned_account_old_rep_visit_kept_and_subtree_dropped(app, client, world):
    old, new = Phone(client, world.headers("r1")), Phone(client, world.headers("r2"))
    old.pull()
    new.pull()
    visit_id = old.create("visit", visit_data(world, check_in_at=now_iso(hours=-1)))  # offline
    moved = client.patch(
        f"/api/accounts/{world.accounts['r1']}", json={"owner_id": str(world.users["r2"])}, headers=world.headers("m1")
    )
    assert moved.status_code == 200
    result = old.push().get_json()["results"][0]
    assert result["status"] == "applied"
    old.pull()
    new.pull()
    account = str(world.accounts["r1"])
    assert ("account", account) not in old.store and ("contact", str(world.contacts["r1"])) not in old.store
    assert ("visit", visit_id) in old.store  # their own visit stays theirs
    assert ("account", account) in new.store and ("contact", str(world.contacts["r1"])) in new.store
    assert ("visit", visit_id) in new.store
    assert new.store[("visit", visit_id)]["data"]["rep_id"] == str(world.users["r1"])
    assert phone_state(old) == server_state(client, world.headers("r1"))
    assert phone_state(new) == server_state(client, world.headers("r2"))


@pytest.mark.calendar
def test_f12_visit_to_an_account_never_held_is_rejected(client, world, phone):
    phone.create("visit", visit_data(world, "r3"))
    result = phone.push().get_json()["results"][0]
    assert result["status"] == "rejected" and result["reason"] == "not_found"


@pytest.mark.calendar
def test_f13_visit_for_an_account_deleted_on_the_server(client, world, phone):
    phone.pull()
    assert client.delete(f"/api/accounts/{world.accounts['r1']}", headers=world.headers("m1")).status_code == 204
    phone.create("visit", visit_data(world))
    follow = phone.create("activity", {"category": "admin", "started_at": now_iso(hours=-1)})
    results = phone.push().get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "applied"]
    phone.pull()
    assert phone.ids("account") == set() and phone.ids("contact") == set() and phone.ids("visit") == set()
    assert ("activity", follow) in phone.store


@pytest.mark.calendar
def test_f14_delete_beats_a_concurrent_edit(client, world, phone):
    phone.pull()
    contact = world.contacts["r1"]
    base = phone.store[("contact", str(contact))]["version"]
    assert client.delete(f"/api/contacts/{contact}", headers=world.headers("m1")).status_code == 204
    phone.queue("contact", "update", contact, {"phone": "13800000000"}, base)
    phone.queue("contact", "delete", contact)
    results = phone.push().get_json()["results"]
    assert [(r["status"], r.get("reason")) for r in results] == [("rejected", "target_deleted"), ("applied", None)]
    phone.pull()
    assert ("contact", str(contact)) not in phone.store


@pytest.mark.calendar
def test_f15_permanent_error_does_not_block_the_queue(app, client, world, phone):
    first = phone.create("visit", visit_data(world))
    phone.create("visit", {"account_id": str(world.accounts["r1"])})  # no purpose: permanent error
    third = phone.create("visit", visit_data(world))
    results = phone.push().get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["reason"] == "validation_failed" and "purpose" in results[1]["fields"]
    assert results[1]["field_codes"]["purpose"] == [{"code": "required", "params": {}}]  # shown in the phone's words
    assert "field_codes" not in results[0]
    for visit_id in (first, third):
        assert client.get(f"/api/visits/{visit_id}", headers=world.headers("r1")).status_code == 200


def test_f18_limits(app, client, world, phone):
    for _ in range(protocol.MAX_MUTATIONS + 1):
        phone.create("visit", visit_data(world))
    too_many = phone.push()
    assert too_many.status_code == 422 and "mutations" in too_many.get_json()["error"]["fields"]
    phone.outbox = phone.outbox[:1]
    phone.outbox[0]["data"]["notes"] = "n" * (2 * 1024 * 1024)
    assert phone.push().status_code == 413
    assert count_visits(app) == 3
    assert client.get("/api/sync/pull?limit=1001", headers=phone.headers).status_code == 422


@pytest.mark.calendar
def test_create_from_two_devices_with_one_uuid_makes_one_visit(app, client, world):
    a, b = Phone(client, world.headers("r1")), Phone(client, world.headers("r1"))
    visit_id = a.create("visit", visit_data(world))
    b.queue("visit", "create", visit_id, visit_data(world, notes="second device"))
    assert a.push().get_json()["results"][0]["status"] == "applied"
    assert b.push().get_json()["results"][0]["status"] == "applied"
    with writing(app):
        visits = db.session.scalars(select(Visit).where(Visit.id == uuid.UUID(visit_id))).all()
        assert len(visits) == 1 and visits[0].notes == "second device"


@pytest.mark.calendar
def test_a_push_larger_than_a_chunk_applies_each_mutation_on_its_own(app, client, world, phone):
    """Mutations commit in chunks, each one a savepoint: a rejected one in a later chunk takes
    nothing else with it, and a retry of the whole push returns the same results."""
    size = services.CHUNK + 50
    for index in range(size):
        phone.create(
            "visit",
            {"account_id": str(world.accounts["r1"])}
            if index == services.CHUNK + 10
            else visit_data(world, notes=f"visit {index}"),
        )
    batch = list(phone.outbox)
    first = phone.push()
    assert first.status_code == 200 and first.get_json()["last_seq"] == size
    statuses = [r["status"] for r in first.get_json()["results"]]
    assert statuses.count("applied") == size - 1 and statuses[services.CHUNK + 10] == "rejected"
    assert count_visits(app) == 3 + size - 1
    again = client.post(
        "/api/sync/push", json={"client_id": phone.client_id, "mutations": batch}, headers=phone.headers
    ).get_json()
    assert [r["status"] for r in again["results"]] == ["duplicate"] * size
    assert [r["first_status"] for r in again["results"]] == statuses
    assert count_visits(app) == 3 + size - 1


@pytest.fixture
def db_only_rule(app):
    """A rule only the database knows (as a constraint added later would be): no visit whose
    purpose is 'forbidden by the database'. Python's checks pass it; the insert fails."""
    with writing(app):
        postgres = db.engine.dialect.name == "postgresql"
        with db.engine.begin() as conn:
            if postgres:
                conn.execute(
                    text("""CREATE FUNCTION refuse_visit() RETURNS trigger AS $$ BEGIN
                    RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation'; END $$ LANGUAGE plpgsql""")
                )
                conn.execute(
                    text("""CREATE TRIGGER refuse_visit BEFORE INSERT ON visits FOR EACH ROW
                    WHEN (NEW.purpose = 'forbidden by the database') EXECUTE FUNCTION refuse_visit()""")
                )
            else:
                conn.execute(
                    text("""CREATE TRIGGER refuse_visit BEFORE INSERT ON visits
                    WHEN NEW.purpose = 'forbidden by the database' BEGIN SELECT RAISE(ABORT, 'refused'); END""")
                )
    yield
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse_visit" + (" ON visits" if postgres else "")))
        if postgres:
            conn.execute(text("DROP FUNCTION refuse_visit()"))


@pytest.mark.calendar
def test_a_create_the_database_refuses_is_rejected_alone(app, client, world, phone, db_only_rule):
    """Creates are flushed together; when that write fails, the chunk is redone one mutation at a
    time, so only the refused one is rejected and every other lands exactly once."""
    ids = [
        phone.create("visit", visit_data(world, purpose="forbidden by the database" if i == 7 else "Fine"))
        for i in range(12)
    ]
    activity = phone.create("activity", {"category": "travel", "started_at": now_iso(minutes=-30)})
    body = phone.push().get_json()
    statuses = [(r["status"], r.get("reason")) for r in body["results"]]
    assert statuses == [("applied", None)] * 7 + [("rejected", "integrity")] + [("applied", None)] * 5
    assert all(r["version"] == 1 for r in body["results"] if r["status"] == "applied")
    assert body["last_seq"] == 13 and count_visits(app) == 3 + 11
    headers = world.headers("r1")
    assert client.get(f"/api/visits/{ids[7]}", headers=headers).status_code == 404
    assert client.get(f"/api/visits/{ids[8]}", headers=headers).status_code == 200
    assert client.get(f"/api/activities/{activity}", headers=headers).status_code == 200


@pytest.mark.calendar
def test_a_create_and_its_edit_in_one_push_report_their_own_versions(app, client, world, phone):
    visit_id = phone.create("visit", visit_data(world, check_in_at=now_iso(minutes=-50)))
    phone.queue("visit", "update", visit_id, {"check_out_at": now_iso(minutes=-5), "outcome": "Order signed"})
    results = phone.push().get_json()["results"]
    assert [(r["status"], r["version"]) for r in results] == [("applied", 1), ("applied", 2)]
    visit = client.get(f"/api/visits/{visit_id}", headers=world.headers("r1")).get_json()
    assert visit["version"] == 2 and visit["outcome"] == "Order signed"


@pytest.mark.calendar
def test_a_gap_in_a_later_chunk_keeps_the_chunks_before_it(app, client, world, phone):
    for _ in range(services.CHUNK + 20):
        phone.create("visit", visit_data(world))
    del phone.outbox[services.CHUNK + 5]  # a seq in the second chunk went missing
    response = phone.push()
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["expected_seq"] == services.CHUNK + 6 and error["last_seq"] == services.CHUNK + 5
    assert [r["status"] for r in error["results"]] == ["applied"] * (services.CHUNK + 5)
    assert count_visits(app) == 3 + services.CHUNK + 5
    assert phone.push().status_code == 409  # the server still expects the missing seq; nothing doubled
    assert count_visits(app) == 3 + services.CHUNK + 5


@pytest.mark.calendar
def test_a_mutation_sent_again_under_a_new_seq_applies_once(app, client, world, phone):
    visit_id = phone.create("visit", visit_data(world))
    mutation = dict(phone.outbox[0])
    assert phone.push().get_json()["results"][0]["status"] == "applied"
    again = {**mutation, "seq": 2, "data": visit_data(world, notes="sent twice")}
    body = client.post(
        "/api/sync/push", json={"client_id": phone.client_id, "mutations": [again]}, headers=phone.headers
    ).get_json()
    assert body["results"][0]["status"] == "duplicate" and body["results"][0]["first_status"] == "applied"
    assert body["last_seq"] == 2
    with writing(app):
        visit = db.session.get(Visit, uuid.UUID(visit_id))
        assert visit.notes in ("", None) and count_visits(app) == 4


@pytest.mark.calendar
def test_deletes_leave_tombstones_in_the_change_log(app, client, world, phone):
    phone.pull()
    visit = world.visits["r1"]
    phone.queue("visit", "delete", visit)
    phone.queue("visit", "delete", visit)  # deleting twice is deleting once
    assert [r["status"] for r in phone.push().get_json()["results"]] == ["applied", "applied"]
    other = Phone(client, world.headers("r1"))
    other.pull()
    assert ("visit", str(visit)) not in other.store
    with writing(app):
        assert db.session.scalars(select(Change.op).where(Change.entity_id == visit)).all()[-1] == "delete"


@pytest.mark.calendar
def test_pull_pages_stay_consistent_while_others_write(client, world):
    phone = Phone(client, world.headers("m1"))
    writer = Phone(client, world.headers("r1"))
    for i in range(12):
        phone.pull_page(limit=2)
        writer.create("visit", visit_data(world, notes=f"while paging {i}"))
        writer.push()
        if i % 3 == 0:
            client.patch(f"/api/contacts/{world.contacts['r2']}", json={"title": f"T{i}"}, headers=world.headers("m1"))
    phone.pull(limit=2)
    assert phone_state(phone) == server_state(client, world.headers("m1"))


def test_push_body_is_validated(client, world, phone):
    response = client.post(
        "/api/sync/push", json={"client_id": "x", "mutations": [{"seq": "one"}]}, headers=phone.headers
    )
    assert response.status_code == 422
    assert "client_id" in response.get_json()["error"]["fields"]
    phone.create("visit", visit_data(world))
    phone.create("visit", visit_data(world))
    phone.outbox.reverse()
    assert phone.push().status_code == 422
    phone.outbox = [{**phone.outbox[0], "entity": "route_plan"}]
    phone.outbox[0]["seq"] = 1
    result = phone.push().get_json()["results"][0]
    assert result["status"] == "rejected"


@pytest.mark.calendar
def test_overlapping_batches_pushed_at_once_apply_each_mutation_once(app, world):
    """Two threads push seq 1-3 and seq 2-5 of one outbox at the same moment."""
    headers = world.headers("r1")
    client_id = str(uuid.uuid4())
    mutations = [
        {
            "id": str(uuid.uuid4()),
            "seq": n,
            "entity": "visit",
            "entity_id": str(uuid.uuid4()),
            "op": "create",
            "data": visit_data(world, notes=f"visit {n}"),
        }
        for n in range(1, 6)
    ]
    statuses = []
    barrier = threading.Barrier(2)

    def send(batch):
        barrier.wait()
        response = app.test_client().post(
            "/api/sync/push", json={"client_id": client_id, "mutations": batch}, headers=headers
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=send, args=(batch,)) for batch in (mutations[0:3], mutations[1:5])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 500 not in statuses
    # The phone retries whatever was not acknowledged; the whole outbox then reads as done.
    final = app.test_client().post(
        "/api/sync/push", json={"client_id": client_id, "mutations": mutations}, headers=headers
    )
    assert final.status_code == 200
    results = final.get_json()["results"]
    # Each mutation was applied exactly once, by whichever push reached it first.
    assert [r.get("first_status", r["status"]) for r in results] == ["applied"] * 5
    assert final.get_json()["last_seq"] == 5
    with writing(app):
        ids = {uuid.UUID(m["entity_id"]) for m in mutations}
        assert db.session.query(Visit).filter(Visit.id.in_(ids)).count() == 5


@pytest.mark.calendar
def test_pruning_old_changes_resets_old_cursors_and_keeps_merges_safe(app, client, world, runner):
    old_phone = Phone(client, world.headers("r1"))
    old_phone.pull()
    base = old_phone.store[("account", str(world.accounts["r1"]))]["version"]
    client.patch(f"/api/accounts/{world.accounts['r1']}", json={"notes": "server edit"}, headers=world.headers("r1"))
    with writing(app):  # everything so far happened 200 days ago
        db.session.execute(update(Change).values(at=clock.now() - timedelta(days=200)))
        db.session.commit()
    result = runner.invoke(args=["prune-changes", "--days", "180"])
    assert result.exit_code == 0 and "pruned" in result.output
    assert runner.invoke(args=["prune-changes", "--days", "30"]).exit_code != 0  # never under 180 days
    with writing(app):
        assert db.session.query(Change).count() == 0
        assert db.session.get(SyncState, 1).horizon > 0
    assert old_phone.pull_page()["reset_required"] is True
    # The history behind the phone's base version is gone: a differing field is a conflict, not a blind write.
    old_phone.queue("account", "update", world.accounts["r1"], {"notes": "phone edit"}, base)
    outcome = old_phone.push().get_json()["results"][0]
    assert outcome["status"] == "conflict" and outcome["server"]["notes"] == "server edit"
    old_phone.pull()
    assert phone_state(old_phone) == server_state(client, world.headers("r1"))


def test_records_only_the_server_writes_cannot_be_created_by_a_push(app, client, world, phone):
    """Route plans come from the planner and weekly reviews from their own endpoint: a push that
    creates one is refused, and nothing is stored."""
    plan = phone.create("route_plan", {"rep_id": str(world.users["r1"]), "plan_date": "2026-11-20"})
    review = phone.create("weekly_review", {"rep_id": str(world.users["r1"]), "week": "2026-11-16", "focus": []})
    results = phone.push().get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    with writing(app):
        assert db.session.get(RoutePlan, uuid.UUID(plan)) is None
        assert db.session.get(WeeklyReview, uuid.UUID(review)) is None


@pytest.mark.calendar
def test_a_pushed_move_to_o_is_won_and_an_open_o_is_refused(client, world, phone):
    """Through sync as through REST: reaching O closes the deal as won, and the phone learns it on its next pull."""
    phone.pull()
    opp_id = str(world.opportunities["r1"])
    base = phone.store[("opportunity", opp_id)]["version"]
    phone.queue("opportunity", "update", opp_id, {"stage": "O"}, base)  # an older client: the stage alone
    results = phone.push().get_json()["results"]
    assert [r["status"] for r in results] == ["applied"], results
    phone.pull()
    assert phone.store[("opportunity", opp_id)]["data"]["status"] == "won"
    base = phone.store[("opportunity", opp_id)]["version"]
    phone.queue("opportunity", "update", opp_id, {"status": "open"}, base)
    created = phone.create("opportunity", {"account_id": str(world.accounts["r1"]), "title": "New", "stage": "O"})
    results = phone.push().get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "applied"], results
    assert "status" in results[0]["fields"]
    got = client.get(f"/api/opportunities/{created}", headers=world.headers("r1")).get_json()
    assert (got["stage"], got["status"]) == ("O", "won")


@pytest.mark.calendar  # the account pulled says how many days since its last contact
def test_an_accounts_pinyin_keys_follow_its_name_and_reach_the_phone(client, world, phone):
    """The phone's offline search finds 浦嘉 by `pujia` or `pj`: the server derives the keys from the name,
    whoever writes it (here a rename pushed from a phone), and the pull carries them; a phone cannot set them."""
    phone.pull()
    key = ("account", str(world.accounts["r1"]))
    base = phone.store[key]["version"]
    phone.queue("account", "update", world.accounts["r1"], {"name": "浦嘉办公设备 Co."}, base)
    assert phone.push().get_json()["results"][0]["status"] == "applied"
    phone.pull()
    data = phone.store[key]["data"]
    assert (data["name_pinyin"], data["name_initials"]) == ("pujiabangongshebeico", "pjbgsbco")
    phone.queue("account", "update", world.accounts["r1"], {"name_pinyin": "forged"}, phone.store[key]["version"])
    rejected = phone.push().get_json()["results"][0]
    assert (rejected["status"], rejected["reason"]) == ("rejected", "validation_failed")
    phone.pull()
    assert phone.store[key]["data"]["name_pinyin"] == "pujiabangongshebeico"


@pytest.mark.calendar  # the snapshot dumps accounts, whose days since contact read the clock
def test_a_steady_push_and_pull_take_few_statements(app, client, world, phone):
    """A rep's phone that synced before pushes one visit and pulls it back: the statements each request runs
    (the CPU of a sync under load goes mostly to them). The token check reads the user in the same query; a
    known client is locked without being read first; the counter comes with the cursor's change."""
    phone.sync()
    phone.create("visit", visit_data(world))
    phone.sync()  # the client id is registered now
    with statements_run(app) as statements:
        visit_id = phone.create("visit", visit_data(world))
        assert phone.push().status_code == 200
        pushed = list(statements)
        statements.clear()
        phone.pull()
        pulled = list(statements)
    assert ("visit", visit_id) in phone.store
    # The token with its user; the client row locked; journal, record and account read; the change (under a
    # provisional number), the visit and the journal written; the client's last seq; at the commit, the
    # counter taken and the change renumbered (one statement on PostgreSQL).
    with app.app_context():
        dialect = db.engine.dialect.name
    renumbering = ["WITH"] if dialect == "postgresql" else ["UPDATE", "UPDATE"]
    assert pushed.count("SELECT") == 4 and len(pushed) == 9 + len(renumbering), pushed
    assert pushed[-len(renumbering) :] == renumbering, pushed
    # The token with its user; the counter with the cursor's change; the change rows; the visits they name.
    assert pulled == ["SELECT"] * 4, pulled


def test_a_rep_moved_to_another_team_leaves_the_old_managers_phone_and_reaches_the_new_ones(client, world, clock):
    """A rep's move to another team changes no record, yet the manager of the team left holds the rep's territory
    and the manager of the team joined holds none of it. Their next pulls (a snapshot part-way too) answer
    `reset_required`, and the snapshot after holds exactly their new scope; the rep's own phone and an admin's go on
    from their cursors, the admin's change page with no record for the move."""
    clock.set("2026-11-18T10:00:00+08:00")  # the records' days since contact are read; the move is no date's
    r1_account = str(world.accounts["r1"])
    phones = {name: Phone(client, world.headers(name)) for name in ("m1", "m2", "r1", "admin")}
    for phone in phones.values():
        phone.pull()
    midway = Phone(client, world.headers("m2"))
    assert midway.pull_page(limit=1)["has_more"] is True  # a snapshot part-way
    assert ("account", r1_account) in phones["m1"].store and ("account", r1_account) not in phones["m2"].store
    south = client.get(f"/api/users/{world.users['m2']}", headers=world.headers("admin")).get_json()["team_id"]
    moved = client.patch(f"/api/users/{world.users['r1']}", json={"team_id": south}, headers=world.headers("admin"))
    assert moved.status_code == 200, moved.get_json()
    for name in ("m1", "m2"):
        assert phones[name].pull_page()["reset_required"] is True, name
        phones[name].pull()
    assert midway.pull_page()["reset_required"] is True
    midway.pull()
    assert ("account", r1_account) not in phones["m1"].store
    assert not {key for key in phones["m1"].store if key[1] == r1_account}
    assert ("account", r1_account) in phones["m2"].store and ("account", r1_account) in midway.store
    assert phones["m2"].store.keys() == midway.store.keys()
    for name in ("r1", "admin"):
        page = phones[name].pull_page()
        assert page["reset_required"] is False and not page["changes"], (name, page)
    # A later change of the rep's account reaches the new manager, not the old one.
    client.patch(f"/api/accounts/{r1_account}", json={"notes": "after the move"}, headers=world.headers("r1"))
    phones["m1"].pull()
    phones["m2"].pull()
    assert ("account", r1_account) not in phones["m1"].store
    assert phones["m2"].store[("account", r1_account)]["data"]["notes"] == "after the move"
    # Nothing else resets: the next pulls go on from their cursors.
    assert all(not p.pull_page()["reset_required"] for p in phones.values())
