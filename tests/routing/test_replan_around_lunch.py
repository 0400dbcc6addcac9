"""Re-planning the rest of today around lunch, through the API and on the demo data; and a day the
optimiser refuses, named by its accounts."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.records import writing
from tests.routing.test_planning import _more_accounts

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _replan(client, world, clock, at, rep="r1"):
    """Re-plan the rest of 10 November from here at `at`, the server's clock at that moment (a past day is
    not planned)."""
    clock.set(at)
    here = {"latitude": 31.215, "longitude": 121.46, "at": at}
    body = {"date": "2026-11-10", "start": here, "preview": True}
    return client.post("/api/routes/plan", json=body, headers=world.headers(rep))


def test_replanning_the_rest_of_today_during_the_lunch_window_keeps_the_stops(app, client, world, clock):
    """Lunch 12:00-13:00 for 45 minutes: at 12:30 the rest of the day used to come back empty."""
    _more_accounts(app, world)
    morning = _replan(client, world, clock, "2026-11-10T11:00:00+08:00").get_json()
    assert len(morning["stops"]) >= 3
    answers = {
        at: _replan(client, world, clock, f"2026-11-10T{at}:00+08:00") for at in ("12:15", "12:17", "12:30", "13:00")
    }
    assert {at: r.status_code for at, r in answers.items()} == dict.fromkeys(answers, 200)
    kept = {at: len(r.get_json()["stops"]) for at, r in answers.items()}
    assert kept == dict.fromkeys(answers, len(morning["stops"]))  # every stop still fits: none dropped
    for at, response in answers.items():
        plan = response.get_json()
        assert plan["empty_reason"] is None and not plan["dropped"], at
        lunch = plan["lunch"]
        assert lunch["status"] == "planned" and lunch["minutes"] == 45, at
        start = datetime.fromisoformat(lunch["start"])
        assert f"2026-11-10T{at}:00+08:00" <= start.astimezone(SHANGHAI).isoformat() <= "2026-11-10T13:00:00+08:00"
        for stop in plan["stops"]:  # lunch never overlaps a visit
            arrival = datetime.fromisoformat(stop["planned_arrival"])
            assert (
                arrival >= start + timedelta(minutes=45)
                or arrival + timedelta(minutes=stop["service_minutes"]) <= start
            ), at
    after = _replan(client, world, clock, "2026-11-10T13:05:00+08:00").get_json()
    assert len(after["stops"]) == len(morning["stops"])
    assert after["lunch"] == {"status": "skipped", "reason": "window_passed", "minutes": 45}


def test_an_empty_rest_of_the_day_says_why(app, client, world, clock):
    response = _replan(client, world, clock, "2026-11-10T18:55:00+08:00")
    plan = response.get_json()
    assert response.status_code == 200, plan
    assert plan["stops"] == [] and plan["empty_reason"] == "none_fits"
    assert plan["dropped"] and all(d["reason"] == "no_time_left" for d in plan["dropped"])


def test_mandatory_stops_that_cannot_all_fit_are_named_by_their_accounts(app, client, world, clock):
    """Two accounts pinned to the same minute: the error names both accounts; the ids come beside."""
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    ids = _more_accounts(app, world)[:2]
    body = {"date": "2026-11-10", "pins": [{"account_id": a, "at": "10:00"} for a in ids]}
    response = client.post("/api/routes/plan", json=body, headers=world.headers("r1"))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "unplannable" and error["reason"] == "mandatory_stops_do_not_fit"
    message = error["fields"]["stops"][0]
    assert "Extra 0" in message and "Extra 1" in message
    assert not any(a in message or a in error["message"] for a in ids)  # names, not ids, are read
    assert set(ids) <= set(error["stop_ids"])
    named = {s["account_id"]: s["name"] for s in error["stops"]}
    assert named[ids[0]] == "Extra 0" and named[ids[1]] == "Extra 1"
    assert error["field_codes"]["stops"][0]["code"] == "plan_do_not_fit"
    assert "Extra 0" in error["field_codes"]["stops"][0]["params"]["names"]


def test_the_demo_days_replanned_every_five_minutes_keep_their_stops_and_lunch(app, clock):
    """The demo data (as `flask seed-demo` writes it), its first working day ahead: the rest of the
    day re-planned at every 5 minutes from 07:00 to 18:00, each minute by one of the reps in turn."""
    from server.demo import seed
    from server.extensions import db
    from server.models import User
    from server.route_plans.planner import Start, plan_day

    today = date(2026, 11, 9)  # a Monday: the appointments start on Tuesday
    day = today + timedelta(days=1)
    clock.freeze(datetime.combine(today, time(18), SHANGHAI).isoformat())
    with writing(app):
        seed("demo-password", reps=4, accounts_per_rep=40, weeks=2, today=today)
        reps = db.session.query(User).filter_by(role="rep").order_by(User.username).all()
        minutes = range(7 * 60, 18 * 60 + 1, 5)
        for step, minute in enumerate(minutes):
            rep = reps[step % len(reps)]
            at = datetime.combine(day, time(minute // 60, minute % 60), SHANGHAI)
            label = f"{rep.username} at {at:%H:%M}"
            plan = plan_day(
                rep.id, day, time_limit_s=0.05, by=rep.id, start=Start(rep.start_lat, rep.start_lng, at), preview=True
            )
            stops = plan["stops"]
            if minute < 17 * 60:  # a demo territory always has a stop within reach this early
                assert stops, f"{label}: an empty day ({plan['empty_reason']})"
            if not stops:
                assert plan["empty_reason"], label
            assert all(datetime.fromisoformat(s["planned_arrival"]) >= at for s in stops), label
            lunch = plan["lunch"]
            if minute > 13 * 60:
                assert lunch == {"status": "skipped", "reason": "window_passed", "minutes": 45}, label
            elif lunch["status"] == "planned":
                start = datetime.fromisoformat(lunch["start"])
                assert max(at, datetime.combine(day, time(12), SHANGHAI)) <= start, label
                assert start <= datetime.combine(day, time(13), SHANGHAI), label
                for s in stops:
                    arrival = datetime.fromisoformat(s["planned_arrival"])
                    leaves = arrival + timedelta(minutes=s["service_minutes"])
                    assert leaves <= start or arrival >= start + timedelta(minutes=45), label
            elif lunch["status"] == "after_the_day":
                last = max((datetime.fromisoformat(s["planned_arrival"]) for s in stops), default=at)
                assert last <= datetime.combine(day, time(13), SHANGHAI), label
            else:
                assert lunch == {"status": "skipped", "reason": "no_room", "minutes": 45}, label
