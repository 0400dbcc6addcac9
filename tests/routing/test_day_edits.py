"""The rep's own changes to a day (drop, insert, move), timed again without solving: the pure pass,
then through REST and sync, checked against the rules independently of how the times were made."""

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from routing.matrix import geodesic_matrix
from routing.retime import Leg, retime
from tests.records import writing
from tests.routing.test_planning import _more_accounts
from tests.sync.phone import Phone

T0 = datetime(2026, 11, 10, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai


def at(minutes):
    return T0 + timedelta(minutes=minutes)


def flat(seconds):
    return lambda a, b: 0 if a == b else seconds


def test_the_pass_keeps_visits_starts_at_now_waits_for_fixed_stops_and_flags_late_ones():
    legs = [
        Leg((1, 1), 1800, visited=(at(45), at(80))),  # done 08:45-09:20
        Leg((2, 2), 1800),
        Leg((3, 3), 1800, fixed_at=at(240)),  # an appointment at 12:00
        Leg((4, 4), 1800, fixed_at=at(150)),
    ]  # pinned at 10:30: cannot be kept any more
    out = retime((0, 0), at(30), legs, now=at(120), travel_s=flat(600))
    assert out[0].arrival == at(45)  # the visit's own time
    assert out[1].arrival == at(130)  # not before now (10:00) + 10 min travel
    assert out[2].arrival == at(240) and out[2].late_s == 0  # waits for the appointment
    assert out[3].arrival == at(280) and out[3].late_s == (280 - 150) * 60
    assert [t.travel_s for t in out] == [600] * 4


def test_lunch_is_taken_once_at_the_first_departure_after_noon():
    legs = [Leg((1, 1), 3600), Leg((2, 2), 3600), Leg((3, 3), 3600)]
    noon = at(240)
    out = retime((0, 0), at(170), legs, now=at(0), travel_s=flat(600), lunch_at=noon, lunch_s=2700)
    # 11:00 arrive, leave 12:00 -> lunch 45 min -> arrive 12:55; leave 13:55 -> arrive 14:05 (no second lunch)
    assert [t.arrival for t in out] == [at(180), at(295), at(365)]
    assert retime((0, 0), at(170), legs, now=at(0), travel_s=flat(600))[1].arrival == at(250)  # no lunch given


def test_an_open_visit_holds_the_rep_until_its_service_time_is_up():
    legs = [Leg((1, 1), 3600, visited=(at(60), None)), Leg((2, 2), 1800)]
    out = retime((0, 0), at(30), legs, now=at(90), travel_s=flat(300))
    assert out[1].arrival == at(125)  # free at 10:00 (checked in 09:00 for an hour) + 5 min


def _day(client, world, app, day="2026-11-10"):
    extra = _more_accounts(app, world)
    plan = client.post("/api/routes/plan", json={"date": day}, headers=world.headers("r1")).get_json()
    return plan, extra


def _order(plan):
    return [s["account_id"] for s in sorted(plan["stops"], key=lambda s: s["position"])]


def check_times(plan, since):
    """The rules on a timed day, checked from the stored figures alone: arrivals in order, each after
    the stop before plus its service and the travel to it, and none still to come before `since`."""
    stops = sorted(plan["stops"], key=lambda s: s["position"])
    for before, after in itertools.pairwise(stops):
        left = datetime.fromisoformat(before["planned_arrival"]) + timedelta(minutes=before["service_minutes"])
        assert datetime.fromisoformat(after["planned_arrival"]) >= left + timedelta(minutes=after["travel_minutes"] - 1)
    assert all(datetime.fromisoformat(s["planned_arrival"]) >= since for s in stops)


@pytest.mark.calendar
def test_the_rep_drops_inserts_and_moves_stops_and_the_day_is_timed_again(app, client, world, clock):
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    plan, extra = _day(client, world, app)
    order = _order(plan)
    assert len(order) >= 3
    dropped, *rest = order
    url = f"/api/routes/{world.users['r1']}/2026-11-10"
    edited_at = "2026-11-10T09:30:00+08:00"
    new_order = list(reversed(rest))
    clock.set("2026-11-10T09:35:00+08:00")  # sent a few minutes after it was made
    response = client.patch(
        url,
        json={"stops": [{"account_id": a} for a in new_order], "changed_at": edited_at, "version": plan["version"]},
        headers=world.headers("r1"),
    )
    assert response.status_code == 200, response.get_json()
    edited = response.get_json()
    assert _order(edited) == new_order and edited["version"] > plan["version"]
    check_times(edited, datetime.fromisoformat(edited_at))
    assert edited["changed_by"] == str(world.users["r1"])
    assert dropped in edited["choices"]["exclude"]
    # The travel each stop says is the server's own model between the points, in the new order.
    with writing(app):
        from server.extensions import db
        from server.models import Account

        points = [(a.latitude, a.longitude) for a in (db.session.get(Account, uuid.UUID(i)) for i in new_order)]
    legs = geodesic_matrix(points)
    timed = sorted(edited["stops"], key=lambda s: s["position"])
    assert [s["travel_minutes"] for s in timed[1:]] == [round(legs[i - 1][i] / 60) for i in range(1, len(timed))]

    # A later re-plan of that day keeps the stop the rep dropped out.
    again = client.post("/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers("r1")).get_json()
    assert dropped not in _order(again)
    # An account inserted by hand is kept in by the next re-plan.
    inserted = dropped
    back = client.patch(
        url,
        json={
            "stops": [{"account_id": inserted}] + [{"account_id": a} for a in _order(again)],
            "changed_at": edited_at,
        },
        headers=world.headers("r1"),
    ).get_json()
    assert _order(back)[0] == inserted and inserted in back["choices"]["include"]
    assert inserted in _order(
        client.post("/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers("r1")).get_json()
    )
    assert extra


@pytest.mark.calendar
def test_edits_that_break_the_rules_are_refused_and_change_nothing(app, client, world, clock):
    clock.set("2026-11-03T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    plan = client.post("/api/routes/plan", json={"date": "2026-11-03"}, headers=world.headers("r1")).get_json()
    url = f"/api/routes/{world.users['r1']}/2026-11-03"
    appointment_stop = next(s for s in plan["stops"] if s["appointment_id"])
    cases = [
        ({"stops": []}, world.headers("r1"), 422, "stops"),  # the appointment's stop left out
        (
            {
                "stops": [
                    {"account_id": str(world.accounts["r2"]), "appointment_id": None},
                    {
                        "account_id": appointment_stop["account_id"],
                        "appointment_id": appointment_stop["appointment_id"],
                    },
                ]
            },
            world.headers("r1"),
            404,
            "stops",
        ),  # another rep's account
        (
            {
                "stops": [
                    {"account_id": appointment_stop["account_id"], "appointment_id": appointment_stop["appointment_id"]}
                ]
                * 2
            },
            world.headers("r1"),
            422,
            "stops",
        ),
        ({"stops": [{"account_id": appointment_stop["account_id"]}]}, world.headers("r1"), 422, "stops"),
        ({"stops": [{"account_id": "nope"}]}, world.headers("r1"), 422, "stops"),
        (
            {
                "stops": [
                    {"account_id": appointment_stop["account_id"], "appointment_id": appointment_stop["appointment_id"]}
                ],
                "version": plan["version"] + 5,
            },
            world.headers("r1"),
            409,
            "version",
        ),
    ]
    for body, headers, status, field in cases:
        response = client.patch(url, json=body, headers=headers)
        assert response.status_code == status, (body, response.get_json())
        assert field in response.get_json()["error"]["fields"]
    # Only the rep reorders by hand: a manager re-plans; another rep does not see the plan at all.
    keep = {
        "stops": [{"account_id": appointment_stop["account_id"], "appointment_id": appointment_stop["appointment_id"]}]
    }
    assert client.patch(url, json=keep, headers=world.headers("m1")).status_code == 403
    assert client.patch(url, json=keep, headers=world.headers("r2")).status_code == 404
    stored = client.get(url, headers=world.headers("r1")).get_json()
    assert stored["stops"] == plan["stops"] and stored["version"] == plan["version"]


@pytest.mark.calendar
def test_an_offline_edit_of_today_syncs_and_two_queued_edits_both_land(app, client, world, clock):
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    plan, _ = _day(client, world, app)
    phone = Phone(client, world.headers("r1"))
    phone.pull()
    local = phone.store[("route_plan", plan["id"])]
    order = _order(local.get("data", local))
    first = order[1:]  # drop the first stop
    phone.queue(
        "route_plan",
        "update",
        plan["id"],
        {"stops": [{"account_id": a} for a in first], "changed_at": "2026-11-10T09:00:00+08:00"},
        local["version"],
    )
    second = list(reversed(first))  # then, still offline, turn the rest around
    phone.queue(
        "route_plan",
        "update",
        plan["id"],
        {"stops": [{"account_id": a} for a in second], "changed_at": "2026-11-10T09:05:00+08:00"},
        local["version"],
    )
    results = phone.push().get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"], results
    stored = client.get(f"/api/routes/{world.users['r1']}/2026-11-10", headers=world.headers("r1")).get_json()
    assert _order(stored) == second
    phone.pull()
    synced = phone.store[("route_plan", plan["id"])]
    assert [s["account_id"] for s in sorted(synced["data"]["stops"], key=lambda s: s["position"])] == second


@pytest.mark.calendar
def test_a_managers_replan_meanwhile_wins_over_the_reps_offline_order_and_says_so(app, client, world, clock):
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a manager plans no past day
    plan, _ = _day(client, world, app)
    phone = Phone(client, world.headers("r1"))
    phone.pull()
    base = phone.store[("route_plan", plan["id"])]["version"]
    assert (
        client.post(
            "/api/routes/plan",
            json={"date": "2026-11-10", "rep_id": str(world.users["r1"])},
            headers=world.headers("m1"),
        ).status_code
        == 200
    )
    after_manager = client.get(f"/api/routes/{world.users['r1']}/2026-11-10", headers=world.headers("r1")).get_json()
    phone.queue("route_plan", "update", plan["id"], {"stops": [{"account_id": a} for a in _order(plan)[1:]]}, base)
    result = phone.push().get_json()["results"][0]
    assert result["status"] == "conflict" and "stops" in result["conflicts"]
    stored = client.get(f"/api/routes/{world.users['r1']}/2026-11-10", headers=world.headers("r1")).get_json()
    assert _order(stored) == _order(after_manager)


@pytest.mark.calendar
def test_a_stop_the_rep_leaves_out_is_stored_as_left_out_by_the_rep_and_stays_so(app, client, world, clock):
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    plan, _ = _day(client, world, app)
    left_out, *rest = _order(plan)
    url = f"/api/routes/{world.users['r1']}/2026-11-10"
    edited = client.patch(
        url,
        json={"stops": [{"account_id": a} for a in rest], "changed_at": "2026-11-10T09:30:00+08:00"},
        headers=world.headers("r1"),
    ).get_json()
    assert {"id": left_out, "reason": "left_out_by_rep"} in edited["dropped"]
    assert [d["reason"] for d in edited["dropped"] if d["id"] == left_out] == ["left_out_by_rep"]
    # A later re-plan (the rep's own, then the evening batch's way: no choices sent) keeps it out, and says why.
    again = client.post("/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers("r1")).get_json()
    assert left_out not in _order(again)
    assert [d["reason"] for d in again["dropped"] if d["id"] == left_out] == ["left_out_by_rep"]
    # Put back in by hand: no longer left out.
    back = client.patch(
        url,
        json={"stops": [{"account_id": left_out}] + [{"account_id": a} for a in _order(again)]},
        headers=world.headers("r1"),
    ).get_json()
    assert left_out not in {d["id"] for d in back["dropped"]}


@pytest.mark.calendar
def test_a_replan_from_here_and_now_says_where_it_starts_and_an_edit_times_the_day_from_there(
    app, client, world, clock
):
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    _day(client, world, app)
    start = {"latitude": 31.30, "longitude": 121.60, "at": "2026-11-10T10:30:00+08:00"}
    plan = client.post(
        "/api/routes/plan", json={"date": "2026-11-10", "start": start}, headers=world.headers("r1")
    ).get_json()
    assert plan["start"]["latitude"] == start["latitude"] and plan["start"]["longitude"] == start["longitude"]
    order = _order(plan)
    assert len(order) >= 2
    first = min(plan["stops"], key=lambda s: s["position"])
    edited = client.patch(
        f"/api/routes/{world.users['r1']}/2026-11-10",
        json={"stops": [{"account_id": a} for a in order], "changed_at": "2026-11-10T10:30:00+08:00"},
        headers=world.headers("r1"),
    ).get_json()
    assert edited["start"] == plan["start"]
    with writing(app):
        from server.extensions import db
        from server.models import Account

        a = db.session.get(Account, uuid.UUID(first["account_id"]))
        leg = geodesic_matrix([(start["latitude"], start["longitude"]), (a.latitude, a.longitude)])[0][1]
    timed = min(edited["stops"], key=lambda s: s["position"])
    assert timed["travel_minutes"] == round(leg / 60)  # from where the plan starts, not from home
    # A plan made ahead (no start) starts at home again.
    ahead = client.post("/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers("r1")).get_json()
    assert ahead["start"] is None


def test_a_past_day_is_not_planned_or_edited_by_its_rep_but_an_edit_made_on_the_day_lands_later(
    app, client, world, clock
):
    """A past day's plan is what the day was measured against (the activity report counts its stops): the rep may
    not plan it or change its order after the day. An order changed offline on the day and sent the next morning
    lands, timed from when it was made."""
    clock.set("2026-11-10T07:00:00+08:00")
    plan, _ = _day(client, world, app)
    order = _order(plan)
    clock.set("2026-11-11T08:00:00+08:00")  # the next morning
    late = client.post("/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers("r1"))
    assert late.status_code == 422 and late.get_json()["error"]["field_codes"]["date"][0]["code"] == "past_day"
    url = f"/api/routes/{world.users['r1']}/2026-11-10"
    edit = client.patch(url, json={"stops": [{"account_id": a} for a in order[1:]]}, headers=world.headers("r1"))
    assert edit.status_code == 422 and edit.get_json()["error"]["field_codes"]["date"][0]["code"] == "past_day"
    phone = Phone(client, world.headers("r1"))
    phone.pull()
    local = phone.store[("route_plan", plan["id"])]
    made = {"2026-11-10T17:50:00+08:00": "applied", "2026-11-11T07:55:00+08:00": "rejected"}
    for changed_at in made:
        stops = [{"account_id": a} for a in order[1:]]
        phone.queue("route_plan", "update", plan["id"], {"stops": stops, "changed_at": changed_at}, local["version"])
    results = phone.push().get_json()["results"]
    assert [r["status"] for r in results] == list(made.values()), results
    assert results[1]["fields"] == {"date": ["A past day."]}, results
    stored = client.get(url, headers=world.headers("r1")).get_json()
    assert _order(stored) == order[1:] and stored["version"] == plan["version"] + 1


def test_after_the_working_days_end_today_is_not_reordered_into_the_night_but_an_edit_made_before_lands(
    app, client, world, clock
):
    """Once today's working day has ended (the method's 19:00, `day_end` in the settings the phone reads), what is
    left of today is not timed into the night: the rep's order is refused with `day_over` and its hour, through
    REST and through sync, and the stored day is unchanged. An order changed offline at 18:50 and sent at 19:10
    lands, timed from when it was made."""
    clock.set("2026-11-10T07:00:00+08:00")
    plan, _ = _day(client, world, app)
    order = _order(plan)
    assert client.get("/api/settings", headers=world.headers("r1")).get_json()["day_end"] == "19:00"
    clock.set("2026-11-10T19:10:00+08:00")
    url = f"/api/routes/{world.users['r1']}/2026-11-10"
    edit = client.patch(url, json={"stops": [{"account_id": a} for a in order[1:]]}, headers=world.headers("r1"))
    assert edit.status_code == 422, edit.get_json()
    assert edit.get_json()["error"]["field_codes"]["stops"][0] == {"code": "day_over", "params": {"time": "19:00"}}
    assert _order(client.get(url, headers=world.headers("r1")).get_json()) == order
    phone = Phone(client, world.headers("r1"))
    phone.pull()
    local = phone.store[("route_plan", plan["id"])]
    made = {"2026-11-10T18:50:00+08:00": "applied", "2026-11-10T19:05:00+08:00": "rejected"}
    for changed_at, drop in zip(made, (1, 2), strict=True):
        stops = [{"account_id": a} for a in order[drop:]]
        phone.queue("route_plan", "update", plan["id"], {"stops": stops, "changed_at": changed_at}, local["version"])
    results = phone.push().get_json()["results"]
    assert [r["status"] for r in results] == list(made.values()), results
    stored = client.get(url, headers=world.headers("r1")).get_json()
    assert _order(stored) == order[1:] and stored["version"] == plan["version"] + 1
    # Tomorrow is planned as ever.
    ahead = client.post("/api/routes/plan", json={"date": "2026-11-11"}, headers=world.headers("r1"))
    assert ahead.status_code == 200, ahead.get_json()


def test_a_day_replanned_at_lunchtime_keeps_its_lunch_once_when_the_rep_then_leaves_a_stop_out(
    app, client, world, clock
):
    """Re-planned from here at 12:30, the day has its lunch break before its first drive. The rep then leaves the
    last stop out and moves another: the stops before them keep their times (lunch is not taken a second time,
    45 minutes later at each edit)."""
    clock.set("2026-11-10T12:30:00+08:00")
    _more_accounts(app, world)
    here = {"latitude": 31.2304, "longitude": 121.4737, "at": "2026-11-10T12:30:00+08:00"}
    body = {"date": "2026-11-10", "start": here}
    plan = client.post("/api/routes/plan", json=body, headers=world.headers("r1")).get_json()
    assert plan["lunch"]["status"] == "planned", plan["lunch"]
    stops = sorted(plan["stops"], key=lambda s: s["position"])
    lunch = datetime.fromisoformat(plan["lunch"]["start"])
    assert len(stops) >= 3 and lunch < datetime.fromisoformat(stops[0]["planned_arrival"])
    url = f"/api/routes/{world.users['r1']}/2026-11-10"
    clock.set("2026-11-10T12:40:00+08:00")
    order = _order(plan)
    first = client.patch(url, json={"stops": [{"account_id": a} for a in order[:-1]]}, headers=world.headers("r1"))
    assert first.status_code == 200, first.get_json()
    again = client.patch(
        url,
        json={"stops": [{"account_id": a} for a in [order[0], order[2], order[1], *order[3:-1]]]},
        headers=world.headers("r1"),
    )
    assert again.status_code == 200, again.get_json()

    def at(answer, account):
        stop = next(s for s in answer["stops"] if s["account_id"] == account)
        return datetime.fromisoformat(stop["planned_arrival"])

    for answer in (first.get_json(), again.get_json()):
        assert abs(at(answer, order[0]) - at(plan, order[0])) <= timedelta(minutes=1), answer["stops"]
