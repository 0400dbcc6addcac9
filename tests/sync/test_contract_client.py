"""An outside sync client, written from sync/PROTOCOL.md alone, against a live server over real HTTP.

It knows only what the contract says: log in, push mutations with a client id and seq, pull pages with an
opaque cursor, keep an upsert whose version is >= the local one, drop a delete, empty the copy on
`reset_required`. Each test tries one promise of the contract, the awkward cases included (lost answers,
a restarted server, two devices, stale bases, other territories, writers during a paged pull, bad cursors,
bad bodies, duplicate ids, device clocks ahead and time zones), and checks what comes back over the wire.
"""

import base64
import hashlib
import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import text

from server import clock, create_app
from server.extensions import db
from tests.conftest import PASSWORD, LiveServer, make_config
from tests.records import writing

pytestmark = pytest.mark.usefixtures("fixed_clock")


@pytest.fixture
def server(app, world):
    live = LiveServer(app)
    yield live
    live.stop()


class ContractClient:
    """One app install: a client id, an outbox numbered by seq, a copy of server records and a cursor."""

    def __init__(self, url, username, client_id=None):
        self.url = url
        self.http = requests.Session()
        answer = self.http.post(f"{url}/api/auth/login", json={"username": username, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        self.http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        self.client_id = str(client_id or uuid.uuid4())
        self.seq = 0
        self.store = {}  # (entity, id) -> {"version", "data"}
        self.cursor = None
        self.resets = []

    def mutation(self, entity, op, entity_id=None, data=None, base_version=None, **extra):
        self.seq += 1
        m = {
            "id": str(uuid.uuid4()),
            "seq": self.seq,
            "entity": entity,
            "entity_id": str(entity_id or uuid.uuid4()),
            "op": op,
            "data": data if data is not None else {},
            "schema": 1,
            "client_time": datetime.now(UTC).isoformat(),
        }
        if base_version is not None:
            m["base_version"] = base_version
        m.update(extra)
        return m

    def push(self, mutations, client_id=None, **kwargs):
        body = {"client_id": client_id or self.client_id, "mutations": mutations}
        return self.http.post(f"{self.url}/api/sync/push", json=body, **kwargs)

    def push_ok(self, mutations):
        answer = self.push(mutations)
        assert answer.status_code == 200, answer.text
        return answer.json()["results"]

    def pull(self, cursor=None, limit=None):
        params = {}
        if cursor is not None:
            params["cursor"] = cursor
        if limit is not None:
            params["limit"] = limit
        return self.http.get(f"{self.url}/api/sync/pull", params=params)

    def apply(self, page):
        if page["reset_required"]:
            self.resets.append(page.get("reason"))
            self.store.clear()
            self.cursor = None
            return
        for change in page["changes"]:
            key = (change["entity"], change["id"])
            if change["op"] == "delete":
                self.store.pop(key, None)
            elif key not in self.store or change["version"] >= self.store[key]["version"]:
                self.store[key] = {"version": change["version"], "data": change["data"]}
        self.cursor = page["cursor"]

    def sync_down(self, limit=None, between_pages=None):
        """Pull until has_more is false (a reset starts again without a cursor); return the pages."""
        pages = []
        for _ in range(500):
            answer = self.pull(self.cursor, limit)
            assert answer.status_code == 200, answer.text
            page = answer.json()
            pages.append(page)
            self.apply(page)
            if between_pages:
                between_pages(len(pages))
            if not page["has_more"] and not page["reset_required"]:
                return pages
        raise AssertionError("the pull never ended")

    def rest(self, method, path, **kwargs):
        return self.http.request(method, f"{self.url}/api{path}", **kwargs)


def assert_error(answer, status, code=None):
    """A refusal is the JSON envelope with a status among the contract's, a code and a message."""
    assert answer.status_code == status, (answer.status_code, answer.text)
    assert answer.headers["Content-Type"].startswith("application/json"), answer.headers["Content-Type"]
    error = answer.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code, error
    return error


def visit(world, rep="r1", **extra):
    return {"account_id": str(world.accounts[rep]), "purpose": "Check the copier", **extra}


def server_iso(**delta):
    return (clock.now() + timedelta(**delta)).isoformat()


def visits_of(server, username):
    """How many visits the REST API shows the user."""
    answer = ContractClient(server.url, username).rest("GET", "/visits?per_page=1")
    assert answer.status_code == 200, answer.text
    return answer.json()["total"]


# --- pull: snapshot, paging, change log ---------------------------------------------------------------


def test_a_paged_snapshot_names_each_record_once_and_matches_the_rest_api(server, world):
    phone = ContractClient(server.url, "r1")
    pages = phone.sync_down(limit=2)
    assert len(pages) > 2
    assert all(p["snapshot"] for p in pages[:-1])
    named = [(c["entity"], c["id"]) for p in pages for c in p["changes"] if p.get("snapshot")]
    assert len(named) == len(set(named)) == pages[0]["snapshot_total"]
    for entity, path in (("account", "accounts"), ("contact", "contacts"), ("visit", "visits")):
        items = phone.rest("GET", f"/{path}?per_page=500").json()["items"]
        assert {i["id"]: i["version"] for i in items} == {
            rid: rec["version"] for (e, rid), rec in phone.store.items() if e == entity
        }
    # Only r1's territory: r3's account (South) is never named.
    assert ("account", str(world.accounts["r3"])) not in phone.store
    assert ("account", str(world.accounts["r1"])) in phone.store


def test_every_answer_carries_the_server_clock(server, world):
    phone = ContractClient(server.url, "r1")
    page = phone.pull()
    assert page.headers["X-Server-Time"] and page.json()["server_time"]
    pushed = phone.push([phone.mutation("visit", "create", data=visit(world))])
    assert pushed.headers["X-Server-Time"] and pushed.json()["server_time"]
    for refused in (
        phone.pull(limit=5000),
        requests.get(f"{server.url}/api/sync/pull"),
        phone.http.post(f"{server.url}/api/sync/push", data="{", headers={"Content-Type": "application/json"}),
    ):
        assert refused.status_code >= 400 and refused.headers["X-Server-Time"], refused.status_code


@pytest.mark.parametrize("limit", ["0", "-1", "1001", "abc", "1.5", "99999999999999999999"])
def test_a_limit_outside_1_to_1000_is_422(server, world, limit):
    phone = ContractClient(server.url, "r1")
    error = assert_error(phone.pull(limit=limit), 422)
    assert "limit" in error["fields"]


def test_limit_1000_and_the_default_are_served(server, world):
    phone = ContractClient(server.url, "r1")
    assert phone.pull(limit=1000).status_code == 200
    assert phone.pull(limit=1).json()["has_more"] is True


def _tampered(cursor):
    """Cursors the server never handed out: garbage, cut, and (if it is base64 of JSON) a number moved ahead."""
    yield "garbage"
    yield "%%%"
    yield "x" * 5000
    yield cursor[: len(cursor) // 2]
    yield cursor + "AAAA"
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        raw = json.loads(base64.urlsafe_b64decode(padded))
    except ValueError:
        return
    slots = list(raw.items()) if isinstance(raw, dict) else list(enumerate(raw)) if isinstance(raw, list) else []
    for key, value in slots:
        if isinstance(value, bool) or not isinstance(value, int | str):
            continue
        moves = (
            (value + 1000, value - 1, -5, 2**70, "7") if isinstance(value, int) else ("", "not-a-uuid", value[::-1], 3)
        )
        for moved in moves:
            changed = dict(raw) if isinstance(raw, dict) else list(raw)
            changed[key] = moved
            yield base64.urlsafe_b64encode(json.dumps(changed).encode()).decode().rstrip("=")
    yield base64.urlsafe_b64encode(json.dumps({"raw": raw}).encode()).decode()
    yield base64.urlsafe_b64encode(b"\xff\xfe").decode()


def test_a_cursor_the_server_never_gave_resets_and_is_never_an_error(server, world):
    phone = ContractClient(server.url, "r1")
    phone.sync_down()
    good = phone.cursor
    for bad in _tampered(good):
        answer = phone.pull(bad)
        assert answer.status_code == 200, (bad, answer.status_code, answer.text)
        page = answer.json()
        if page["reset_required"]:
            assert page["reason"] and page["changes"] == []
        else:  # a tampering the server cannot tell from a real cursor must still be a real position
            assert bad != good and page["changes"] == [], (bad, page)
    assert phone.pull(good).json()["reset_required"] is False
    midway = phone.pull(limit=1).json()["cursor"]  # a position inside a snapshot
    for bad in _tampered(midway):
        answer = phone.pull(bad, limit=5)
        assert answer.status_code == 200, (bad, answer.status_code, answer.text)
        page = answer.json()
        assert page["reset_required"] is False or (page["reason"] and page["changes"] == []), (bad, page)
        assert page["reset_required"] or page["snapshot"], (bad, page)  # else still a snapshot's position


def test_a_cursor_of_another_epoch_resets_and_the_phone_keeps_its_outbox(app, server, world):
    phone = ContractClient(server.url, "r1")
    phone.sync_down()
    with writing(app):
        db.session.execute(text("UPDATE sync_state SET epoch = :e"), {"e": uuid.uuid4().hex})
        db.session.commit()
    page = phone.pull(phone.cursor).json()
    assert page["reset_required"] is True and page["changes"] == [] and page["reason"]
    phone.apply(page)
    assert phone.store == {} and phone.cursor is None
    phone.sync_down()
    assert ("account", str(world.accounts["r1"])) in phone.store


def test_a_pull_across_page_boundaries_while_others_commit_misses_nothing(app, server, world):
    """Two writers (the manager over REST, the rep's other phone by push) commit between and during the
    pages of a paged snapshot and of the change log after it; after pulling on, the copy is exactly what
    the REST API shows."""
    phone = ContractClient(server.url, "r1")  # its first pull, a snapshot paged one record at a time, meets them
    other = ContractClient(server.url, "r1")
    manager = ContractClient(server.url, "m1")
    stop = threading.Event()
    failures = []

    def manager_writes():
        i = 0
        while not stop.is_set() and i < 40:
            i += 1
            answer = manager.rest("PATCH", f"/contacts/{world.contacts['r1']}", json={"title": f"T{i}"})
            if answer.status_code != 200:
                failures.append(answer.text)

    def phone_writes():
        for _ in range(10):
            if stop.is_set():
                break
            answer = other.push([other.mutation("visit", "create", data=visit(world))])
            if answer.status_code not in (200, 503):
                failures.append(answer.text)
            elif answer.status_code == 503:
                other.seq -= 1

    writers = [threading.Thread(target=manager_writes), threading.Thread(target=phone_writes)]
    for t in writers:
        t.start()
    try:
        for _ in range(20):
            phone.sync_down(limit=1)
    finally:
        stop.set()
        for t in writers:
            t.join(30)
    assert failures == []
    phone.sync_down(limit=3)
    for entity, path in (("contact", "contacts"), ("visit", "visits")):
        items = phone.rest("GET", f"/{path}?per_page=500").json()["items"]
        assert {i["id"]: i["version"] for i in items} == {
            rid: rec["version"] for (e, rid), rec in phone.store.items() if e == entity
        }
    title = phone.store[("contact", str(world.contacts["r1"]))]["data"]["title"]
    assert title == manager.rest("GET", f"/contacts/{world.contacts['r1']}").json()["title"]


def test_a_deleted_record_arrives_as_a_tombstone_and_deleting_twice_is_once(server, world):
    phone = ContractClient(server.url, "r1")
    phone.sync_down()
    key = ("contact", str(world.contacts["r1"]))
    assert key in phone.store
    version = phone.store[key]["version"]
    first = phone.mutation("contact", "delete", world.contacts["r1"], base_version=version)
    again = phone.mutation("contact", "delete", world.contacts["r1"], base_version=version)
    never = phone.mutation("contact", "delete", uuid.uuid4(), base_version=1)
    foreign = phone.mutation("contact", "delete", world.contacts["r3"], base_version=1)
    results = phone.push_ok([first, again, never, foreign])
    assert [r["status"] for r in results] == ["applied", "applied", "rejected", "rejected"]
    assert results[2]["reason"] == results[3]["reason"] == "not_found"
    edit = phone.mutation("contact", "update", world.contacts["r1"], {"title": "CEO"}, base_version=version)
    assert phone.push_ok([edit])[0]["reason"] == "target_deleted"
    pages = phone.sync_down()
    tombstones = [c for p in pages for c in p["changes"] if c["id"] == key[1]]
    assert tombstones and tombstones[-1]["op"] == "delete" and tombstones[-1]["data"] is None
    assert key not in phone.store


def test_a_reassigned_account_leaves_the_reps_copy_and_their_own_visit_stays(server, world):
    phone = ContractClient(server.url, "r1")
    phone.sync_down()
    manager = ContractClient(server.url, "m1")
    moved = manager.rest("PATCH", f"/accounts/{world.accounts['r1']}", json={"owner_id": str(world.users["r2"])})
    assert moved.status_code == 200, moved.text
    phone.sync_down()
    for entity, rid in (("account", world.accounts["r1"]), ("contact", world.contacts["r1"])):
        assert (entity, str(rid)) not in phone.store
    assert ("visit", str(world.visits["r1"])) in phone.store
    edit = phone.mutation("contact", "update", world.contacts["r1"], {"title": "CEO"}, base_version=1)
    assert phone.push_ok([edit])[0]["reason"] == "out_of_scope"
    late = phone.mutation("visit", "create", data=visit(world, check_in_at=server_iso(minutes=1)))
    result = phone.push_ok([late])[0]
    assert (result["status"], result["reason"]) == ("rejected", "reassigned")
    offline = phone.mutation("visit", "create", data=visit(world, check_in_at=server_iso(hours=-2)))
    assert phone.push_ok([offline])[0]["status"] == "applied"  # it happened while the account was theirs
    phone.sync_down()
    assert phone.store[("visit", offline["entity_id"])]["data"]["rep_id"] == str(world.users["r1"])
    new_owner = ContractClient(server.url, "r2")
    new_owner.sync_down()
    assert ("visit", offline["entity_id"]) in new_owner.store


# --- push: exactly once -------------------------------------------------------------------------------


def test_a_push_retried_after_a_lost_answer_applies_once(app, server, world):
    phone = ContractClient(server.url, "r1")
    batch = [phone.mutation("visit", "create", data=visit(world)) for _ in range(3)]
    phone.push_ok(batch)  # the answer is "lost": the phone never reads it
    results = phone.push_ok(batch)
    assert [(r["status"], r["first_status"]) for r in results] == [("duplicate", "applied")] * 3
    assert [r["id"] for r in results] == [m["id"] for m in batch]
    assert visits_of(server, "r1") == 1 + 3


def test_a_push_replayed_after_the_server_restarted_applies_once(app, server, world, database_url):
    phone = ContractClient(server.url, "r1")
    batch = [phone.mutation("visit", "create", data=visit(world)) for _ in range(2)]
    first = phone.push_ok(batch)
    server.stop()
    restarted_app = create_app(make_config(database_url, PHOTO_STORE=app.config["PHOTO_STORE"]))
    restarted = LiveServer(restarted_app)
    try:
        phone.url = restarted.url
        again = phone.push_ok(batch)
        assert [r["status"] for r in again] == ["duplicate", "duplicate"]
        assert [r["version"] for r in again] == [r["version"] for r in first]
        following = phone.push_ok([phone.mutation("visit", "create", data=visit(world))])
        assert following[0]["status"] == "applied"
    finally:
        restarted.stop()
        with restarted_app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_two_devices_of_one_rep_pushing_the_same_record_make_one(server, world):
    one, two = ContractClient(server.url, "r1"), ContractClient(server.url, "r1")
    record = str(uuid.uuid4())
    a = one.push_ok([one.mutation("visit", "create", record, visit(world, notes="from one"))])[0]
    b = two.push_ok([two.mutation("visit", "create", record, visit(world, notes="from two"))])[0]
    assert a["status"] == b["status"] == "applied" and b["version"] > a["version"]
    one.sync_down()
    assert one.store[("visit", record)]["data"]["notes"] == "from two"
    assert len([k for k in one.store if k == ("visit", record)]) == 1


def test_duplicate_mutation_ids_inside_one_push_apply_once(app, server, world):
    phone = ContractClient(server.url, "r1")
    first = phone.mutation("visit", "create", data=visit(world))
    second = {**first, "seq": first["seq"] + 1}
    phone.seq += 1
    results = phone.push_ok([first, second])
    assert [r["status"] for r in results] == ["applied", "duplicate"]
    assert results[1]["first_status"] == "applied"
    assert phone.push_ok([]) == []  # an empty push is answered, nothing taken
    retried = phone.push_ok([first, second])
    assert [r["status"] for r in retried] == ["duplicate", "duplicate"]
    record = str(uuid.uuid4())  # two creates of one record (different mutations) in one push: one record
    a = phone.mutation("visit", "create", record, visit(world, notes="a"))
    b = phone.mutation("visit", "create", record, visit(world, notes="b"))
    assert [r["status"] for r in phone.push_ok([a, b])] == ["applied", "applied"]
    phone.sync_down()
    assert phone.store[("visit", record)]["data"]["notes"] == "b" and visits_of(server, "r1") == 3


def test_seq_gaps_and_reused_seqs_are_409_with_what_was_kept(server, world):
    phone = ContractClient(server.url, "r1")
    one = phone.mutation("visit", "create", data=visit(world))
    phone.seq += 1  # seq 2 never sent
    three = phone.mutation("visit", "create", data=visit(world))
    error = assert_error(phone.push([one, three]), 409, "seq_gap")
    assert error["expected_seq"] == 2 and error["last_seq"] == 1
    assert [r["status"] for r in error["results"]] == ["applied"]
    again = assert_error(phone.push([one, three]), 409, "seq_gap")
    assert again["last_seq"] == 1 and [r["status"] for r in again["results"]] == ["duplicate"]
    forged = {**one, "data": visit(world, purpose="something else")}
    assert_error(phone.push([forged]), 409, "seq_reused")


def test_a_client_id_bound_to_another_user_is_403(server, world):
    mine = ContractClient(server.url, "r1")
    mine.push_ok([mine.mutation("visit", "create", data=visit(world))])
    other = ContractClient(server.url, "r2", client_id=mine.client_id)
    other.seq = 1
    error = assert_error(other.push([other.mutation("visit", "create", data=visit(world, "r2"))]), 403)
    assert "client_id" in error["fields"]


def test_no_token_is_401_in_the_envelope(server, world):
    assert_error(requests.get(f"{server.url}/api/sync/pull"), 401)
    assert_error(requests.post(f"{server.url}/api/sync/push", json={"client_id": str(uuid.uuid4())}), 401)


# --- conflicts and territory ---------------------------------------------------------------------------


def test_a_stale_base_version_keeps_the_servers_field_and_says_conflict(server, world):
    phone = ContractClient(server.url, "r1")
    phone.sync_down()
    key = ("account", str(world.accounts["r1"]))
    base = phone.store[key]["version"]
    manager = ContractClient(server.url, "m1")
    assert manager.rest("PATCH", f"/accounts/{key[1]}", json={"notes": "office"}).status_code == 200
    stale = phone.mutation("account", "update", key[1], {"notes": "field", "region": "Jing'an"}, base_version=base)
    missing = phone.mutation("account", "update", key[1], {"notes": "again"})
    ahead = phone.mutation("account", "update", key[1], {"notes": "again"}, base_version=base + 50)
    owner = phone.mutation("account", "update", key[1], {"owner_id": str(world.users["r2"])}, base_version=base + 1)
    results = phone.push_ok([stale, missing, ahead, owner])
    assert results[0]["status"] == "conflict"
    assert results[0]["conflicts"] == {"notes": {"client": "field", "server": "office"}}
    assert results[0]["server"]["notes"] == "office" and results[0]["server"]["region"] == "Jing'an"
    assert [(r["status"], r.get("reason")) for r in results[1:]] == [
        ("rejected", "base_version_required"),
        ("rejected", "base_version_invalid"),
        ("rejected", results[3].get("reason")),
    ]
    assert results[3]["fields"] and "owner_id" in results[3]["fields"]
    now = results[0]["server"]["version"]
    assert manager.rest("PATCH", f"/accounts/{key[1]}", json={"region": "Pudong"}).status_code == 200
    same = phone.mutation("account", "update", key[1], {"region": "Pudong"}, base_version=now)
    assert phone.push_ok([same])[0]["status"] == "applied"  # both sides wrote the same value: no conflict


def test_records_of_another_territory_are_never_touched_nor_shown(app, server, world):
    phone = ContractClient(server.url, "r1")
    foreign = str(world.accounts["r3"])
    edit = phone.mutation("account", "update", foreign, {"notes": "mine now"}, base_version=1)
    visit_there = phone.mutation("visit", "create", data=visit(world, "r3"))
    contact_there = phone.mutation("contact", "create", data={"account_id": foreign, "name": "Spy"})
    their_visit = phone.mutation("visit", "update", world.visits["r3"], {"notes": "overwritten"})
    results = phone.push_ok([edit, visit_there, contact_there, their_visit])
    assert [r["status"] for r in results] == ["rejected"] * 4
    assert [r["reason"] for r in results] == ["not_found"] * 4  # the same answer as for a record that never was
    for r in results:
        assert "server" not in r, r  # nothing of the other territory comes back
    for r in (results[1], results[2]):  # the phone words the refused account in the rep's language
        assert r["field_codes"]["account_id"] == [{"code": "not_your_account", "params": {}}], r
    r3 = ContractClient(server.url, "r3")
    r3.sync_down()
    assert r3.store[("account", foreign)]["data"]["notes"] != "mine now"
    assert r3.store[("visit", str(world.visits["r3"]))]["data"]["notes"] != "overwritten"
    admin = ContractClient(server.url, "admin")
    assert [c for c in admin.rest("GET", "/contacts?per_page=500").json()["items"] if c["name"] == "Spy"] == []


# --- bodies --------------------------------------------------------------------------------------------


def test_bodies_too_big_malformed_or_of_another_type_are_refused_whole(app, server, world):
    phone = ContractClient(server.url, "r1")
    url = f"{server.url}/api/sync/push"
    huge = json.dumps({"client_id": phone.client_id, "mutations": [], "pad": "x" * (2 * 1024 * 1024 + 10)})
    assert_error(phone.http.post(url, data=huge, headers={"Content-Type": "application/json"}), 413)
    assert_error(phone.http.post(url, data="{not json", headers={"Content-Type": "application/json"}), 400)
    assert_error(phone.http.post(url, data="[]", headers={"Content-Type": "application/json"}), 422)
    assert_error(phone.http.post(url, data="{}", headers={"Content-Type": "text/plain"}), 415)
    m = phone.mutation("visit", "create", data=visit(world))
    twice = json.dumps({"client_id": phone.client_id, "mutations": [m]})[:-1] + ', "client_id": "x"}'
    assert_error(phone.http.post(url, data=twice, headers={"Content-Type": "application/json"}), 400, "duplicate_key")
    nested = json.dumps({"client_id": phone.client_id, "mutations": [m]}).replace('"seq": 1', '"seq": 1, "seq": 1')
    assert_error(phone.http.post(url, data=nested, headers={"Content-Type": "application/json"}), 400, "duplicate_key")
    for raw in (
        "[" * 100000 + "]" * 100000,  # nested deeper than any parser's stack
        f'{{"client_id": "{phone.client_id}", "mutations": [], "x": NaN}}',
        b'{"client_id": "\xff\xfe"}',
        "",
        "null",
        f'{{"client_id": "{phone.client_id}", "mutations": [{{"seq": 1e400}}]}}',
    ):
        answer = phone.http.post(url, data=raw, headers={"Content-Type": "application/json"})
        assert answer.status_code in (400, 422), (raw[:40], answer.status_code, answer.text[:300])
        assert_error(answer, answer.status_code)
    phone.seq = 0
    near_limit = [phone.mutation("visit", "create", data=visit(world, pad="x" * 3700)) for _ in range(500)]
    body = json.dumps({"client_id": phone.client_id, "mutations": near_limit})
    assert 1.9 * 1024 * 1024 < len(body) < 2 * 1024 * 1024
    answer = phone.http.post(url, data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text[:300]  # under 2 MB is read: each mutation judged on its own
    assert {r["reason"] for r in answer.json()["results"]} == {"validation_failed"}
    too_many = [phone.mutation("visit", "create", data=visit(world)) for _ in range(501)]
    assert_error(phone.push(too_many), 422)
    assert visits_of(server, "r1") == 1
    phone.seq = 500
    assert phone.push_ok([phone.mutation("visit", "create", data=visit(world))])[0]["status"] == "applied"


@pytest.mark.parametrize(
    "change",
    [
        {"client_id": "not-a-uuid"},
        {"client_id": 7},
        {"client_id": None},
        {"mutations": "all"},
        {"mutations": None},
        {"mutations": [7]},
        {"m:seq": "one"},
        {"m:seq": 1.5},
        {"m:seq": True},
        {"m:seq": 0},
        {"m:id": "x"},
        {"m:id": None},
        {"m:entity": "spaceship"},
        {"m:entity": 3},
        {"m:op": "explode"},
        {"m:entity_id": "nope"},
        {"m:data": "text"},
        {"m:data": [1]},
        {"m:base_version": "3"},
        {"m:schema": "one"},
        {"m:-id": None},
        {"m:-seq": None},
        {"m:-entity": None},
        {"m:-entity_id": None},
        {"m:-op": None},
        {"-client_id": None},
        {"-mutations": None},
        {"m:seq": 2**64},
        {"m:seq": -1},
        {"m:base_version": 2**70},
        {"m:schema": 2**70},
        {"m:client_time": "yesterday"},
        {"m:client_time": 5},
        {"m:priority": 1},
        {"extra": 1},
    ],
    ids=lambda c: ",".join(f"{k}={v!r}" for k, v in c.items()),
)
def test_wrong_types_and_missing_fields_are_a_clear_error_and_take_nothing(app, server, world, change):
    phone = ContractClient(server.url, "r1")
    body = {"client_id": phone.client_id, "mutations": [phone.mutation("visit", "create", data=visit(world))]}
    for key, value in change.items():
        target = body["mutations"][0] if key.startswith("m:") and isinstance(body["mutations"], list) else body
        name = key.removeprefix("m:")
        if name.startswith("-"):
            target.pop(name[1:])
        else:
            target[name] = value
    answer = phone.http.post(f"{server.url}/api/sync/push", json=body)
    assert answer.status_code in (400, 422), (answer.status_code, answer.text)
    error = assert_error(answer, answer.status_code)
    assert error["code"] and error.get("fields"), error
    assert visits_of(server, "r1") == 1


def test_unknown_fields_in_a_mutations_data_are_refused_not_dropped(server, world):
    """A field the server does not know (a typo, a newer app's) would be lost silently if ignored: the
    mutation is rejected on that field and the queue goes on."""
    phone = ContractClient(server.url, "r1")
    odd = phone.mutation("visit", "create", data=visit(world, colour="blue"))
    fine = phone.mutation("visit", "create", data=visit(world))
    results = phone.push_ok([odd, fine])
    assert (results[0]["status"], results[0]["reason"]) == ("rejected", "validation_failed"), results[0]
    assert results[0]["field_codes"]["colour"][0]["code"] == "unknown_field"
    assert results[1]["status"] == "applied"


# --- time ----------------------------------------------------------------------------------------------


def test_a_device_clock_far_ahead_is_clock_skew_and_old_instants_are_data(server, world):
    phone = ContractClient(server.url, "r1")
    ahead = phone.mutation("visit", "create", data=visit(world, check_in_at=server_iso(hours=25)))
    near = phone.mutation("visit", "create", data=visit(world, check_in_at=server_iso(hours=23)))
    old = phone.mutation("visit", "create", data=visit(world, check_in_at=server_iso(days=-400)))
    skewed_client_time = phone.mutation("visit", "create", data=visit(world), client_time="2099-01-01T00:00:00Z")
    results = phone.push_ok([ahead, near, old, skewed_client_time])
    assert (results[0]["status"], results[0]["reason"]) == ("rejected", "clock_skew")
    assert "check_in_at" in results[0]["fields"]
    assert [r["status"] for r in results[1:]] == ["applied"] * 3


def test_instants_in_any_zone_are_the_same_instant_and_a_zoneless_one_is_refused(server, world):
    phone = ContractClient(server.url, "r1")
    at = (clock.now() - timedelta(hours=3)).astimezone(UTC).replace(microsecond=0)
    shanghai = at.astimezone(timezone(timedelta(hours=8)))
    western = at.astimezone(timezone(timedelta(hours=-5)))
    forms = [at.isoformat(), at.isoformat().replace("+00:00", "Z"), shanghai.isoformat(), western.isoformat()]
    mutations = [phone.mutation("visit", "create", data=visit(world, check_in_at=f)) for f in forms]
    zoneless = phone.mutation("visit", "create", data=visit(world, check_in_at=at.replace(tzinfo=None).isoformat()))
    results = phone.push_ok([*mutations, zoneless])
    assert [r["status"] for r in results[:4]] == ["applied"] * 4, results
    phone.sync_down()
    for m in mutations:
        stored = phone.store[("visit", m["entity_id"])]["data"]["check_in_at"]
        assert datetime.fromisoformat(stored) == at, (m["data"]["check_in_at"], stored)
    assert (results[4]["status"], results[4]["reason"]) == ("rejected", "validation_failed"), results[4]
    assert results[4]["field_codes"]["check_in_at"][0]["code"] == "naive_datetime"


def test_a_next_step_day_is_read_in_the_teams_zone_not_the_instants(server, world):
    """A visit checked in at 17:30 UTC on the 17th is on the 18th in Shanghai: its next step may be due on the 18th,
    not on the 17th."""
    phone = ContractClient(server.url, "r1")
    at = "2026-11-17T17:30:00Z"
    same_day = phone.mutation("visit", "create", data=visit(world, check_in_at=at, next_step_due="2026-11-18"))
    before = phone.mutation("visit", "create", data=visit(world, check_in_at=at, next_step_due="2026-11-17"))
    with_time = phone.mutation(
        "visit", "create", data=visit(world, check_in_at=at, next_step_due="2026-11-19T09:00:00+08:00")
    )
    results = phone.push_ok([same_day, before, with_time])
    assert results[0]["status"] == "applied", results[0]
    assert results[1]["status"] == "rejected" and results[1]["field_codes"]["next_step_due"][0]["code"] == (
        "not_before_visit_day"
    )
    assert results[2]["status"] == "rejected" and "next_step_due" in results[2]["fields"], results[2]


def test_a_mutation_in_a_schema_the_server_cannot_read_is_426_and_stops_there(server, world):
    phone = ContractClient(server.url, "r1")
    first = phone.mutation("visit", "create", data=visit(world))
    newer = phone.mutation("visit", "create", data=visit(world), schema=99)
    after = phone.mutation("visit", "create", data=visit(world))
    error = assert_error(phone.push([first, newer, after]), 426, "upgrade_required")
    assert error["last_seq"] == 1 and [r["status"] for r in error["results"]] == ["applied"]
    assert visits_of(server, "r1") == 2


def test_a_page_pulled_again_is_the_same_and_names_a_record_once(server, world):
    phone = ContractClient(server.url, "r1")
    phone.sync_down()
    manager = ContractClient(server.url, "m1")
    for title in ("A", "B", "C"):
        assert manager.rest("PATCH", f"/contacts/{world.contacts['r1']}", json={"title": title}).status_code == 200
    first, again = phone.pull(phone.cursor).json(), phone.pull(phone.cursor).json()
    assert first["changes"] == again["changes"] and first["cursor"] == again["cursor"]
    named = [c["id"] for c in first["changes"]]
    assert named.count(str(world.contacts["r1"])) == 1
    assert next(c for c in first["changes"] if c["id"] == str(world.contacts["r1"]))["data"]["title"] == "C"
    assert "snapshot" not in first or first["snapshot"] is False


def test_conflicts_said_decided_are_counted_once_and_only_the_callers(server, world):
    phone = ContractClient(server.url, "r1")
    phone.sync_down()
    key = str(world.accounts["r1"])
    base = phone.store[("account", key)]["version"]
    ContractClient(server.url, "m1").rest("PATCH", f"/accounts/{key}", json={"notes": "office"})
    edit = phone.mutation("account", "update", key, {"notes": "field"}, base_version=base)
    assert phone.push_ok([edit])[0]["status"] == "conflict"
    url = f"{server.url}/api/sync/conflicts/resolved"
    body = {"client_id": phone.client_id, "ids": [edit["id"], str(uuid.uuid4())]}
    assert phone.http.post(url, json=body).json() == {"resolved": 1}
    assert phone.http.post(url, json=body).json() == {"resolved": 0}
    other = ContractClient(server.url, "r2")
    assert_error(other.http.post(url, json=body), 404)
    assert_error(phone.http.post(url, json={"client_id": phone.client_id, "ids": []}), 422)
    assert_error(phone.http.post(url, json={"client_id": phone.client_id, "ids": ["x"]}), 422)


def test_a_manager_may_only_say_they_went_along_on_a_reps_visit(server, world):
    manager = ContractClient(server.url, "m1")
    rep_visit = str(world.visits["r1"])
    joined = manager.mutation("visit", "update", rep_visit, {"accompanied_by": str(world.users["m1"])})
    notes = manager.mutation("visit", "update", rep_visit, {"notes": "the manager's words"})
    create = manager.mutation("visit", "create", data=visit(world))
    other_team = manager.mutation("visit", "update", world.visits["r3"], {"accompanied_by": str(world.users["m1"])})
    results = manager.push_ok([joined, notes, create, other_team])
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected", "rejected"]
    assert results[1]["reason"] == results[2]["reason"] == "forbidden"
    assert results[3]["reason"] == "not_found"


def test_two_devices_creating_the_same_records_at_the_same_moment_make_each_once(server, world):
    one, two = ContractClient(server.url, "r1"), ContractClient(server.url, "r1")
    records = [str(uuid.uuid4()) for _ in range(30)]
    answers = {}

    def send(phone):
        batch = [phone.mutation("visit", "create", r, visit(world, notes=phone.client_id)) for r in records]
        for _ in range(20):
            answer = phone.push(batch)
            if answer.status_code != 503:
                break
            time.sleep(float(answer.headers["Retry-After"]))  # as the contract asks: busy, try again after it
        answers[phone.client_id] = answer

    threads = [threading.Thread(target=send, args=(p,)) for p in (one, two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for answer in answers.values():
        assert answer.status_code == 200, answer.text
        assert {r["status"] for r in answer.json()["results"]} == {"applied"}
    one.sync_down()
    assert all(("visit", r) in one.store for r in records)
    assert visits_of(server, "r1") == 1 + len(records)


def test_a_user_moved_to_another_team_resets_the_managers_phones_to_their_new_scope(server, world):
    north, south = ContractClient(server.url, "m1"), ContractClient(server.url, "m2")
    north.sync_down()
    south.sync_down()
    assert ("account", str(world.accounts["r2"])) in north.store
    admin = ContractClient(server.url, "admin")
    south_team = admin.rest("GET", f"/users/{world.users['m2']}").json()["team_id"]
    moved = admin.rest("PATCH", f"/users/{world.users['r2']}", json={"team_id": south_team})
    assert moved.status_code == 200, moved.text
    for phone in (north, south):
        phone.sync_down()
        assert phone.resets, "the cursor from before the scope changed must reset"
        accounts = phone.rest("GET", "/accounts?per_page=500").json()["items"]
        assert {a["id"] for a in accounts} == {rid for (e, rid) in phone.store if e == "account"}


def test_a_temporary_password_keeps_sync_closed_until_it_is_changed(server, world):
    admin = ContractClient(server.url, "admin")
    team = admin.rest("GET", f"/users/{world.users['m1']}").json()["team_id"]
    made = admin.rest("POST", "/users", json={"username": "r9", "role": "rep", "password": PASSWORD, "team_id": team})
    assert made.status_code == 201, made.text
    phone = ContractClient(server.url, "r9")
    assert_error(phone.pull(), 403, "password_change_required")
    assert_error(phone.push([phone.mutation("visit", "create", data=visit(world))]), 403, "password_change_required")


def _png(colour):
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, "PNG")
    return out.getvalue()


def test_a_photos_bytes_are_stored_once_and_never_change_under_its_id(server, world):
    phone = ContractClient(server.url, "r1")
    body, other = _png("red"), _png("blue")
    digest = hashlib.sha256(body).hexdigest()
    visit_id = str(uuid.uuid4())
    photo_id = str(uuid.uuid4())
    taken = server_iso(minutes=-5)
    results = phone.push_ok(
        [
            phone.mutation("visit", "create", visit_id, visit(world, check_in_at=taken)),
            phone.mutation(
                "photo",
                "create",
                photo_id,
                {"visit_id": visit_id, "taken_at": taken, "size": len(body), "sha256": digest},
            ),
        ]
    )
    assert [r["status"] for r in results] == ["applied", "applied"], results

    def put(data, sha=digest, pid=photo_id, client=phone):
        return client.http.put(
            f"{server.url}/api/photos/{pid}/content",
            data=data,
            headers={"X-Content-SHA256": sha, "Content-Type": "image/png"},
        )

    assert put(body[:-3]).status_code == 422  # cut on the way: does not match its header
    assert_error(put(body[:-3]), 422, "digest_mismatch")
    assert put(body).status_code == 201
    assert put(body).status_code == 200
    assert_error(put(other, hashlib.sha256(other).hexdigest()), 409, "content_mismatch")
    assert_error(put(b"not an image at all", hashlib.sha256(b"not an image at all").hexdigest()), 415)
    stranger = ContractClient(server.url, "r3")
    assert_error(put(body, client=stranger), 404)
    assert_error(put(body, pid=str(uuid.uuid4())), 404)
    phone.sync_down()
    record = phone.store[("photo", photo_id)]["data"]
    assert record["uploaded_at"] and record["sha256"] == digest
    got = phone.http.get(f"{server.url}/api/photos/{photo_id}/content")
    assert got.content == body and got.headers["ETag"].strip('"') == digest


def test_a_deleted_account_takes_what_hangs_off_it_out_of_every_copy(server, world):
    phone = ContractClient(server.url, "r1")
    phone.sync_down()
    manager = ContractClient(server.url, "m1")
    gone = manager.rest("DELETE", f"/accounts/{world.accounts['r1']}")
    assert gone.status_code in (200, 204), gone.text
    pages = phone.sync_down()
    deletes = {(c["entity"], c["id"]) for p in pages for c in p["changes"] if c["op"] == "delete"}
    for entity, ids in (("account", world.accounts), ("contact", world.contacts), ("device", world.devices)):
        assert (entity, str(ids["r1"])) in deletes
    for entity, path in (
        ("account", "accounts"),
        ("contact", "contacts"),
        ("visit", "visits"),
        ("activity", "activities"),
    ):
        items = phone.rest("GET", f"/{path}?per_page=500").json()["items"]
        assert {i["id"] for i in items} == {rid for (e, rid) in phone.store if e == entity}, entity


def test_a_snapshots_first_records_come_again_in_its_pages(server, world):
    phone = ContractClient(server.url, "r1")
    open_visit = phone.mutation("visit", "create", data=visit(world, check_in_at=server_iso(minutes=-10)))
    assert phone.push_ok([open_visit])[0]["status"] == "applied"
    fresh = ContractClient(server.url, "r1")
    pages = fresh.sync_down(limit=3)
    first = {(c["entity"], c["id"]) for c in pages[0]["first"]}
    assert ("visit", open_visit["entity_id"]) in first and ("account", str(world.accounts["r1"])) in first
    assert all(c["op"] == "upsert" for c in pages[0]["first"])
    paged = {(c["entity"], c["id"]) for p in pages for c in p["changes"]}
    assert first <= paged
    assert "first" not in pages[1]


def test_every_happened_at_instant_far_ahead_is_clock_skew(server, world):
    phone = ContractClient(server.url, "r1")
    ahead, now = server_iso(hours=30), server_iso(minutes=-30)
    account = str(world.accounts["r1"])
    visit_id = str(uuid.uuid4())
    assert phone.push_ok([phone.mutation("visit", "create", visit_id, visit(world, check_in_at=now))])[0]["status"] == (
        "applied"
    )
    cases = {
        "check_out_at": phone.mutation("visit", "update", visit_id, {"check_out_at": ahead}),
        "started_at": phone.mutation("activity", "create", data={"category": "travel", "started_at": ahead}),
        "ended_at": phone.mutation(
            "activity", "create", data={"category": "travel", "started_at": now, "ended_at": ahead}
        ),
        "opened_at": phone.mutation(
            "opportunity", "create", data={"account_id": account, "title": "Deal", "stage": "P", "opened_at": ahead}
        ),
        "taken_at": phone.mutation(
            "photo", "create", data={"visit_id": visit_id, "taken_at": ahead, "size": 10, "sha256": "0" * 64}
        ),
    }
    results = phone.push_ok(list(cases.values()))
    for (field, _), result in zip(cases.items(), results, strict=True):
        assert (result["status"], result["reason"]) == ("rejected", "clock_skew"), (field, result)
        assert field in result["fields"], (field, result)


def test_two_phones_editing_one_account_at_the_same_moment_get_applied_and_conflict_never_rejected(server, world):
    one, two = ContractClient(server.url, "r1"), ContractClient(server.url, "r1")
    one.sync_down()
    key = str(world.accounts["r1"])
    base = one.store[("account", key)]["version"]
    answers = {}

    def send(phone, words):
        batch = [phone.mutation("account", "update", key, {"notes": words}, base_version=base)]
        for _ in range(20):
            answer = phone.push(batch)
            if answer.status_code != 503:
                break
            time.sleep(float(answer.headers["Retry-After"]))
        answers[words] = answer

    threads = [threading.Thread(target=send, args=(p, w)) for p, w in ((one, "first phone"), (two, "second phone"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = sorted(a.json()["results"][0]["status"] for a in answers.values())
    assert statuses == ["applied", "conflict"], {w: a.text for w, a in answers.items()}
    winner = next(w for w, a in answers.items() if a.json()["results"][0]["status"] == "applied")
    loser = next(a.json()["results"][0] for a in answers.values() if a.json()["results"][0]["status"] == "conflict")
    assert loser["server"]["notes"] == winner and loser["conflicts"]["notes"]["server"] == winner
    one.sync_down()
    assert one.store[("account", key)]["data"]["notes"] == winner
