"""A customer not met is an unsuccessful call, and a visit recorded by mistake is cancelled, not deleted."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from server.extensions import db
from server.models import Account

SH = ZoneInfo("Asia/Shanghai")


def at(hh, mm=0):
    return datetime(2026, 11, 16, hh, mm, tzinfo=SH).isoformat()


def test_a_customer_not_met_does_not_reset_the_cadence_nor_count_as_face_time(app, client, world, clock):
    clock.set(datetime(2026, 11, 16, 18, 0, tzinfo=SH))
    h = world.headers("r1")
    account = str(world.accounts["r1"])
    before = client.get(f"/api/accounts/{account}", headers=h).get_json()["last_contact_at"]
    absent = {
        "account_id": account,
        "purpose": "Demo the colour model",
        "check_in_at": at(9),
        "check_out_at": at(9, 20),
        "met": False,
        "outcome": "Buyer out of office",
    }
    assert client.post("/api/visits", json=absent, headers=h).status_code == 201
    assert client.get(f"/api/accounts/{account}", headers=h).get_json()["last_contact_at"] == before
    met = {"account_id": account, "purpose": "Back in the afternoon", "check_in_at": at(14), "check_out_at": at(14, 40)}
    assert client.post("/api/visits", json=met, headers=h).status_code == 201
    assert datetime.fromisoformat(
        client.get(f"/api/accounts/{account}", headers=h).get_json()["last_contact_at"]
    ) == datetime.fromisoformat(at(14))
    day = "from=2026-11-16&to=2026-11-16"
    activity = client.get(f"/api/reports/activity?{day}", headers=h).get_json()["rows"][0]
    assert (activity["visits"], activity["face_to_face_visits"], activity["not_met"]) == (2, 1, 1)
    ratios = client.get(f"/api/reports/time-ratios?{day}", headers=h).get_json()["rows"][0]
    assert (ratios["face_to_face_min"], ratios["travel_min"]) == (40.0, 20.0)  # the absent call was travel
    daily = client.get("/api/reports/daily?date=2026-11-16", headers=h).get_json()["reports"][0]
    assert [v["met"] for v in daily["visits"]] == [False, True]


def test_a_visit_recorded_by_mistake_is_cancelled_with_a_reason_and_stays_visible(app, client, world, clock):
    clock.set(datetime(2026, 11, 16, 18, 0, tzinfo=SH))
    h = world.headers("r1")
    account = str(world.accounts["r1"])
    wrong = client.post(
        "/api/visits",
        json={"account_id": account, "purpose": "Wrong account", "check_in_at": at(11), "check_out_at": at(11, 30)},
        headers=h,
    ).get_json()
    assert datetime.fromisoformat(
        client.get(f"/api/accounts/{account}", headers=h).get_json()["last_contact_at"]
    ) == datetime.fromisoformat(at(11))
    refused = client.patch(f"/api/visits/{wrong['id']}", json={"cancelled_at": at(12)}, headers=h)
    assert refused.status_code == 422 and "cancel_reason" in refused.get_json()["error"]["fields"]
    cancelled = client.patch(
        f"/api/visits/{wrong['id']}",
        json={"cancelled_at": at(12), "cancel_reason": "Tapped the wrong account"},
        headers=h,
    )
    assert cancelled.status_code == 200
    with app.app_context():  # the last contact goes back to the world's visit of 2 November
        assert db.session.get(Account, world.accounts["r1"]).last_contact_at < datetime.fromisoformat(
            at(0)
        ) - timedelta(days=10)
    day = "from=2026-11-16&to=2026-11-16"
    assert client.get(f"/api/reports/activity?{day}", headers=h).get_json()["rows"][0]["visits"] == 0
    report = client.get(
        f"/api/reports/daily?date=2026-11-16&rep_id={world.users['r1']}", headers=world.headers("m1")
    ).get_json()["reports"][0]
    assert [(v["cancelled"], v["cancel_reason"]) for v in report["visits"]] == [(True, "Tapped the wrong account")]
    assert client.get(f"/api/visits/{wrong['id']}", headers=world.headers("m1")).status_code == 200  # kept, not deleted


def test_a_check_in_away_from_the_account_is_measured_and_flagged(app, client, world, clock):
    clock.set(datetime(2026, 11, 16, 18, 0, tzinfo=SH))
    h = world.headers("r1")
    account = str(world.accounts["r1"])  # at 31.2, 121.4
    near = {
        "account_id": account,
        "purpose": "At the door",
        "check_in_at": at(9),
        "check_out_at": at(9, 30),
        "check_in_lat": 31.2005,
        "check_in_lng": 121.4,
    }
    far = {
        **near,
        "purpose": "From the car park across town",
        "check_in_at": at(10),
        "check_out_at": at(10, 30),
        "check_in_lat": 31.21,
        "check_in_lng": 121.4,
    }
    stored = [client.post("/api/visits", json=body, headers=h).get_json() for body in (near, far)]
    assert 50 < stored[0]["check_in_distance_m"] < 60 and 1100 < stored[1]["check_in_distance_m"] < 1120
    forged = client.post("/api/visits", json={**near, "check_in_distance_m": 0}, headers=h)
    assert forged.status_code == 422  # measured by the server, never taken from the phone
    activity = client.get("/api/reports/activity?from=2026-11-16&to=2026-11-16", headers=h).get_json()["rows"][0]
    assert activity["away_from_account"] == 1
    daily = client.get("/api/reports/daily?date=2026-11-16", headers=h).get_json()["reports"][0]
    assert [v["away"] for v in daily["visits"]] == [False, True]


def test_a_visit_moved_to_an_account_with_half_a_position_keeps_no_distance(app, client, world, clock):
    """An account may hold a latitude without a longitude: a visit moved to it is measured from nowhere
    (no distance), not a server error."""
    clock.set(datetime(2026, 11, 16, 18, 0, tzinfo=SH))
    h = world.headers("r1")
    half = client.post("/api/accounts", json={"name": "Half a pin", "latitude": 31.3}, headers=h)
    assert half.status_code == 201 and half.get_json()["longitude"] is None
    visit = {
        "account_id": str(world.accounts["r1"]),
        "purpose": "At the door",
        "check_in_at": at(9),
        "check_in_lat": 31.2005,
        "check_in_lng": 121.4,
    }
    stored = client.post("/api/visits", json=visit, headers=h).get_json()
    assert 50 < stored["check_in_distance_m"] < 60
    moved = client.patch(f"/api/visits/{stored['id']}", json={"account_id": half.get_json()["id"]}, headers=h)
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["account_id"] == half.get_json()["id"] and moved.get_json()["check_in_distance_m"] is None
    with app.app_context():
        assert db.session.get(Account, uuid.UUID(half.get_json()["id"])).last_contact_at == datetime.fromisoformat(
            at(9)
        )
