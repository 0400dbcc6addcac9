"""Two real writers at once: a rep's two phones push visits to the same accounts while the manager
edits those accounts (without a version, as a form that does not care does) and reassigns one away
and back. Every request runs in its own thread with its own database connection. Afterwards every
acknowledged visit exists exactly once, nothing valid was refused, no manager edit failed, and
each phone's copy equals what the server says the rep may see."""

import random
import threading
import time
import uuid
from datetime import timedelta

import pytest

from server import clock
from server.extensions import db
from server.models import Account, Visit
from tests.records import writing
from tests.sync.phone import Phone
from tests.sync.test_sync_api import phone_state, server_state

ROUNDS = 20
PER_PUSH = 3


def db_name(app):
    with writing(app):
        return db.engine.dialect.name


def _push_until_answered(phone, tally):
    """Push the outbox; a 503 (a transient clash the server could not settle) is retried, as the app does."""
    for _ in range(40):
        response = phone.push()
        if response.status_code == 200:
            return response
        tally["retries"] += 1
        assert response.status_code == 503, response.get_json()
        assert response.headers.get("Retry-After")
        time.sleep(0.05)
    raise AssertionError("the push never got through")


@pytest.mark.calendar
def test_two_phones_and_a_manager_at_the_same_moment_lose_nothing(app, world):
    rep, manager = world.headers("r1"), world.headers("m1")
    with writing(app):
        accounts = [world.accounts["r1"]]
        for n in range(2):
            account = Account(
                name=f"Shared {n}", account_class="A", owner_id=world.users["r1"], latitude=31.2, longitude=121.4
            )
            db.session.add(account)
            db.session.flush()
            accounts.append(account.id)
        db.session.commit()
    targets = [str(a) for a in accounts]
    phones = [Phone(app.test_client(), rep) for _ in range(2)]
    acknowledged, rejected, manager_failures = [], [], []
    tally = {"retries": 0, "patches": 0}
    start = threading.Barrier(3)
    done = threading.Event()
    errors = []

    def phone_loop(phone, seed):
        rng = random.Random(seed)
        try:
            start.wait()
            for round_ in range(ROUNDS):
                for _ in range(PER_PUSH):
                    at = (clock.now() - timedelta(minutes=rng.randint(1, 600))).isoformat()
                    phone.create(
                        "visit", {"account_id": rng.choice(targets), "purpose": f"Round {round_}", "check_in_at": at}
                    )
                sent = list(phone.outbox)
                results = _push_until_answered(phone, tally).get_json()["results"]
                for mutation, result in zip(sent, results):
                    status = result.get("first_status") if result["status"] == "duplicate" else result["status"]
                    (acknowledged if status == "applied" else rejected).append((mutation["entity_id"], result))
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    def manager_loop():
        client = app.test_client()
        rng = random.Random(3)
        try:
            start.wait()
            n = 0
            while not done.is_set():
                n += 1
                target = rng.choice(targets)
                response = client.patch(f"/api/accounts/{target}", json={"notes": f"edit {n}"}, headers=manager)
                tally["patches"] += 1
                if response.status_code != 200:
                    manager_failures.append((response.status_code, response.get_json()))
                if n % 15 == 0:  # away to r2 and straight back: the rep's visits stay theirs
                    for owner in ("r2", "r1"):
                        moved = client.patch(
                            f"/api/accounts/{targets[1]}", json={"owner_id": str(world.users[owner])}, headers=manager
                        )
                        if moved.status_code != 200:
                            manager_failures.append((moved.status_code, moved.get_json()))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=phone_loop, args=(p, i)) for i, p in enumerate(phones)]
    boss = threading.Thread(target=manager_loop)
    for t in [*threads, boss]:
        t.start()
    for t in threads:
        t.join(300)
    done.set()
    boss.join(60)
    assert not errors, errors
    sent = ROUNDS * PER_PUSH * len(phones)
    ids = [visit_id for visit_id, _ in acknowledged]
    with writing(app):
        rows = db.session.query(Visit.id).filter(Visit.id.in_([uuid.UUID(i) for i in ids])).all()
        stored_once = len({r.id for r in rows})
    print(
        f"\nconcurrency ({db_name(app)}): {sent} visits sent by 2 phones, {len(acknowledged)} acknowledged, "
        f"{stored_once} stored, {len(set(ids)) - stored_once} lost, {len(ids) - len(set(ids))} duplicated, "
        f"{len(rejected)} refused; {tally['patches']} manager edits, {len(manager_failures)} failed; "
        f"{tally['retries']} pushes answered 503 and retried"
    )
    assert rejected == [], rejected[:3]  # every visit was valid: a clash is never a permanent refusal
    assert manager_failures == [], manager_failures[:3]  # no version asked, none may fail
    assert len(acknowledged) == sent
    with writing(app):
        stored = {str(v.id) for v in db.session.query(Visit).filter(Visit.rep_id == world.users["r1"])}
        ids = [visit_id for visit_id, _ in acknowledged]
        assert len(set(ids)) == len(ids) and set(ids) <= stored  # each once, none lost
        assert db.session.query(Visit).filter(Visit.id.in_([uuid.UUID(i) for i in ids])).count() == len(ids)
        latest = max(v.check_in_at for v in db.session.query(Visit).filter(Visit.account_id == accounts[0]))
        assert db.session.get(Account, accounts[0]).last_contact_at == latest
    for phone in phones:
        phone.pull()
        assert phone_state(phone) == server_state(app.test_client(), rep)


@pytest.mark.calendar
def test_a_reps_offline_day_edits_and_a_managers_replans_at_the_same_moment(app, world, clock):
    """The phone reorders today's stops by sync while the manager re-plans the same day. Every push is
    answered (applied, or conflict when the manager came between), every re-plan succeeds, and the
    stored day is whole afterwards: one stop per position, no account twice, the phone's copy equal."""
    from tests.routing.test_planning import _more_accounts

    _more_accounts(app, world)
    rep, manager = world.headers("r1"), world.headers("m1")
    day = "2026-11-10"
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a manager plans no past day
    first = app.test_client().post("/api/routes/plan", json={"date": day}, headers=rep).get_json()
    plan_id = first["id"]
    phone = Phone(app.test_client(), rep)
    start = threading.Barrier(2)
    outcomes, manager_failures, errors = [], [], []
    tally = {"retries": 0}

    def phone_loop():
        try:
            start.wait()
            for _ in range(ROUNDS):
                phone.pull()
                held = phone.store[("route_plan", plan_id)]
                order = [s["account_id"] for s in sorted(held["data"]["stops"], key=lambda s: s["position"])]
                phone.queue(
                    "route_plan",
                    "update",
                    plan_id,
                    {"stops": [{"account_id": a} for a in reversed(order)]},
                    held["version"],
                )
                outcomes.extend(r["status"] for r in _push_until_answered(phone, tally).get_json()["results"])
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    def manager_loop():
        client = app.test_client()
        try:
            start.wait()
            for _ in range(ROUNDS // 2):
                response = client.post(
                    "/api/routes/plan", json={"date": day, "rep_id": str(world.users["r1"])}, headers=manager
                )
                if response.status_code != 200:
                    manager_failures.append((response.status_code, response.get_json()))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=phone_loop), threading.Thread(target=manager_loop)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    print(
        f"\nday edits ({db_name(app)}): {outcomes.count('applied')} applied, {outcomes.count('conflict')} "
        f"conflicts, {len(outcomes)} sent; {ROUNDS // 2} re-plans, {len(manager_failures)} failed; "
        f"{tally['retries']} pushes retried"
    )
    assert manager_failures == [], manager_failures[:3]
    assert len(outcomes) == ROUNDS and set(outcomes) <= {"applied", "conflict"} and "applied" in outcomes
    stored = app.test_client().get(f"/api/routes/{world.users['r1']}/{day}", headers=rep).get_json()
    positions = [s["position"] for s in stored["stops"]]
    accounts = [s["account_id"] for s in stored["stops"]]
    assert sorted(positions) == list(range(len(positions))) and len(set(accounts)) == len(accounts) and accounts
    phone.pull()
    held = phone.store[("route_plan", plan_id)]
    assert held["version"] == stored["version"]
    assert sorted(held["data"]["stops"], key=lambda s: s["position"]) == sorted(
        stored["stops"], key=lambda s: s["position"]
    )
