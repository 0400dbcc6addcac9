"""A conflict the rep left unresolved: the push journals an account conflict as open, the phone says when the
rep chose, and the manager hears of a rep's open conflicts once a day (not once per conflict), after they
stayed open for two hours, within the team's working hours, unless they switched the kind off."""

import uuid
from datetime import timedelta

from server.extensions import db
from server.models import SyncMutation
from server.notify.conflicts import write_unresolved
from tests.notify.conftest import MONDAY_10
from tests.sync.phone import Phone


def _clash(client, world, rep="r1", notes="from the phone"):
    """The rep's phone edits the account's notes on an old base while the manager edits them: a conflict.
    Returns (phone, the conflicted mutation's id)."""
    phone = Phone(client, world.headers(rep))
    phone.pull()
    key = ("account", str(world.accounts[rep]))
    base = phone.store[key]["version"]
    manager = "m1" if rep in ("r1", "r2") else "m2"
    answer = client.patch(
        f"/api/accounts/{world.accounts[rep]}", json={"notes": f"office {uuid.uuid4()}"}, headers=world.headers(manager)
    )
    assert answer.status_code == 200, answer.get_json()
    mutation_id = phone.queue("account", "update", world.accounts[rep], {"notes": notes}, base)["id"]
    result = phone.push().get_json()["results"][0]
    assert result["status"] == "conflict", result
    return phone, mutation_id


def _at(app, clock, when):
    clock.set(when)
    with app.app_context():
        return write_unresolved()


def _notices(client, world, who):
    return client.get("/api/notifications", headers=world.headers(who)).get_json()


def test_an_account_conflict_is_journaled_open_and_the_phone_closes_it(app, client, world, quiet_runner):
    phone, mutation_id = _clash(client, world)
    with app.app_context():
        row = db.session.scalar(db.select(SyncMutation).where(SyncMutation.mutation_id == uuid.UUID(mutation_id)))
        assert timedelta(0) <= row.conflict_at - MONDAY_10 < timedelta(minutes=1) and row.resolved_at is None
    # An applied edit is no conflict.
    phone.pull()
    base = phone.store[("account", str(world.accounts["r1"]))]["version"]
    plain = phone.queue("account", "update", world.accounts["r1"], {"region": "Pudong"}, base)["id"]
    assert phone.push().get_json()["results"][0]["status"] == "applied"

    url, body = "/api/sync/conflicts/resolved", {"client_id": phone.client_id, "ids": [mutation_id, plain]}
    assert client.post(url, json=body, headers=phone.headers).get_json() == {"resolved": 1}
    assert client.post(url, json=body, headers=phone.headers).get_json() == {"resolved": 0}  # said twice: once
    with app.app_context():
        row = db.session.scalar(db.select(SyncMutation).where(SyncMutation.mutation_id == uuid.UUID(mutation_id)))
        assert timedelta(0) <= row.resolved_at - MONDAY_10 < timedelta(minutes=1)

    # Another user's phone id, an unknown one, and bad bodies are refused with their codes.
    other = client.post(url, json=body, headers=world.headers("r2"))
    assert other.status_code == 404 and other.get_json()["error"]["fields"] == {"client_id": ["Unknown."]}
    unknown = client.post(url, json={**body, "client_id": str(uuid.uuid4())}, headers=phone.headers)
    assert unknown.status_code == 404
    bad = client.post(url, json={"client_id": phone.client_id, "ids": ["nope"]}, headers=phone.headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["field_codes"]["ids"]["0"][0]["code"] == "not_uuid"
    empty = client.post(url, json={"client_id": phone.client_id, "ids": []}, headers=phone.headers)
    assert empty.status_code == 422
    assert client.post(url, json=body).status_code == 401


def test_the_manager_hears_once_a_day_per_rep_of_conflicts_left_open(app, client, world, quiet_runner, clock):
    """Monday 10:00 r1 leaves two conflicts and r2 one, r3 (South) one; r2 decides theirs at 11:00. Nothing is said
    before 12:00; at 12:01 m1 hears of r1's two (one notice) and m2 of r3's; r2's was decided. Later ticks that day
    add nothing; on Tuesday r1's conflicts, told of already, are not told again, but a new one is."""
    _clash(client, world, "r1", "first")
    _clash(client, world, "r1", "second")
    phone2, decided = _clash(client, world, "r2")
    _clash(client, world, "r3")
    clock.set(MONDAY_10 + timedelta(hours=1))
    assert client.post(
        "/api/sync/conflicts/resolved", json={"client_id": phone2.client_id, "ids": [decided]}, headers=phone2.headers
    ).get_json() == {"resolved": 1}

    assert _at(app, clock, MONDAY_10 + timedelta(hours=1, minutes=59)) == 0  # open less than two hours
    assert _at(app, clock, MONDAY_10 + timedelta(hours=2, minutes=1)) == 2  # r1's (for m1) and r3's (for m2)
    assert _at(app, clock, MONDAY_10 + timedelta(hours=5)) == 0  # once a day per rep
    north = _notices(client, world, "m1")
    assert [(n["kind"], n["params"]["rep"], n["params"]["count"]) for n in north] == [("conflict_unresolved", "r1", 2)]
    assert north[0]["title"] == "r1有未处理的冲突"
    assert north[0]["text"] == "r1有 2 处修改与办公室的修改冲突，最早在10:00，还没有选择保留哪一个"
    south = _notices(client, world, "m2")
    assert [(n["kind"], n["params"]["rep"], n["params"]["count"]) for n in south] == [("conflict_unresolved", "r3", 1)]
    assert _notices(client, world, "r1") == []

    tuesday = MONDAY_10 + timedelta(days=1)
    assert _at(app, clock, tuesday) == 0  # r1's two were told of on Monday
    clock.set(tuesday - timedelta(hours=3))  # 07:00 Tuesday, before the day's hours: raised, then open
    _clash(client, world, "r1", "third")
    assert _at(app, clock, tuesday) == 1
    told = _notices(client, world, "m1")[0]
    assert told["params"]["count"] == 1 and told["params"]["since"] == "07:00"
    # In English, said on Wednesday, the first open conflict names its day.
    with app.app_context():
        from server.models import Notification, User
        from server.notify.queue import words

        notice = db.session.get(Notification, uuid.UUID(told["id"]))
        user = db.session.get(User, world.users["m1"])
        user.locale = "en"
        assert words(notice, user, tuesday + timedelta(days=1))[1] == (
            "r1 has 1 edit(s) clashing with a change made in the office, the first at 07:00 11/10, not yet decided"
        )


def test_outside_hours_or_switched_off_nothing_is_written(app, client, world, quiet_runner, clock):
    _clash(client, world, "r1")
    assert _at(app, clock, MONDAY_10.replace(hour=21)) == 0  # after the default hours (8:00-20:00)
    saturday = MONDAY_10 + timedelta(days=5)
    assert _at(app, clock, saturday) == 0  # not a working day
    off = {"kinds": {"conflict_unresolved": {"on": False}}}
    answer = client.put("/api/notifications/prefs", json=off, headers=world.headers("m1"))
    assert answer.status_code == 200, answer.get_json()
    assert "conflict_unresolved" in answer.get_json()["mine"]
    assert _at(app, clock, MONDAY_10.replace(hour=13)) == 0
    assert _notices(client, world, "m1") == []
    # The rep's phone never offers the kind to the rep.
    mine = client.get("/api/notifications/prefs", headers=world.headers("r1")).get_json()["mine"]
    assert "conflict_unresolved" not in mine
