"""The weekly PDCA review on a hand-built week, each figure counted by hand: r1's week of Monday
16 November 2026 (Shanghai), with the focus points set the week before."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.extensions import db
from server.models import Account, RoutePlan, RouteStop, Visit, WeeklyReview
from tests.records import add_visits, writing
from tests.reports.test_reports_api import get
from tests.sync.phone import Phone

SH = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 16)


def at(day, hh, mm=0):
    return datetime(2026, 11, day, hh, mm, tzinfo=SH)


@pytest.fixture
def week(app, world, clock):
    """Two accounts; plans for Monday (both) and Tuesday (A1); three visits; last week's focus."""
    clock.set(datetime(2026, 11, 25, 12, 0, tzinfo=SH))
    r1 = world.users["r1"]
    with writing(app):
        a1 = Account(name="Focus One", account_class="A", owner_id=r1, latitude=31.2, longitude=121.4)
        a2 = Account(name="Focus Two", account_class="B", owner_id=r1, latitude=31.21, longitude=121.41)
        db.session.add_all([a1, a2])
        db.session.flush()
        for day, stops in ((MONDAY, [a1, a2]), (MONDAY + timedelta(days=1), [a1])):
            plan = RoutePlan(rep_id=r1, plan_date=day, status="planned", total_travel_s=600, dropped=[])
            plan.stops = [
                RouteStop(account_id=a.id, position=i, planned_arrival=at(day.day, 9 + i)) for i, a in enumerate(stops)
            ]
            db.session.add(plan)
        add_visits(
            Visit(account_id=a1.id, rep_id=r1, purpose="Demo", check_in_at=at(16, 8, 40), check_out_at=at(16, 9, 10)),
            Visit(
                account_id=a2.id,
                rep_id=r1,
                purpose="Call",
                check_in_at=at(16, 10),
                check_out_at=at(16, 10, 5),
                met=False,
            ),
            Visit(account_id=a1.id, rep_id=r1, purpose="Order", check_in_at=at(17, 9, 10), check_out_at=at(17, 9, 40)),
            # The week before and the week after: not this week's.
            Visit(account_id=a2.id, rep_id=r1, purpose="Call", check_in_at=at(15, 23, 30), check_out_at=at(15, 23, 50)),
            Visit(account_id=a2.id, rep_id=r1, purpose="Call", check_in_at=at(23, 0, 10), check_out_at=at(23, 0, 30)),
        )
        db.session.add(
            WeeklyReview(
                rep_id=r1,
                week=MONDAY - timedelta(days=7),
                written_by=world.users["m1"],
                focus=[{"text": "See Focus Two twice", "account_id": str(a2.id)}, {"text": "More demos"}],
            )
        )
        db.session.commit()
        return {"a1": str(a1.id), "a2": str(a2.id)}


def review(client, world, who, query):
    return get(client, world, who, f"/api/reports/weekly-review?{query}")["reviews"]


def test_plan_do_check_and_last_weeks_focus_against_what_happened(client, world, week):
    [mine] = review(client, world, "r1", "week=2026-11-19")  # any day of the week names it
    assert (mine["week_start"], mine["week_end"]) == ("2026-11-16", "2026-11-22")
    assert mine["plan"] == {"planned_days": 2, "planned_stops": 3, "target": None}
    do = mine["do"]
    assert (do["visits"], do["face_to_face_visits"], do["not_met"]) == (3, 2, 1)
    assert do["first_visits"] == [
        {"date": "2026-11-16", "at": "08:40", "on_time": True},
        {"date": "2026-11-17", "at": "09:10", "on_time": False},
    ]
    assert (do["on_time_days"], do["days_with_visit"], do["first_appointment_time"]) == (1, 2, "08:45")
    assert do["face_to_face_pct"] is not None and do["not_met"] + do["face_to_face_visits"] == do["visits"]
    ratios = mine["check"]["ratios"]
    assert (ratios["calls"], ratios["meetings"], ratios["contacted"], ratios["conversations"]) == (3, 2, 2, 1)
    assert mine["check"]["hunting_farming"]["visits"] == 2  # the missed call is neither
    assert mine["last_week"]["focus"] == [
        {"text": "See Focus Two twice", "account_id": week["a2"], "account": "Focus Two", "visits": 1, "met_visits": 0},
        {"text": "More demos"},
    ]
    assert mine["last_week"]["written_by_name"] and mine["act"] == {
        "focus": [],
        "version": 0,
        "written_by_name": None,
        "written_at": None,
    }


def test_manager_and_rep_write_the_act_and_a_stale_write_is_refused(client, world, week):
    focus = [{"text": "See Focus One on Monday", "account_id": week["a1"]}, {"text": "  Ask for two demos "}]
    put = client.put(
        "/api/reports/weekly-review",
        headers=world.headers("m1"),
        json={"rep_id": str(world.users["r1"]), "week": "2026-11-16", "focus": focus, "version": 0},
    )
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["version"] == 1 and put.get_json()["focus"][1] == {"text": "Ask for two demos"}
    mine = client.put(
        "/api/reports/weekly-review",
        headers=world.headers("r1"),
        json={"week": "2026-11-20", "focus": focus[:1], "version": 1},
    )
    assert mine.status_code == 200 and mine.get_json()["version"] == 2
    stale = client.put(
        "/api/reports/weekly-review",
        headers=world.headers("m1"),
        json={"rep_id": str(world.users["r1"]), "week": "2026-11-16", "focus": [], "version": 1},
    )
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "version_conflict"
    [after] = review(client, world, "m1", f"week=2026-11-16&rep_id={world.users['r1']}")
    assert after["act"]["focus"] == [
        {"text": "See Focus One on Monday", "account_id": week["a1"], "account": "Focus One"}
    ]
    assert after["act"]["version"] == 2 and after["act"]["written_by_name"]
    # The next week's review and each of its daily reports show it, against what happened.
    [next_week] = review(client, world, "r1", "week=2026-11-23")
    assert next_week["last_week"]["focus"] == [
        {
            "text": "See Focus One on Monday",
            "account_id": week["a1"],
            "account": "Focus One",
            "visits": 0,
            "met_visits": 0,
        }
    ]
    daily = get(client, world, "r1", "/api/reports/daily?date=2026-11-24")["reports"][0]
    assert daily["week_focus"] == [{"text": "See Focus One on Monday", "account_id": week["a1"]}]


def test_bad_focus_and_other_territories_are_refused(client, world, week):
    r1 = str(world.users["r1"])
    cases = [
        ("m1", {"rep_id": r1, "week": "2026-11-16", "focus": [{"text": str(n)} for n in range(4)]}, 422, "focus"),
        ("m1", {"rep_id": r1, "week": "2026-11-16", "focus": [{"text": "   "}]}, 422, "focus"),
        ("m1", {"rep_id": r1, "week": "2026-11-16", "focus": [{"text": "x" * 201}]}, 422, "focus"),
        (
            "m1",
            {
                "rep_id": r1,
                "week": "2026-11-16",
                "focus": [{"text": "Theirs", "account_id": str(world.accounts["r2"])}],
            },
            422,
            "focus",
        ),
        ("m2", {"rep_id": r1, "week": "2026-11-16", "focus": []}, 404, "rep_id"),
        ("r2", {"rep_id": r1, "week": "2026-11-16", "focus": []}, 404, "rep_id"),
        ("m1", {"rep_id": str(world.users["m1"]), "week": "2026-11-16", "focus": []}, 404, "rep_id"),
    ]
    for who, body, status, field in cases:
        answer = client.put("/api/reports/weekly-review", headers=world.headers(who), json=body)
        assert answer.status_code == status, (who, body, answer.get_json())
        assert field in answer.get_json()["error"]["fields"], answer.get_json()
        if body.get("focus") and "account_id" in body["focus"][0]:  # the point's field, as a bound's would be
            assert answer.get_json()["error"]["fields"]["focus"] == {
                "0": {"account_id": ["Not one of the rep's accounts."]}
            }
            assert (
                answer.get_json()["error"]["field_codes"]["focus"]["0"]["account_id"][0]["code"] == "not_reps_account"
            )
    assert (
        client.get(f"/api/reports/weekly-review?week=2026-11-16&rep_id={r1}", headers=world.headers("r2")).status_code
        == 404
    )
    assert (
        client.get(f"/api/reports/weekly-review?week=2026-11-16&rep_id={r1}", headers=world.headers("m2")).status_code
        == 404
    )
    assert client.get("/api/reports/weekly-review?week=0001-01-01", headers=world.headers("r1")).status_code == 422


def test_a_team_week_has_a_review_per_rep_and_a_csv(client, world, week):
    team = review(client, world, "m1", "week=2026-11-16")
    assert [r["username"] for r in team] == ["r1", "r2"]
    assert team[1]["do"]["visits"] == 0 and team[1]["last_week"]["focus"] == []
    csv = client.get("/api/reports/weekly-review?week=2026-11-16&format=csv", headers=world.headers("m1"))
    lines = csv.get_data(as_text=True).splitlines()
    assert csv.status_code == 200 and len(lines) == 3
    header = lines[0].split(",")
    assert {"plan_planned_stops", "do_visits", "check_ratios_calls", "last_week_focus"} <= set(header)
    r1 = dict(zip(header, lines[1].split(",")))
    assert (r1["plan_planned_stops"], r1["do_visits"], r1["last_week_focus"]) == (
        "3",
        "3",
        "See Focus Two twice (1) | More demos (-)",
    )


def test_the_focus_points_reach_the_reps_phone_only(client, world, week):
    put = client.put(
        "/api/reports/weekly-review",
        headers=world.headers("m1"),
        json={"rep_id": str(world.users["r1"]), "week": "2026-11-16", "focus": [{"text": "Call back"}]},
    )
    assert put.status_code == 200
    mine, theirs = Phone(client, world.headers("r1")), Phone(client, world.headers("r2"))
    mine.pull()
    theirs.pull()
    reviews = {k: v for k, v in mine.store.items() if k[0] == "weekly_review"}
    assert len(reviews) == 2  # last week's and this week's
    assert {tuple(p["text"] for p in v["data"]["focus"]) for v in reviews.values()} == {
        ("See Focus Two twice", "More demos"),
        ("Call back",),
    }
    assert not [k for k in theirs.store if k[0] == "weekly_review"]
    # Read-only on the phone: a pushed change is refused, the record stays as it is.
    key = next(iter(reviews))
    mutation = mine.queue("weekly_review", "update", key[1], {"focus": []}, base_version=reviews[key]["version"])
    assert mine.push().status_code == 200
    assert mine.results[mutation["id"]]["status"] == "rejected"
    mine.pull()
    assert mine.store[key]["data"]["focus"] == reviews[key]["data"]["focus"]


def test_the_rep_and_the_manager_writing_the_act_at_the_same_moment(app, world, week):
    """Two real writers, each on its own thread and connection, 12 rounds: both read the version, then
    write at once with it. Exactly one of each round's writes lands, the other is a 409 (the first
    round creates the review: the loser meets the other's insert); without a version both land, in turn.
    Never a 500, and the stored focus is always one writer's whole list."""
    import threading

    r1 = str(world.users["r1"])
    writers = {"r1": {"week": "2026-11-16"}, "m1": {"rep_id": r1, "week": "2026-11-16"}}
    start = threading.Barrier(2)
    outcomes = []

    def write(who, round_no, version):
        client = app.test_client()
        body = {**writers[who], "focus": [{"text": f"{who} round {round_no} point {n}"} for n in range(2)]}
        if version is not None:
            body["version"] = version
        start.wait(10)
        answer = client.put("/api/reports/weekly-review", json=body, headers=world.headers(who))
        outcomes.append((round_no, who, answer.status_code, answer.get_json()))

    for round_no in range(12):
        current = get(app.test_client(), world, "r1", "/api/reports/weekly-review?week=2026-11-16")["reviews"][0]
        version = None if round_no == 11 else current["act"]["version"]
        threads = [threading.Thread(target=write, args=(who, round_no, version)) for who in writers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        codes = sorted(code for n, _, code, _ in outcomes if n == round_no)
        assert codes == ([200, 200] if version is None else [200, 409]), [o for o in outcomes if o[0] == round_no]
        stored = get(app.test_client(), world, "r1", "/api/reports/weekly-review?week=2026-11-16")["reviews"][0]["act"]
        winners = [body for n, _, code, body in outcomes if n == round_no and code == 200]
        assert stored["focus"] in [w["focus"] for w in winners]
        assert stored["version"] == current["act"]["version"] + len(winners)
    refusals = [body for *_, code, body in outcomes if code == 409]
    assert len(refusals) == 11 and all(b["error"]["code"] == "version_conflict" for b in refusals)
    with writing(app):
        assert db.session.query(WeeklyReview).filter_by(rep_id=world.users["r1"], week=MONDAY).count() == 1


def test_a_first_visit_is_told_in_whole_minutes_as_a_clock_reads_it():
    """08:59:40 reads 08:59, as the visit's own check-in time reads on every screen (the median of a single
    22:36:47 read 22:37 on the Team screen beside 22:36 on the daily report); hour and minute come from the one
    whole number (it read 08:00 when they were rounded apart)."""
    from server.reports.reads import hhmm as _hhmm

    assert (_hhmm(8 * 60 + 59 + 40 / 60), _hhmm(8 * 60 + 45.2), _hhmm(0.4), _hhmm(None)) == (
        "08:59",
        "08:45",
        "00:00",
        None,
    )
