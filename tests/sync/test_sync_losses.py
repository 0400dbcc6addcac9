"""The ways records were lost or phones diverged, one test each (the two-writer case is test_concurrency.py)."""

import base64
import json
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from server import clock
from server.changelog import UnrecordedChange
from server.extensions import db
from server.models import Account, Activity, Change, SyncMutation, SyncState, User, Visit
from sync import protocol
from tests.backup import dump, restore
from tests.records import writing
from tests.sync.phone import Phone
from tests.sync.test_sync_api import now_iso, phone_state, server_state, visit_data


@pytest.fixture
def phone(client, world):
    return Phone(client, world.headers("r1"))


def _stored(phone, entity, record_id):
    return phone.store[(entity, str(record_id))]


# --- 2. references the database clears itself --------------------------------------------------


@pytest.mark.calendar
def test_an_activity_whose_visit_is_deleted_loses_the_reference_on_the_phone_too(app, client, world, phone):
    visit_id = phone.create("visit", visit_data(world, check_in_at=now_iso(hours=-2)))
    activity_id = phone.create(
        "activity",
        {"category": "travel", "started_at": now_iso(hours=-3), "ended_at": now_iso(hours=-2), "visit_id": visit_id},
    )
    phone.sync()
    before = _stored(phone, "activity", activity_id)
    assert before["data"]["visit_id"] == visit_id
    assert client.delete(f"/api/visits/{visit_id}", headers=world.headers("r1")).status_code == 204
    phone.pull()
    after = _stored(phone, "activity", activity_id)
    assert after["data"]["visit_id"] is None and after["version"] > before["version"]
    assert phone_state(phone) == server_state(client, world.headers("r1"))


@pytest.mark.calendar
def test_a_visit_whose_opportunity_is_deleted_loses_the_reference_on_the_phone_too(client, world, phone):
    opportunity = str(world.opportunities["r1"])
    visit_id = phone.create("visit", visit_data(world, check_in_at=now_iso(hours=-1), opportunity_id=opportunity))
    phone.sync()
    assert _stored(phone, "visit", visit_id)["data"]["opportunity_id"] == opportunity
    assert client.delete(f"/api/opportunities/{opportunity}", headers=world.headers("m1")).status_code == 204
    phone.pull()
    assert _stored(phone, "visit", visit_id)["data"]["opportunity_id"] is None
    assert phone_state(phone) == server_state(client, world.headers("r1"))


@pytest.mark.calendar
def test_an_opportunity_whose_machine_is_deleted_loses_the_reference_on_the_phone_too(client, world, phone):
    device, opportunity = str(world.devices["r1"]), str(world.opportunities["r1"])
    edit = client.patch(f"/api/opportunities/{opportunity}", json={"device_id": device}, headers=world.headers("r1"))
    assert edit.status_code == 200, edit.get_json()
    phone.pull()
    assert _stored(phone, "opportunity", opportunity)["data"]["device_id"] == device
    assert client.delete(f"/api/devices/{device}", headers=world.headers("r1")).status_code == 204
    phone.pull()
    assert ("device", device) not in phone.store
    assert _stored(phone, "opportunity", opportunity)["data"]["device_id"] is None
    assert phone_state(phone) == server_state(client, world.headers("r1"))


@pytest.mark.calendar
def test_an_account_deleted_under_a_visit_with_a_linked_activity(client, world, phone):
    visit_id = phone.create("visit", visit_data(world, check_in_at=now_iso(hours=-2)))
    activity_id = phone.create(
        "activity",
        {"category": "travel", "started_at": now_iso(hours=-3), "ended_at": now_iso(hours=-2), "visit_id": visit_id},
    )
    phone.sync()
    assert client.delete(f"/api/accounts/{world.accounts['r1']}", headers=world.headers("m1")).status_code == 204
    phone.pull()
    assert ("visit", visit_id) not in phone.store
    assert _stored(phone, "activity", activity_id)["data"]["visit_id"] is None
    assert phone_state(phone) == server_state(client, world.headers("r1"))


# --- 3. a restore from a backup -----------------------------------------------------------------


@pytest.mark.calendar
def test_after_a_restore_a_reused_change_number_is_detected_and_the_phone_resets(app, client, world, phone):
    phone.pull()
    backup = dump(app)
    other = Phone(client, world.headers("r1"))
    for _ in range(3):  # changes the backup does not hold; this phone's cursor moves past them
        other.create("visit", visit_data(world, check_in_at=now_iso(hours=-1)))
    other.sync()
    phone.pull()
    cursor_before = protocol.Cursor.decode(phone.cursor)
    restore(app, backup)
    # New work after the restore takes the same numbers again, past the phone's cursor.
    again = Phone(client, world.headers("r1"))
    for _ in range(5):
        again.create("visit", visit_data(world, check_in_at=now_iso(hours=-1)))
    again.sync()
    with writing(app):
        assert db.session.get(SyncState, 1).counter > cursor_before.seq
    page = phone.pull_page()
    assert page["reset_required"] is True and "history" in page["reason"]
    phone.pull()
    assert phone_state(phone) == server_state(client, world.headers("r1"))


# --- 4. forged cursors ---------------------------------------------------------------------------


def _forged(epoch, after_id):
    raw = json.dumps([1, epoch, 0, 0, after_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("after_id", ["not-a-uuid", 12345, [1], {"a": 1}, True])
def test_a_forged_snapshot_cursor_resets_instead_of_failing(app, client, world, phone, after_id):
    with writing(app):
        epoch = db.session.get(SyncState, 1).epoch
    response = client.get(f"/api/sync/pull?cursor={_forged(epoch, after_id)}", headers=phone.headers)
    assert response.status_code == 200 and response.get_json()["reset_required"] is True


@pytest.mark.parametrize(
    "parts",
    [
        [1, "e", True, None, None],
        [1, "e", -5, None, None],
        [2, "e", 1, None, None, 7],
        [9, "e", 1],
        [1, "e", 1, 99, None],
        [1, "e", 1, None, "0f6b2c1e-8a8e-4f31-9c55-0d2b8a3f9e11"],
    ],
)
def test_malformed_cursors_are_refused_by_the_protocol(parts):
    text_ = base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()
    with pytest.raises(protocol.CursorError):
        cursor = protocol.Cursor.decode(text_)
        protocol.check_cursor(cursor, "e", head=10, horizon=0)


# --- 5. a duplicate under a renumbered seq is journaled ------------------------------------------


@pytest.mark.calendar
def test_a_duplicate_under_a_new_seq_is_journaled_so_its_retry_replays_and_a_reuse_is_refused(
    app, client, world, phone
):
    first = dict(phone.queue("visit", "create", uuid.uuid4(), visit_data(world)))
    phone.create("visit", visit_data(world))
    assert phone.push().status_code == 200
    renumbered = {**first, "seq": 3}
    body = {"client_id": phone.client_id, "mutations": [renumbered]}
    answer = client.post("/api/sync/push", json=body, headers=phone.headers).get_json()
    assert answer["results"][0]["status"] == "duplicate" and answer["last_seq"] == 3
    retry = client.post("/api/sync/push", json=body, headers=phone.headers).get_json()["results"][0]
    assert retry["status"] == "duplicate" and retry["first_status"] == "applied"
    other = {
        "id": str(uuid.uuid4()),
        "seq": 3,
        "entity": "visit",
        "entity_id": str(uuid.uuid4()),
        "op": "create",
        "data": visit_data(world, purpose="A different visit"),
    }
    refused = client.post(
        "/api/sync/push", json={"client_id": phone.client_id, "mutations": [other]}, headers=phone.headers
    )
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "seq_reused"
    with writing(app):
        assert db.session.query(SyncMutation).filter_by(client_id=uuid.UUID(phone.client_id)).count() == 3


# --- 6. mutation ids belong to their client ------------------------------------------------------


@pytest.mark.calendar
def test_a_mutation_id_another_users_client_applied_does_not_swallow_this_record(app, client, world):
    r1, r2 = Phone(client, world.headers("r1")), Phone(client, world.headers("r2"))
    r1.create("visit", visit_data(world, "r1"))
    r1.sync()
    shared_id = next(iter(r1.results))
    mine = r2.queue("visit", "create", uuid.uuid4(), visit_data(world, "r2"))
    mine["id"] = shared_id  # the same mutation id, by chance or by a bad client
    result = r2.push().get_json()["results"][0]
    assert result["status"] == "applied" and "first_status" not in result
    with writing(app):
        assert db.session.get(Visit, uuid.UUID(mine["entity_id"])) is not None


# --- 7. edits without a base, or with one from the future ------------------------------------------


@pytest.mark.calendar
@pytest.mark.parametrize("base", [None, "future"])
def test_an_edit_without_a_real_base_version_overwrites_nothing(app, client, world, phone, base):
    phone.pull()
    key = ("account", str(world.accounts["r1"]))
    assert (
        client.patch(
            f"/api/accounts/{world.accounts['r1']}", json={"notes": "the manager's"}, headers=world.headers("m1")
        ).status_code
        == 200
    )
    version = phone.store[key]["version"] + 1
    phone.queue(
        "account", "update", world.accounts["r1"], {"notes": "the phone's"}, None if base is None else version + 50
    )
    result = phone.push().get_json()["results"][0]
    assert result["status"] == "rejected"
    assert result["reason"] == ("base_version_required" if base is None else "base_version_invalid")
    assert "base_version" in result["fields"]
    with writing(app):
        assert db.session.get(Account, world.accounts["r1"]).notes == "the manager's"


@pytest.mark.calendar
def test_an_account_create_seen_again_merges_against_its_first_version(client, world):
    record_id = str(uuid.uuid4())
    body = {"name": "New prospect", "account_class": "C", "notes": "first words"}
    a = Phone(client, world.headers("r1"))
    a.queue("account", "create", record_id, body)
    a.sync()
    assert (
        client.patch(
            f"/api/accounts/{record_id}", json={"notes": "the manager's"}, headers=world.headers("m1")
        ).status_code
        == 200
    )
    b = Phone(client, world.headers("r1"))  # a second install sends the same create (a lost ack)
    b.queue("account", "create", record_id, {**body, "notes": "second words"})
    result = b.push().get_json()["results"][0]
    assert result["status"] == "conflict" and result["conflicts"]["notes"]["server"] == "the manager's"


# --- 8. reasons and messages ---------------------------------------------------------------------


@pytest.mark.calendar
def test_an_offline_edit_of_an_account_that_left_the_territory_says_so(client, world, phone):
    phone.pull()
    base = phone.store[("account", str(world.accounts["r1"]))]["version"]
    assert (
        client.patch(
            f"/api/accounts/{world.accounts['r1']}",
            json={"owner_id": str(world.users["r2"])},
            headers=world.headers("m1"),
        ).status_code
        == 200
    )
    phone.queue("account", "update", world.accounts["r1"], {"notes": "offline note"}, base)
    result = phone.push().get_json()["results"][0]
    assert result["status"] == "rejected" and result["reason"] == "out_of_scope"
    phone.queue("account", "update", world.accounts["r3"], {"notes": "never mine"}, 1)
    assert phone.push().get_json()["results"][0]["reason"] == "not_found"


# --- 9. the last contact never lies in the future, and has one writer ------------------------------


@pytest.mark.calendar
def test_a_visit_checked_in_ahead_of_the_server_clock_does_not_move_last_contact_into_the_future(
    app, client, world, phone
):
    phone.create("visit", visit_data(world, check_in_at=now_iso(hours=20)))
    assert phone.push().get_json()["results"][0]["status"] == "applied"
    rest = client.post(
        "/api/visits", json=visit_data(world, check_in_at=now_iso(hours=20)), headers=world.headers("r1")
    )
    assert rest.status_code == 201
    account = client.get(f"/api/accounts/{world.accounts['r1']}", headers=world.headers("r1")).get_json()
    assert account["days_since_contact"] == 0
    with writing(app):
        stored = db.session.get(Account, world.accounts["r1"]).last_contact_at
        assert stored <= clock.now() and stored > clock.now() - timedelta(minutes=5)


@pytest.mark.calendar
def test_last_contact_moves_without_bumping_the_accounts_version_and_reaches_the_phone(app, client, world, phone):
    phone.pull()
    key = ("account", str(world.accounts["r1"]))
    version = phone.store[key]["version"]
    other = Phone(client, world.headers("r1"))
    other.create("visit", visit_data(world, check_in_at=now_iso(hours=-1)))
    other.sync()
    phone.pull()
    assert phone.store[key]["version"] == version  # a derived value is not an edit
    assert phone.store[key]["data"]["last_contact_at"] is not None
    assert phone.store[key]["data"]["days_since_contact"] == 0
    # An edit of the visit back in time recomputes it; a delete recomputes it again.
    visit = next(v for (e, v) in other.store if e == "visit" and v != str(world.visits["r1"]))
    client.patch(f"/api/visits/{visit}", json={"check_in_at": now_iso(days=-3)}, headers=world.headers("r1"))
    phone.pull()
    assert phone.store[key]["data"]["days_since_contact"] == 3
    client.delete(f"/api/visits/{visit}", headers=world.headers("r1"))
    with writing(app):
        world_visit = db.session.get(Visit, world.visits["r1"]).check_in_at
        assert db.session.get(Account, world.accounts["r1"]).last_contact_at == world_visit
    phone.pull()
    assert phone_state(phone) == server_state(client, world.headers("r1"))


@pytest.mark.calendar
def test_visits_pushed_together_move_each_accounts_last_contact_to_its_latest_meeting(app, client, world, phone):
    second = client.post(
        "/api/accounts", json={"name": "Second", "account_class": "B"}, headers=world.headers("r1")
    ).get_json()["id"]
    phone.create("visit", visit_data(world, check_in_at=now_iso(days=-2)))
    phone.create("visit", visit_data(world, check_in_at=now_iso(days=-1)))
    phone.create("visit", visit_data(world, check_in_at=now_iso(hours=-1), met=False))  # no contact
    phone.create("visit", {"account_id": second, "purpose": "Intro", "check_in_at": now_iso(days=-4)})
    phone.create(
        "visit",
        {
            "account_id": second,
            "purpose": "Intro",
            "check_in_at": now_iso(days=-3),
            "cancelled_at": now_iso(days=-3),
            "cancel_reason": "Closed",
        },
    )  # no contact
    assert [r["status"] for r in phone.push().get_json()["results"]] == ["applied"] * 5
    days = {
        account: client.get(f"/api/accounts/{account}", headers=world.headers("r1")).get_json()["days_since_contact"]
        for account in (str(world.accounts["r1"]), second)
    }
    assert days == {str(world.accounts["r1"]): 1, second: 4}
    phone.pull()
    assert phone.store[("account", second)]["data"]["days_since_contact"] == 4


@pytest.mark.calendar
def test_the_change_logs_flush_hook_writes_no_domain_data(app, world):
    """A visit written around the visit service is logged for the phones, and moves no last contact:
    only the service derives it."""
    with writing(app):
        before = db.session.get(Account, world.accounts["r1"]).last_contact_at
        visit = Visit(
            account_id=world.accounts["r1"],
            rep_id=world.users["r1"],
            purpose="Around the service",
            check_in_at=clock.now() - timedelta(minutes=5),
        )
        db.session.add(visit)
        db.session.commit()
        assert db.session.get(Account, world.accounts["r1"]).last_contact_at == before
        logged = db.session.scalars(select(Change.entity).where(Change.entity_id == visit.id)).all()
        assert logged == ["visit"]


@pytest.mark.calendar
def test_a_synced_record_written_outside_a_recorded_block_fails_loudly_and_writes_nothing(app, world):
    with app.app_context():
        visit = Visit(
            account_id=world.accounts["r1"], rep_id=world.users["r1"], purpose="Unrecorded", check_in_at=clock.now()
        )
        db.session.add(visit)
        with pytest.raises(UnrecordedChange, match="visit"):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(Visit, visit.id) is None
        # Records that no phone holds (a user, a team) need no change rows: written anywhere.
        db.session.get(User, world.users["r1"]).display_name = "Renamed"
        db.session.commit()
        assert db.session.get(User, world.users["r1"]).display_name == "Renamed"


@pytest.mark.calendar
@pytest.mark.parametrize("others_write_first", [False, True])
def test_visits_acknowledged_after_the_backup_survive_a_restore(app, client, world, others_write_first):
    """Dump, push, restore: the phone offers its acknowledged visits again, each stored exactly once.

    With `others_write_first`, other phones push after the restore until the change counter has
    passed this phone's cursor, so only the cursor's mark tells that history was rewound."""
    phone = Phone(client, world.headers("r1"))
    phone.sync()
    backup = dump(app)
    made = [phone.create("visit", visit_data(world, check_in_at=now_iso(minutes=-n))) for n in range(1, 11)]
    made.append(phone.create("activity", {"category": "admin", "started_at": now_iso(hours=-1), "ended_at": now_iso()}))
    phone.sync()
    acknowledged = list(phone.sent)
    assert len(acknowledged) == len(made)
    restore(app, backup)
    if others_write_first:
        other = Phone(client, world.headers("r1"))
        for _ in range(15):
            other.create("visit", visit_data(world, check_in_at=now_iso(hours=-2)))
        other.sync()
        with writing(app):
            assert db.session.get(SyncState, 1).counter > protocol.Cursor.decode(phone.cursor).seq
    phone.sync()
    with writing(app):
        stored = {str(v.id) for v in db.session.query(Visit).filter(Visit.id.in_([uuid.UUID(i) for i in made[:-1]]))}
        activities = db.session.query(Activity).filter(Activity.id == uuid.UUID(made[-1])).count()
    lost = len(made) - len(stored) - activities
    print(
        f"\nrestore ({'counter passed the cursor' if others_write_first else 'cursor ahead'}): "
        f"{len(acknowledged)} acknowledged, {len(stored) + activities} stored, {lost} lost, 0 duplicated"
    )
    assert stored == set(made[:-1]) and activities == 1  # each exactly once (ids are primary keys)
    assert phone_state(phone) == server_state(client, world.headers("r1"))
    phone.sync()  # a second round offers nothing again
    assert phone.outbox == []


@pytest.mark.calendar
def test_a_record_deleted_on_the_server_is_not_offered_back_after_a_reset(app, client, world):
    phone = Phone(client, world.headers("r1"))
    visit_id = phone.create("visit", visit_data(world, check_in_at=now_iso(hours=-1)))
    phone.sync()
    assert client.delete(f"/api/visits/{visit_id}", headers=world.headers("r1")).status_code == 204
    with writing(app):  # the tombstone is pruned away: this phone's cursor must reset
        db.session.execute(update(SyncState).values(horizon=db.session.get(SyncState, 1).counter + 1))
        db.session.commit()
    phone.sync()
    assert ("visit", visit_id) not in phone.store
    with writing(app):
        assert db.session.get(Visit, uuid.UUID(visit_id)) is None  # offered again, the journal said: done once


@pytest.mark.calendar
def test_a_reassigned_accounts_deals_follow_it_in_the_funnel_and_the_exports(app, client, world):
    opportunity = str(world.opportunities["r1"])
    assert (
        client.patch(
            f"/api/accounts/{world.accounts['r1']}",
            json={"owner_id": str(world.users["r2"])},
            headers=world.headers("m1"),
        ).status_code
        == 200
    )
    stored = client.get(f"/api/opportunities/{opportunity}", headers=world.headers("r2")).get_json()
    assert stored["owner_id"] == str(world.users["r2"])
    # A period that ends now reads the account as it is (a past one as its end left it: tests/reports/).
    today = clock.today(ZoneInfo("Asia/Shanghai"))
    period = f"from={(today - timedelta(days=30)).isoformat()}&to={today.isoformat()}"  # at most a year: any clock
    funnel = {
        r["username"]: r
        for r in client.get(f"/api/reports/funnel?{period}", headers=world.headers("m1")).get_json()["rows"]
    }
    assert funnel["r1"]["reached"]["S"] == 0 and funnel["r2"]["reached"]["S"] == 2
    old = client.get("/api/exports/opportunities?format=json", headers=world.headers("r1")).get_json()
    assert opportunity not in json.dumps(old)
    new = client.get("/api/exports/opportunities?format=json", headers=world.headers("r2")).get_json()
    assert opportunity in json.dumps(new)


@pytest.mark.calendar
def test_an_ex_owner_may_push_visits_made_before_the_reassignment_not_after(app, client, world):
    phone = Phone(client, world.headers("r1"))
    before = phone.create("visit", visit_data(world, check_in_at=now_iso(hours=-2)))
    assert (
        client.patch(
            f"/api/accounts/{world.accounts['r1']}",
            json={"owner_id": str(world.users["r2"])},
            headers=world.headers("m1"),
        ).status_code
        == 200
    )
    after = phone.create("visit", visit_data(world, check_in_at=now_iso(minutes=5)))
    planned = phone.create("visit", visit_data(world))  # no check-in: not a visit that happened
    results = phone.push().get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected"]
    assert results[1]["reason"] == "reassigned" and "account_id" in results[1]["fields"]
    rest = client.post(
        "/api/visits", json=visit_data(world, check_in_at=now_iso(minutes=6)), headers=world.headers("r1")
    )
    assert rest.status_code == 403 and rest.get_json()["error"]["code"] == "reassigned"
    with writing(app):
        assert db.session.get(Visit, uuid.UUID(before)) is not None
        assert db.session.get(Visit, uuid.UUID(after)) is None and db.session.get(Visit, uuid.UUID(planned)) is None


@pytest.mark.calendar
def test_who_may_record_a_visit_does_not_depend_on_the_sync_log(app, client, world):
    """The territory's history is its own table: with every change-log row of the account pruned,
    the ex-owner's visit made before the reassignment is still accepted and one after it refused."""
    from server.models import AccountReassignment, Change

    phone = Phone(client, world.headers("r1"))
    before = phone.create("visit", visit_data(world, check_in_at=now_iso(hours=-2)))
    assert (
        client.patch(
            f"/api/accounts/{world.accounts['r1']}",
            json={"owner_id": str(world.users["r2"])},
            headers=world.headers("m1"),
        ).status_code
        == 200
    )
    after = phone.create("visit", visit_data(world, check_in_at=now_iso(minutes=5)))
    with writing(app):
        db.session.query(Change).filter(Change.entity_id == world.accounts["r1"]).delete()
        db.session.commit()
        [moved] = db.session.query(AccountReassignment).filter_by(account_id=world.accounts["r1"]).all()
        assert (moved.from_owner_id, moved.to_owner_id, moved.by) == (
            world.users["r1"],
            world.users["r2"],
            world.users["m1"],
        )
    results = phone.push().get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected"] and results[1]["reason"] == "reassigned"
    with writing(app):
        assert db.session.get(Visit, uuid.UUID(before)) is not None and db.session.get(Visit, uuid.UUID(after)) is None
