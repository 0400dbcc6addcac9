"""What the resources do beyond CRUD: filters, pagination, cadence and funnel bookkeeping."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from server import clock
from server.extensions import db
from server.models import Account, RoutePlan, RouteStop, StageChange
from tests.conftest import new_id
from tests.records import writing


def make_accounts(client, world, rep, specs):
    ids = []
    for spec in specs:
        response = client.post("/api/accounts", json=spec, headers=world.headers(rep))
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])
    return ids


@pytest.mark.calendar
def test_account_search_and_filters(client, world):
    make_accounts(
        client,
        world,
        "r1",
        [
            {
                "name": "上海华东物流有限公司",
                "address": "上海市徐汇区天山路1号",
                "account_class": "B",
                "region": "Xuhui",
            },
            {"name": "Pudong Printing Works", "address": "Century Avenue 8", "account_class": "C", "region": "Pudong"},
        ],
    )
    h = world.headers("r1")
    by_name = client.get("/api/accounts?q=华东", headers=h).get_json()
    assert [a["name"] for a in by_name["items"]] == ["上海华东物流有限公司"]
    by_address = client.get("/api/accounts?q=century", headers=h).get_json()
    assert [a["name"] for a in by_address["items"]] == ["Pudong Printing Works"]
    by_class = client.get("/api/accounts?class=C", headers=h).get_json()
    assert [a["name"] for a in by_class["items"]] == ["Pudong Printing Works"]
    by_region = client.get("/api/accounts?region=Xuhui", headers=h).get_json()
    assert {a["region"] for a in by_region["items"]} == {"Xuhui"} and by_region["total"] == 2


@pytest.mark.calendar
def test_pagination_is_stable_and_complete(client, world):
    make_accounts(client, world, "r1", [{"name": f"Acct {i:02d}"} for i in range(23)])
    h = world.headers("r1")
    seen = []
    for page in (1, 2, 3):
        body = client.get(f"/api/accounts?per_page=10&page={page}", headers=h).get_json()
        assert body["total"] == 24 and body["page"] == page and body["per_page"] == 10
        seen += [a["id"] for a in body["items"]]
    assert len(seen) == len(set(seen)) == 24
    assert client.get("/api/accounts?per_page=10&page=4", headers=h).get_json()["items"] == []


@pytest.mark.calendar
def test_visit_check_in_sets_last_contact_and_clears_overdue(client, world):
    h = world.headers("r1")
    today = clock.now()
    clock.set_now(today - timedelta(days=8))  # created 8 days ago, never visited: past an A's 7 days
    account_id = make_accounts(client, world, "r1", [{"name": "Due A", "account_class": "A"}])[0]
    clock.set_now(today)
    account = client.get(f"/api/accounts/{account_id}", headers=h).get_json()
    assert account["overdue"] is True and account["last_contact_at"] is None and account["cadence_days"] == 7
    overdue_ids = {
        a["id"] for a in client.get("/api/accounts?overdue=true&per_page=500", headers=h).get_json()["items"]
    }
    assert account_id in overdue_ids
    now = clock.now().replace(microsecond=0)
    visit = client.post(
        "/api/visits",
        json={
            "id": new_id(),
            "account_id": account_id,
            "purpose": "Intro",
            "check_in_at": now.isoformat(),
            "check_in_lat": 31.2,
            "check_in_lng": 121.4,
            "check_in_accuracy_m": 12.5,
        },
        headers=h,
    )
    assert visit.status_code == 201
    assert visit.get_json()["rep_id"] == str(world.users["r1"])
    account = client.get(f"/api/accounts/{account_id}", headers=h).get_json()
    assert account["overdue"] is False and account["days_since_contact"] == 0
    assert datetime.fromisoformat(account["last_contact_at"]) == now
    not_overdue = {
        a["id"] for a in client.get("/api/accounts?overdue=false&per_page=500", headers=h).get_json()["items"]
    }
    assert account_id in not_overdue
    # Deleting the visit puts the account back to never contacted.
    assert client.delete(f"/api/visits/{visit.get_json()['id']}", headers=h).status_code == 204
    assert client.get(f"/api/accounts/{account_id}", headers=h).get_json()["last_contact_at"] is None


@pytest.mark.calendar
def test_a_new_prospect_is_not_overdue_until_its_cadence_has_passed_since_creation(client, world):
    h = world.headers("r1")
    today = clock.now()
    clock.set_now(today - timedelta(days=2))
    two_days = make_accounts(client, world, "r1", [{"name": "New A 2d", "account_class": "A"}])[0]
    clock.set_now(today - timedelta(days=8))
    eight_days = make_accounts(client, world, "r1", [{"name": "New A 8d", "account_class": "A"}])[0]
    clock.set_now(today)
    just_now = make_accounts(client, world, "r1", [{"name": "New A now", "account_class": "A"}])[0]
    flags = {a["id"]: a for a in client.get("/api/accounts?per_page=500", headers=h).get_json()["items"]}
    assert flags[just_now]["overdue"] is False and flags[just_now]["last_contact_at"] is None
    assert flags[just_now]["created_at"] is not None
    assert flags[two_days]["overdue"] is False and flags[eight_days]["overdue"] is True
    listed = {
        flag: {a["id"] for a in client.get(f"/api/accounts?overdue={flag}&per_page=500", headers=h).get_json()["items"]}
        for flag in ("true", "false")
    }
    assert eight_days in listed["true"] and not {two_days, just_now} & listed["true"]
    assert {two_days, just_now} <= listed["false"] and eight_days not in listed["false"]


@pytest.mark.calendar
def test_cadence_follows_the_class(app, client, world):
    h = world.headers("r1")
    ids = make_accounts(
        client,
        world,
        "r1",
        [
            {"name": "A10", "account_class": "A"},
            {"name": "B10", "account_class": "B"},
            {"name": "C20", "account_class": "C"},
            {"name": "C40", "account_class": "C"},
        ],
    )
    now = clock.now()
    with writing(app):
        for account_id, days in zip(ids, (10, 10, 20, 40)):
            db.session.get(Account, uuid.UUID(account_id)).last_contact_at = now - timedelta(days=days)
        db.session.commit()
    overdue = {a["name"] for a in client.get("/api/accounts?overdue=true&per_page=500", headers=h).get_json()["items"]}
    assert {"A10", "C40"} <= overdue and not {"B10", "C20"} & overdue
    flags = {a["name"]: a["overdue"] for a in client.get("/api/accounts?per_page=500", headers=h).get_json()["items"]}
    assert flags["A10"] and flags["C40"] and not flags["B10"] and not flags["C20"]


@pytest.mark.calendar
def test_visit_times_round_trip_in_utc(client, world):
    h = world.headers("r1")
    response = client.post(
        "/api/visits",
        json={
            "account_id": str(world.accounts["r1"]),
            "purpose": "Demo",
            "check_in_at": "2026-11-03T08:45:00+08:00",
            "check_out_at": "2026-11-03T09:30:00+08:00",
        },
        headers=h,
    )
    body = response.get_json()
    assert body["check_in_at"] == "2026-11-03T00:45:00+00:00"
    listed = client.get("/api/visits?from=2026-11-03T00:00:00%2B08:00&to=2026-11-04T00:00:00%2B08:00", headers=h)
    assert [v["id"] for v in listed.get_json()["items"]] == [body["id"]]


@pytest.mark.calendar
def test_open_visits_filter(client, world):
    h = world.headers("r1")
    open_visit = client.post(
        "/api/visits",
        json={
            "account_id": str(world.accounts["r1"]),
            "purpose": "Ongoing",
            "check_in_at": "2026-11-03T08:45:00+08:00",
        },
        headers=h,
    ).get_json()
    listed = client.get("/api/visits?open=true", headers=h).get_json()["items"]
    assert [v["id"] for v in listed] == [open_visit["id"]]


@pytest.mark.calendar
def test_opportunity_moves_are_logged(app, client, world):
    h = world.headers("r1")
    opp = client.post(
        "/api/opportunities",
        json={"account_id": str(world.accounts["r1"]), "title": "Colour fleet", "man_need": True},
        headers=h,
    ).get_json()
    assert opp["stage"] == "S" and opp["status"] == "open" and opp["owner_id"] == str(world.users["r1"])
    url = f"/api/opportunities/{opp['id']}"
    assert client.patch(url, json={"stage": "P"}, headers=h).status_code == 200
    assert client.patch(url, json={"amount": "45000.00"}, headers=h).status_code == 200
    lost = client.patch(url, json={"status": "lost", "loss_reason": "price"}, headers=h)
    assert lost.status_code == 200 and lost.get_json()["closed_at"] is not None
    with writing(app):
        moves = (
            db.session.query(StageChange).filter_by(opportunity_id=uuid.UUID(opp["id"])).order_by(StageChange.id).all()
        )
        assert [(m.from_stage, m.to_stage, m.status) for m in moves] == [
            (None, "S", "open"),
            ("S", "P", "open"),
            ("P", "P", "lost"),
        ]
    won = client.patch(url, json={"status": "won", "stage": "O", "loss_reason": None}, headers=h)
    assert won.status_code == 200 and won.get_json()["stage"] == "O"


def test_route_plans_are_readable_by_their_rep(app, client, world):
    with writing(app):
        plan = RoutePlan(rep_id=world.users["r1"], plan_date=date(2026, 11, 24))
        plan.stops.append(
            RouteStop(
                position=0,
                account_id=world.accounts["r1"],
                reason="cadence_due",
                planned_arrival=datetime(2026, 11, 24, 0, 45, tzinfo=UTC),
            )
        )
        db.session.add(plan)
        db.session.commit()
        plan_id = str(plan.id)
    listed = client.get("/api/route-plans?date=2026-11-24", headers=world.headers("r1")).get_json()
    assert [p["id"] for p in listed["items"]] == [plan_id]
    assert listed["items"][0]["stops"][0]["planned_arrival"] == "2026-11-24T00:45:00+00:00"
    assert client.get(f"/api/route-plans/{plan_id}", headers=world.headers("r2")).status_code == 404
    assert client.get(f"/api/route-plans/{plan_id}", headers=world.headers("m1")).status_code == 200
    assert client.post("/api/route-plans", json={}, headers=world.headers("r1")).status_code == 405


def test_deleting_an_account_removes_what_hangs_off_it(client, world):
    url = f"/api/accounts/{world.accounts['r1']}"
    assert client.delete(url, headers=world.headers("m1")).status_code == 204
    for resource in ("contacts", "devices", "opportunities", "visits", "appointments"):
        record = getattr(world, resource)["r1"]
        assert client.get(f"/api/{resource}/{record}", headers=world.headers("admin")).status_code == 404


def test_activity_and_appointment_filters(client, world):
    h = world.headers("r1")
    made = client.post(
        "/api/activities",
        json={"category": "admin", "started_at": "2026-11-05T09:00:00+08:00", "ended_at": "2026-11-05T10:00:00+08:00"},
        headers=h,
    ).get_json()
    day = "from=2026-11-05T00:00:00%2B08:00&to=2026-11-06T00:00:00%2B08:00"
    assert [a["id"] for a in client.get(f"/api/activities?{day}", headers=h).get_json()["items"]] == [made["id"]]
    assert client.get(f"/api/activities?{day}&category=travel", headers=h).get_json()["items"] == []
    # The world's appointment for r1 is on 2026-11-03 (UTC); a window that misses it finds nothing.
    hit = client.get(
        "/api/appointments?from=2026-11-03T00:00:00%2B00:00&to=2026-11-04T00:00:00%2B00:00", headers=h
    ).get_json()["items"]
    assert [a["id"] for a in hit] == [str(world.appointments["r1"])]
    miss = client.get("/api/appointments?from=2026-11-04T00:00:00%2B00:00", headers=h).get_json()["items"]
    assert miss == []
    by_account = client.get(
        f"/api/contacts?account_id={world.accounts['r1']}&purchase_role=decision_maker", headers=world.headers("m1")
    ).get_json()["items"]
    assert [c["id"] for c in by_account] == [str(world.contacts["r1"])]


@pytest.mark.calendar
def test_o_is_won_on_every_rest_write(app, client, world):
    """The phone's rule, kept by the server: reaching stage O closes the deal as won; O cannot stay open or lost."""
    h = world.headers("r1")
    account = str(world.accounts["r1"])
    opp = client.post("/api/opportunities", json={"account_id": account, "title": "Fleet"}, headers=h).get_json()
    url = f"/api/opportunities/{opp['id']}"
    assert client.patch(url, json={"stage": "C"}, headers=h).get_json()["status"] == "open"
    ordered = client.patch(url, json={"stage": "O"}, headers=h)  # the stage alone, as an integration sends it
    assert ordered.status_code == 200, ordered.get_json()
    assert ordered.get_json()["status"] == "won" and ordered.get_json()["closed_at"] is not None
    with writing(app):
        moves = db.session.query(StageChange).filter_by(opportunity_id=uuid.UUID(opp["id"])).order_by(StageChange.id)
        assert [(m.from_stage, m.to_stage, m.status) for m in moves][-1] == ("C", "O", "won")
    # O cannot be reopened nor lost where it stands: the answer names the rule, with its code.
    for body in ({"status": "open"}, {"status": "lost", "loss_reason": "price"}):
        refused = client.patch(url, json=body, headers=h)
        assert refused.status_code == 422, refused.get_json()
        assert refused.get_json()["error"]["field_codes"]["status"] == [{"code": "won_at_o", "params": {}}]
    assert client.get(url, headers=h).get_json()["status"] == "won"
    # Moving the stage back reopens it.
    back = client.patch(url, json={"stage": "C", "status": "open"}, headers=h).get_json()
    assert (back["stage"], back["status"], back["closed_at"]) == ("C", "open", None)
    # Created at O, with or without an explicit open status: won.
    for extra in ({}, {"status": "open"}):
        made = client.post(
            "/api/opportunities", json={"account_id": account, "title": "Order", "stage": "O", **extra}, headers=h
        )
        assert made.status_code == 201 and made.get_json()["status"] == "won", made.get_json()
    lost_at_o = {"account_id": account, "title": "x", "stage": "O", "status": "lost", "loss_reason": "price"}
    assert client.post("/api/opportunities", json=lost_at_o, headers=h).status_code == 422
    # A lost deal moved to O stays lost: refused, not turned into a win behind the rep's back.
    lost = client.post(
        "/api/opportunities",
        json={"account_id": account, "title": "Gone", "stage": "D", "status": "lost", "loss_reason": "price"},
        headers=h,
    ).get_json()
    assert client.patch(f"/api/opportunities/{lost['id']}", json={"stage": "O"}, headers=h).status_code == 422


@pytest.mark.calendar  # an account's answer says how many days since its last contact
def test_account_pinyin_keys_are_derived_from_the_name(client, world):
    (account_id,) = make_accounts(client, world, "r1", [{"name": "重庆银行 Branch 2"}])
    h = world.headers("r1")
    body = client.get(f"/api/accounts/{account_id}", headers=h).get_json()
    assert (body["name_pinyin"], body["name_initials"]) == ("chongqingyinhangbranch2", "cqyhbranch2")
    body = client.patch(f"/api/accounts/{account_id}", json={"name": "浦嘉"}, headers=h).get_json()
    assert (body["name_pinyin"], body["name_initials"]) == ("pujia", "pj")
