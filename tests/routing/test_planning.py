"""Planning a rep's day from the database, through the API, the evening batch and sync."""

from datetime import UTC

import pytest

from tests.records import writing
from tests.sync.phone import Phone


def test_rep_plans_their_day_first_visit_at_845(client, world, clock):
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    response = client.post("/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers("r1"))
    assert response.status_code == 200, response.get_json()
    plan = response.get_json()
    assert plan["rep_id"] == str(world.users["r1"]) and plan["plan_date"] == "2026-11-10"
    first = plan["stops"][0]
    assert first["account_id"] == str(world.accounts["r1"])
    assert first["planned_arrival"] == "2026-11-10T00:45:00+00:00"  # 08:45 in Shanghai
    assert "first_visit" in first["reason"] or "cadence_due" in first["reason"]
    stored = client.get(f"/api/routes/{world.users['r1']}/2026-11-10", headers=world.headers("r1"))
    assert stored.status_code == 200 and stored.get_json()["stops"] == plan["stops"]


def test_fixed_appointments_are_kept_at_their_time(client, world, clock):
    clock.set("2026-11-03T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    plan = client.post("/api/routes/plan", json={"date": "2026-11-03"}, headers=world.headers("r1")).get_json()
    pinned = [s for s in plan["stops"] if s["pinned"]]
    assert len(pinned) == 1 and pinned[0]["appointment_id"] == str(world.appointments["r1"])
    assert pinned[0]["planned_arrival"] == "2026-11-03T01:00:00+00:00"


def test_replanning_replaces_the_stored_plan(client, world, clock):
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    first = client.post("/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers("r1")).get_json()
    again = client.post("/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers("r1")).get_json()
    assert again["id"] == first["id"]
    listed = client.get("/api/route-plans?date=2026-11-10", headers=world.headers("r1")).get_json()
    assert listed["total"] == 1


def test_who_may_plan_whom(client, world, clock):
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a manager plans no past day
    body = {"date": "2026-11-10", "rep_id": str(world.users["r2"])}
    assert client.post("/api/routes/plan", json=body, headers=world.headers("r1")).status_code == 403
    assert client.post("/api/routes/plan", json=body, headers=world.headers("m1")).status_code == 200
    assert client.post("/api/routes/plan", json=body, headers=world.headers("m2")).status_code == 404
    assert client.get(f"/api/routes/{world.users['r2']}/2026-11-10", headers=world.headers("r1")).status_code == 404
    assert client.get(f"/api/routes/{world.users['r2']}/2026-11-10", headers=world.headers("m1")).status_code == 200
    assert client.get(f"/api/routes/{world.users['r2']}/not-a-date", headers=world.headers("m1")).status_code == 404
    bad = client.post("/api/routes/plan", json={"date": "tomorrow"}, headers=world.headers("r1"))
    assert bad.status_code == 422 and "date" in bad.get_json()["error"]["fields"]


def test_a_rep_without_a_start_location_gets_a_clear_error(app, client, world, clock):
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    from server.extensions import db
    from server.models import User

    with writing(app):
        db.session.get(User, world.users["r1"]).start_lat = None
        db.session.commit()
    response = client.post("/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers("r1"))
    assert response.status_code == 422 and "rep_id" in response.get_json()["error"]["fields"]


@pytest.mark.calendar
def test_evening_batch_plans_every_rep_and_the_plan_reaches_the_phone(client, world, runner):
    result = runner.invoke(args=["plan-day", "--date", "2026-11-10"])
    assert result.exit_code == 0, result.output
    assert {line.split(":")[0] for line in result.output.splitlines()} == {"r1", "r2", "r3"}
    phone = Phone(client, world.headers("r1"))
    phone.pull()
    plans = [v["data"] for (entity, _), v in phone.store.items() if entity == "route_plan"]
    assert len(plans) == 1 and plans[0]["plan_date"] == "2026-11-10" and plans[0]["stops"]


def _more_accounts(app, world, rep="r1"):
    """Three more accounts in the rep's territory: two never visited, one visited yesterday (not due)."""
    from datetime import datetime

    from server.extensions import db
    from server.models import Account

    ids = []
    with writing(app):
        for i, last in enumerate([None, None, datetime(2026, 11, 9, 2, tzinfo=UTC)]):
            account = Account(
                name=f"Extra {i}",
                latitude=31.21 + i / 100,
                longitude=121.45,
                account_class="B",
                owner_id=world.users[rep],
                last_contact_at=last,
            )
            db.session.add(account)
            db.session.flush()
            ids.append(str(account.id))
        db.session.commit()
    return ids


def test_an_account_with_an_appointment_is_on_the_route_once(client, world, clock):
    clock.set("2026-11-03T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    plan = client.post("/api/routes/plan", json={"date": "2026-11-03"}, headers=world.headers("r1")).get_json()
    assert [s["account_id"] for s in plan["stops"]] == [str(world.accounts["r1"])]
    assert plan["stops"][0]["reason"] == "appointment"


def test_the_rep_leaves_out_adds_and_pins_stops(app, client, world, clock):
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    left_out, pinned, not_due = _more_accounts(app, world)
    plain = client.post("/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers("r1")).get_json()
    assert {left_out, pinned} <= {s["account_id"] for s in plain["stops"]}
    assert not_due not in {s["account_id"] for s in plain["stops"]}
    body = {
        "date": "2026-11-10",
        "exclude": [left_out],
        "include": [not_due],
        "pins": [{"account_id": pinned, "at": "15:00"}],
    }
    response = client.post("/api/routes/plan", json=body, headers=world.headers("r1"))
    assert response.status_code == 200, response.get_json()
    stops = {s["account_id"]: s for s in response.get_json()["stops"]}
    assert left_out not in stops
    assert stops[not_due]["reason"] == "picked"
    assert stops[pinned]["planned_arrival"] == "2026-11-10T07:00:00+00:00" and stops[pinned]["pinned"]
    assert not stops[not_due]["pinned"]


def test_choices_outside_the_territory_or_contradicting_are_refused(client, world, clock):
    clock.set("2026-11-03T07:00:00+08:00")  # the first day planned below: a past day is not planned
    foreign = str(world.accounts["r3"])
    response = client.post(
        "/api/routes/plan", json={"date": "2026-11-10", "include": [foreign]}, headers=world.headers("r1")
    )
    assert response.status_code == 422 and foreign in str(response.get_json()["error"]["fields"]["accounts"])
    own = str(world.accounts["r1"])
    clash = client.post(
        "/api/routes/plan", json={"date": "2026-11-10", "include": [own], "exclude": [own]}, headers=world.headers("r1")
    )
    assert clash.status_code == 422 and "exclude" in clash.get_json()["error"]["fields"]
    fixed = client.post(
        "/api/routes/plan",
        json={"date": "2026-11-03", "pins": [{"account_id": own, "at": "16:00"}]},
        headers=world.headers("r1"),
    )
    assert fixed.status_code == 422 and "pins" in fixed.get_json()["error"]["fields"]
    bad_time = client.post(
        "/api/routes/plan",
        json={"date": "2026-11-10", "pins": [{"account_id": own, "at": "25:00"}]},
        headers=world.headers("r1"),
    )
    assert bad_time.status_code == 422 and "pins" in bad_time.get_json()["error"]["fields"]


def test_the_batch_gives_the_same_plans_in_worker_processes_as_in_one(app, world):
    from datetime import date

    from server.extensions import db
    from server.models import RoutePlan
    from server.route_plans.planner import plan_team

    def stops():
        return {
            str(p.rep_id): [(s.account_id, s.planned_arrival) for s in p.stops]
            for p in db.session.query(RoutePlan).filter_by(plan_date=date(2026, 11, 10))
        }

    with writing(app):
        one = plan_team(date(2026, 11, 10), workers=1)
        first = stops()
        two = plan_team(date(2026, 11, 10), workers=2)
        assert one == two and stops() == first and len(first) == 3


def _redis_reachable():
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_the_batch_fans_out_as_celery_tasks_when_a_broker_is_set(app, world, runner):
    """Real Redis, real Celery worker (threads in this process): the same plans as the local batch."""
    import uuid
    from datetime import date

    import pytest
    from celery.contrib.testing.worker import start_worker

    from server.background import celery_for
    from server.extensions import db
    from server.models import RoutePlan
    from server.route_plans.planner import plan_team
    from server.route_plans.tasks import PLAN_TOMORROW

    if not _redis_reachable():
        pytest.skip("Redis on 127.0.0.1:6379 is not reachable: the Celery path is not tested here")
    day = date(2026, 11, 10)

    def stops():
        return {
            str(p.rep_id): [(s.account_id, s.planned_arrival) for s in p.stops]
            for p in db.session.query(RoutePlan).filter_by(plan_date=day)
        }

    with writing(app):
        local = plan_team(day, workers=1)
        expected = stops()
        db.session.query(RoutePlan).delete()
        db.session.commit()
    queue = f"fieldday-test-{uuid.uuid4().hex}"  # this run's own queue on the shared Redis
    app.config.update(CELERY_BROKER_URL="redis://127.0.0.1:6379/15", CELERY_QUEUE=queue)
    celery = celery_for(app)
    assert PLAN_TOMORROW in celery.tasks
    assert celery.conf.beat_schedule["plan-tomorrow"]["task"] == PLAN_TOMORROW
    with start_worker(celery, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING"):
        result = runner.invoke(args=["plan-day", "--date", day.isoformat()])
    assert result.exit_code == 0, result.output
    assert sorted(result.output.splitlines()) == sorted(f"{name}: {n} stops" for name, n in local.items())
    with writing(app):
        assert stops() == expected and len(expected) == 3


@pytest.mark.calendar
def test_the_evening_run_plans_tomorrow_as_each_team_counts_it(app, world):
    """The beat's task, through real Redis and a real worker: teams 25 hours apart get different dates."""
    import time
    import uuid
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    import pytest
    from celery.contrib.testing.worker import start_worker

    from server import clock
    from server.background import celery_for
    from server.extensions import db
    from server.models import RoutePlan, Team
    from server.route_plans.tasks import plan_tomorrow

    if not _redis_reachable():
        pytest.skip("Redis on 127.0.0.1:6379 is not reachable: the Celery path is not tested here")
    from server import team_settings

    zones = {"North": "Pacific/Kiritimati", "South": "Pacific/Pago_Pago"}  # UTC+14 and UTC-11
    with writing(app):
        for team in db.session.query(Team):
            team.timezone = zones[team.name]
            # Every day a working day: tomorrow is planned whatever weekday the run falls on.
            team_settings.save(team, {"working_days": [1, 2, 3, 4, 5, 6, 7]}, by=None)
        db.session.commit()
    app.config.update(CELERY_BROKER_URL="redis://127.0.0.1:6379/15", CELERY_QUEUE=f"fieldday-test-{uuid.uuid4().hex}")
    worker = start_worker(celery_for(app), pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING")
    with worker, writing(app):
        expected = {
            world.users[rep]: clock.today(ZoneInfo(zones[team])) + timedelta(days=1)
            for rep, team in (("r1", "North"), ("r2", "North"), ("r3", "South"))
        }
        assert plan_tomorrow(time_limit_s=0.5) == 3
        deadline = time.monotonic() + 60
        while db.session.query(RoutePlan).count() < 3 and time.monotonic() < deadline:
            db.session.rollback()  # see what the worker's threads committed
            time.sleep(0.2)
        planned = {p.rep_id: p.plan_date for p in db.session.query(RoutePlan)}
    assert planned == expected
    assert expected[world.users["r1"]] != expected[world.users["r3"]]


def test_a_managers_replan_keeps_the_reps_pins_and_leave_outs_unless_overridden(app, client, world, clock):
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a manager plans no past day
    left_out, pinned, _ = _more_accounts(app, world)
    mine = {"date": "2026-11-10", "exclude": [left_out], "pins": [{"account_id": pinned, "at": "15:00"}]}
    assert client.post("/api/routes/plan", json=mine, headers=world.headers("r1")).status_code == 200
    boss = {"date": "2026-11-10", "rep_id": str(world.users["r1"])}
    kept = client.post("/api/routes/plan", json=boss, headers=world.headers("m1")).get_json()
    stops = {s["account_id"]: s for s in kept["stops"]}
    assert left_out not in stops and stops[pinned]["planned_arrival"] == "2026-11-10T07:00:00+00:00"
    assert kept["changed_by"] == str(world.users["m1"]) and kept["changed_by_name"] == "m1" and kept["changed_at"]
    assert kept["choices"]["exclude"] == [left_out]  # still the rep's own choices
    replaced = client.post("/api/routes/plan", json={**boss, "override": True}, headers=world.headers("m1")).get_json()
    assert left_out in {s["account_id"] for s in replaced["stops"]}  # the manager chose to override
    refused = client.post(
        "/api/routes/plan", json={"date": "2026-11-10", "override": True}, headers=world.headers("r1")
    )
    assert refused.status_code == 403


def test_the_evening_batch_keeps_the_reps_choices_for_the_day(app, client, world, runner, clock):
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    left_out, _, _ = _more_accounts(app, world)
    mine = {"date": "2026-11-10", "exclude": [left_out]}
    assert client.post("/api/routes/plan", json=mine, headers=world.headers("r1")).status_code == 200
    assert runner.invoke(args=["plan-day", "--date", "2026-11-10", "--workers", "1"]).exit_code == 0
    stored = client.get(f"/api/routes/{world.users['r1']}/2026-11-10", headers=world.headers("r1")).get_json()
    assert left_out not in {s["account_id"] for s in stored["stops"]} and stored["changed_by"] is None


@pytest.mark.calendar
def test_plan_against_done_compares_with_the_plan_at_the_first_check_in(app, client, world, clock):
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    extra = _more_accounts(app, world)
    plan = client.post("/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers("r1")).get_json()
    planned = [s["account_id"] for s in plan["stops"]]
    assert len(planned) >= 3
    visit = {
        "account_id": planned[0],
        "purpose": "First of the day",
        "check_in_at": "2026-11-10T00:50:00+00:00",
        "check_out_at": "2026-11-10T01:30:00+00:00",
    }
    assert client.post("/api/visits", json=visit, headers=world.headers("r1")).status_code == 201
    period = "from=2026-11-10&to=2026-11-10"
    before = client.get(f"/api/reports/activity?{period}", headers=world.headers("r1")).get_json()["rows"][0]
    # The day is not over: its stops are planned but not yet due for the plan's completion.
    assert (before["planned"], before["planned_due"], before["planned_done"]) == (len(planned), 0, 0)
    # Later that day the manager re-plans with stops left out: the day's plan must not move.
    clock.set("2026-11-10T18:00:00+08:00")  # the evening of that day (a manager plans no past day)
    boss = {"date": "2026-11-10", "rep_id": str(world.users["r1"]), "exclude": [a for a in extra if a in planned][:2]}
    assert client.post("/api/routes/plan", json=boss, headers=world.headers("m1")).status_code == 200
    clock.set("2026-11-10T19:00:00+08:00")  # the working day's end: the plan at the first check-in counts
    after = client.get(f"/api/reports/activity?{period}", headers=world.headers("r1")).get_json()["rows"][0]
    assert (after["planned"], after["planned_due"], after["planned_done"]) == (len(planned), len(planned), 1)
    daily = client.get("/api/reports/daily?date=2026-11-10", headers=world.headers("r1")).get_json()["reports"][0]
    assert daily["plan"]["planned"] == len(planned)


@pytest.mark.calendar
def test_replan_the_rest_of_the_day_from_here_and_now(app, client, world, clock):
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    extra = _more_accounts(app, world)
    morning = client.post("/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers("r1")).get_json()
    planned = [s["account_id"] for s in morning["stops"]]
    done = planned[0]
    visit = {
        "account_id": done,
        "purpose": "Done early",
        "check_in_at": "2026-11-10T00:50:00+00:00",
        "check_out_at": "2026-11-10T01:30:00+00:00",
    }
    assert client.post("/api/visits", json=visit, headers=world.headers("r1")).status_code == 201
    here = {"latitude": 31.215, "longitude": 121.46, "at": "2026-11-10T11:00:00+08:00"}
    body = {"date": "2026-11-10", "start": here, "preview": True}
    preview = client.post("/api/routes/plan", json=body, headers=world.headers("r1"))
    assert preview.status_code == 200, preview.get_json()
    day = sorted(preview.get_json()["stops"], key=lambda s: s["position"])
    # The morning stays: the stop visited comes first, as it was planned; the rest of the day follows it.
    first, rest = day[0], day[1:]
    assert (first["account_id"], first["planned_arrival"]) == (done, morning["stops"][0]["planned_arrival"])
    assert done not in {s["account_id"] for s in rest} and rest
    assert all(s["planned_arrival"] >= "2026-11-10T03:00:00+00:00" for s in rest)  # nothing before 11:00
    stored = client.get(f"/api/routes/{world.users['r1']}/2026-11-10", headers=world.headers("r1")).get_json()
    assert [s["account_id"] for s in stored["stops"]] == planned  # a preview stores nothing
    accepted = client.post("/api/routes/plan", json={**body, "preview": False}, headers=world.headers("r1")).get_json()
    assert [s["account_id"] for s in accepted["stops"]] == [s["account_id"] for s in day]
    # Re-planned again later: the visited stop is kept once, not twice.
    later = {**here, "at": "2026-11-10T14:00:00+08:00"}
    again = client.post("/api/routes/plan", json={**body, "start": later}, headers=world.headers("r1")).get_json()
    ids = [s["account_id"] for s in sorted(again["stops"], key=lambda s: s["position"])]
    assert ids[0] == done and ids.count(done) == 1 and len(ids) == len(set(ids))
    # Without a position (no fix, no visit to go from), the rest of the day starts at home at that time.
    homeward = {"date": "2026-11-10", "start": {"at": "2026-11-10T13:00:00+08:00"}, "preview": True}
    from_home = client.post("/api/routes/plan", json=homeward, headers=world.headers("r1"))
    assert from_home.status_code == 200, from_home.get_json()
    after = [s for s in from_home.get_json()["stops"] if s["account_id"] != done]
    assert after and all(s["planned_arrival"] >= "2026-11-10T05:00:00+00:00" for s in after)
    half = {**body, "start": {"latitude": 31.2, "at": "2026-11-10T13:00:00+08:00"}}
    refused = client.post("/api/routes/plan", json=half, headers=world.headers("r1"))
    assert refused.status_code == 422 and "longitude" in refused.get_json()["error"]["fields"]["start"]
    late = client.post(
        "/api/routes/plan",
        json={**body, "start": {**here, "at": "2026-11-10T20:00:00+08:00"}},
        headers=world.headers("r1"),
    )
    assert late.status_code == 422 and "start" in late.get_json()["error"]["fields"]
    # The phone words it in its own language: the field's code, with the hour the day ended.
    assert late.get_json()["error"]["field_codes"]["start"][0] == {"code": "day_over", "params": {"time": "19:00"}}
    assert extra  # the extra accounts gave the rest of the day stops to order


def test_a_manager_may_not_plan_a_past_day_of_a_rep(client, world, clock):
    """A past day's plan is what the day was measured against: a manager's plan of it is refused with the date's
    code, the day counted in the team's zone (00:30 in Shanghai is already the 18th there)."""
    body = {"rep_id": str(world.users["r1"]), "date": "2026-11-17"}
    for at in ("2026-11-18T10:00:00+08:00", "2026-11-18T00:30:00+08:00"):
        clock.set(at)
        refused = client.post("/api/routes/plan", json=body, headers=world.headers("m1"))
        assert refused.status_code == 422, refused.get_json()
        error = refused.get_json()["error"]
        assert error["code"] == "validation_failed" and error["field_codes"]["date"][0]["code"] == "past_day"
        assert client.get(f"/api/routes/{world.users['r1']}/2026-11-17", headers=world.headers("m1")).status_code == 404
    for day in ("2026-11-18", "2026-11-19"):
        planned = client.post("/api/routes/plan", json={**body, "date": day}, headers=world.headers("m1"))
        assert planned.status_code == 200, planned.get_json()
