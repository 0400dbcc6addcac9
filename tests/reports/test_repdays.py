"""The rep-days kept on write (server/reports/repdays.py) against the rows themselves.

Data goes in through the write paths a rep and the server use: visits and activities through the REST API
(created, one edited to another day and to "not met", one deleted, one cancelled), through a sync push
(created, then edited and deleted by a second push), a route plan and its stops written and re-planned,
and a visit past midnight and one from the evening before the period. Then:

- the kept rows equal the rows recomputed from scratch from the visits, activities and plans (`rebuild`);
- each report that reads them answers exactly as it does reading every visit and activity instead;
- a record running into a day from two days before, and a team's change of time zone, make the reports
  read the rows themselves."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import RepDay, RoutePlan, RouteStop, Team, User
from server.models.users import team_zone
from server.reports import repdays
from server.reports.scope import Scope
from tests.records import writing
from tests.sync.phone import Phone

SH = ZoneInfo("Asia/Shanghai")
NOVEMBER = "from=2026-11-01&to=2026-11-30"
REPORTS = ("time-ratios", "first-appointment", "activity", "scorecard")


def at(day, hh, mm=0, ss=0):
    return datetime(2026, 11, day, hh, mm, ss, tzinfo=SH)


def iso(day, hh, mm=0, ss=0):
    return at(day, hh, mm, ss).isoformat()


def _kept():
    """{(rep, day): figures} as the table holds them."""
    rows = db.session.connection().execute(select(RepDay.__table__)).mappings().all()
    return {(r["rep_id"], r["day"]): {k: v for k, v in r.items()} for r in rows}


def _scope(world, start, end):
    """The North team's reps over start..end, in the team's zone."""
    team = db.session.get(Team, db.session.get(User, world.users["m1"]).team_id)
    reps = db.session.scalars(select(User).where(User.team_id == team.id, User.role == "rep")).all()
    return Scope(team, reps, team_zone(team), start, end)


def _answers(client, headers, query=NOVEMBER):
    return {name: client.get(f"/api/reports/{name}?{query}", headers=headers).get_json() for name in REPORTS}


@pytest.fixture
def recorded(app, client, world, clock):
    """r1's and r2's November through the API, a sync push and a route plan (see the module's docstring)."""
    clock.set(at(28, 20))
    r1, r2 = world.headers("r1"), world.headers("r2")
    account = str(world.accounts["r1"])

    def post(path, body, headers=r1):
        answer = client.post(path, json=body, headers=headers)
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()

    def visit(day, hh, mm, minutes, **extra):
        body = {"account_id": account, "purpose": "Demo", "check_in_at": iso(day, hh, mm)}
        if minutes is not None:
            body["check_out_at"] = (at(day, hh, mm) + timedelta(minutes=minutes)).isoformat()
        return post("/api/visits", {**body, **extra})

    # 3 Nov: a visit 08:40 for an hour, an admin hour over it, a visit not met; 4 Nov: one past midnight.
    visit(3, 8, 40, 60)
    post("/api/activities", {"category": "admin", "started_at": iso(3, 9), "ended_at": iso(3, 10)})
    visit(3, 10, 0, 20, met=False)
    visit(4, 23, 0, 90)
    visit(1, 0, 0, 0)  # a zero-length visit at midnight on 1 Nov
    # 31 Oct 22:00 to 1 Nov 01:00: from the evening before the period.
    post(
        "/api/visits",
        {
            "account_id": account,
            "purpose": "Late",
            "check_in_at": datetime(2026, 10, 31, 22, tzinfo=SH).isoformat(),
            "check_out_at": iso(1, 1),
        },
    )
    # 10 Nov: a visit edited to the 11th and to "not met"; one deleted; one cancelled; an open one.
    edited = visit(10, 9, 5, 30)
    moved = {"check_in_at": iso(11, 8, 50, 30), "check_out_at": iso(11, 9, 40), "met": False}
    assert client.patch(f"/api/visits/{edited['id']}", json=moved, headers=r1).status_code == 200
    gone = visit(12, 8, 30, 45)
    assert client.delete(f"/api/visits/{gone['id']}", headers=r1).status_code == 204
    cancelled = visit(13, 8, 0, 30)
    patch = {"cancelled_at": iso(13, 12), "cancel_reason": "Wrong account"}
    assert client.patch(f"/api/visits/{cancelled['id']}", json=patch, headers=r1).status_code == 200
    visit(13, 9, 0, None)
    post("/api/activities", {"category": "travel", "started_at": iso(13, 8, 20), "ended_at": iso(13, 8, 59, 17)})
    post("/api/activities", {"category": "meeting", "started_at": iso(14, 16)})  # still open
    # r2 through a sync push: a day of visits and travel; then a second push edits one and deletes another.
    phone = Phone(client, r2)
    theirs = str(world.accounts["r2"])
    kept_id = phone.create(
        "visit", {"account_id": theirs, "purpose": "Call", "check_in_at": iso(17, 8, 45), "check_out_at": iso(17, 9)}
    )
    dropped_id = phone.create(
        "visit",
        {"account_id": theirs, "purpose": "Call", "check_in_at": iso(17, 10), "check_out_at": iso(17, 10, 40)},
    )
    phone.create("activity", {"category": "travel", "started_at": iso(17, 8), "ended_at": iso(17, 8, 45)})
    assert phone.push().status_code == 200
    phone.outbox.clear()
    phone.queue("visit", "update", kept_id, {"check_out_at": iso(17, 9, 25, 40)}, 1)
    phone.queue("visit", "delete", dropped_id, base_version=1)
    results = phone.push().get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]
    # A route plan for r1 on 3 Nov, re-planned (a stop moved to another account); r2's plan on the 17th.
    with writing(app):
        other = world.accounts["r2"]
        plan = RoutePlan(rep_id=world.users["r1"], plan_date=date(2026, 11, 3), dropped=[])
        plan.stops = [
            RouteStop(position=0, account_id=world.accounts["r1"], planned_arrival=at(3, 8, 30)),
            RouteStop(position=1, account_id=other, planned_arrival=at(3, 10)),
        ]
        theirs_plan = RoutePlan(rep_id=world.users["r2"], plan_date=date(2026, 11, 17), dropped=[])
        theirs_plan.stops = [RouteStop(position=0, account_id=world.accounts["r2"], planned_arrival=at(17, 8, 45))]
        db.session.add_all([plan, theirs_plan])
        db.session.commit()
        plan.stops[1].account_id = world.accounts["r1"]  # the re-plan: both stops at the visited account
        db.session.commit()
    return world


def _rebuilt(app):
    """The kept rows, and the rows recomputed from scratch."""
    with app.app_context():
        kept = _kept()
        with db.engine.begin() as conn:
            repdays.rebuild(conn)
        return kept, _kept()


def test_the_kept_rows_equal_a_recomputation_from_the_records(app, client, recorded):
    kept, again = _rebuilt(app)
    assert kept == again
    # A manager deletes r2's account: the database takes its visits and planned stops with it.
    r2_day = (recorded.users["r2"], date(2026, 11, 17))
    response = client.delete(f"/api/accounts/{recorded.accounts['r2']}", headers=recorded.headers("m1"))
    assert response.status_code == 204
    after, again_after = _rebuilt(app)
    assert after == again_after
    assert (after[r2_day]["visits"], after[r2_day]["planned"], after[r2_day]["travel_min"]) == (0, 0, 45.0)
    r1 = recorded.users["r1"]
    # Counted by hand: the plan of 3 Nov, both stops at the account r1 visited that day, after the re-plan.
    assert (kept[(r1, date(2026, 11, 3))]["planned"], kept[(r1, date(2026, 11, 3))]["planned_done"]) == (2, 2)
    # The deleted visit's day holds nothing; the edited visit moved to the 11th, not met: 50 min travel.
    assert (r1, date(2026, 11, 12)) not in kept and (r1, date(2026, 11, 10)) not in kept
    moved = kept[(r1, date(2026, 11, 11))]
    assert (moved["visits"], moved["not_met"], moved["travel_min"]) == (1, 1, pytest.approx(49.5))
    # The cancelled visit counts for nothing: the 13th has the open visit and 39 min 17 s travel.
    day = kept[(r1, date(2026, 11, 13))]
    assert (day["visits"], day["open_visits"], day["with_purpose"]) == (1, 1, 1)
    assert day["travel_min"] == pytest.approx(39 + 17 / 60)
    r2 = kept[(recorded.users["r2"], date(2026, 11, 17))]
    # The second push: one visit left, 08:45 to 09:25:40 face to face; the travel from 08:00.
    assert (r2["visits"], r2["face_to_face_min"], r2["span_min"]) == (1, pytest.approx(40 + 40 / 60), 85 + 40 / 60)


def test_the_reports_answer_as_from_the_records(app, client, recorded, monkeypatch, clock):
    headers = recorded.headers("m1")
    clock.freeze(at(28, 20))  # the answers say when they were read as of: the same instant for both
    for query in (NOVEMBER, "from=2026-11-03&to=2026-11-05", "from=2026-11-17&to=2026-11-17"):
        fast = _answers(client, headers, query)
        with app.app_context():
            period = dict(part.split("=") for part in query.split("&"))
            scope = _scope(recorded, date.fromisoformat(period["from"]), date.fromisoformat(period["to"]))
            assert repdays.read(scope) is not None  # the rep-days answer for it
        monkeypatch.setattr(repdays, "read", lambda scope: None)
        slow = _answers(client, headers, query)
        monkeypatch.undo()
        for name in REPORTS:
            assert fast[name] == slow[name], (query, name)
    month = _answers(client, headers)
    r1 = next(r for r in month["first-appointment"]["rows"] if r["username"] == "r1")
    # Worked: 1, 2 (the world's visit), 3, 4, 5 (the visit past midnight ends there), 11, 13, 14 November.
    assert r1["working_days"] == 8


def test_a_day_run_into_from_two_days_before_and_a_new_zone_read_the_records(app, client, recorded):
    headers = recorded.headers("r1")
    body = {"category": "meeting", "started_at": iso(20, 9), "ended_at": iso(23, 10)}
    assert client.post("/api/activities", json=body, headers=headers).status_code == 201
    with app.app_context():
        kept = _kept()
        r1 = recorded.users["r1"]
        assert [kept[(r1, date(2026, 11, d))]["odd"] for d in (20, 21, 22, 23)] == [False, False, True, True]
        team = db.session.get(User, r1).team_id
        # The 23rd worked out alone (as a later write of that day does) reads the meeting still running into
        # it, started three days before.
        [again] = repdays.compute(db.session.connection(), r1, ZoneInfo("Asia/Shanghai"), {date(2026, 11, 23)})
        assert again["odd"] and again["meeting_min"] > 0
        assert {k: again[k] for k in repdays.FIGURES} == {k: kept[(r1, date(2026, 11, 23))][k] for k in repdays.FIGURES}
    before = client.get(f"/api/reports/time-ratios?{NOVEMBER}", headers=recorded.headers("m1")).get_json()
    # From the 22nd the reports do not read the meeting (it started before the evening before): nor do they
    # read the rep-days' figures for those days.
    late = client.get(
        "/api/reports/time-ratios?from=2026-11-22&to=2026-11-23", headers=recorded.headers("m1")
    ).get_json()
    row = next(r for r in late["rows"] if r["username"] == "r1")
    assert row["working_days"] == 0 and row["meeting_min"] == 0
    with writing(app):
        db.session.get(Team, team).timezone = "Asia/Tokyo"
        db.session.commit()
    with app.app_context():
        assert repdays.read(_scope(recorded, date(2026, 11, 1), date(2026, 11, 30))) is None  # dated in Shanghai
    after = client.get(f"/api/reports/time-ratios?{NOVEMBER}", headers=recorded.headers("m1")).get_json()
    # Days with recorded time: 1-5, 11, 13 and 20-23 in Shanghai; in Tokyo the visit of 4 Nov 23:00 starts on the
    # 5th, so the 4th has none.
    days = [next(r for r in report["rows"] if r["username"] == "r1")["working_days"] for report in (before, after)]
    assert days == [11, 10]


def test_a_zone_changed_through_the_api_dates_the_kept_days_again(app, client, recorded, monkeypatch, clock):
    """A team's new time zone (PATCH /api/teams/{id}), and a rep moved to a team in another zone (PATCH
    /api/users/{id}), date the kept rows again in the same request: the reports read them, not the records,
    and answer as the records say."""
    r1, r2 = recorded.users["r1"], recorded.users["r2"]
    with app.app_context():
        north = db.session.get(User, r1).team_id
        south = db.session.get(User, recorded.users["r3"]).team_id
    moved = client.patch(f"/api/teams/{north}", json={"timezone": "Asia/Tokyo"}, headers=recorded.headers("m1"))
    assert moved.status_code == 200, moved.get_json()
    with app.app_context():
        kept = _kept()
        assert {row["tz"] for row in kept.values() if row["rep_id"] in (r1, r2)} == {"Asia/Tokyo"}
        assert repdays.read(_scope(recorded, date(2026, 11, 1), date(2026, 11, 30))) is not None
        repdays.rebuild(db.session.connection(), [r1, r2])
        assert _kept() == kept  # what a rebuild from the records gives
        db.session.rollback()
    headers = recorded.headers("m1")
    clock.freeze(at(28, 20))
    fast = _answers(client, headers)
    monkeypatch.setattr(repdays, "read", lambda scope: None)
    slow = _answers(client, headers)
    monkeypatch.undo()
    for name in REPORTS:
        assert fast[name] == slow[name], name
    # r1 moves to the South team, in Shanghai: their days are dated in Shanghai again.
    to_south = client.patch(f"/api/users/{r1}", json={"team_id": str(south)}, headers=recorded.headers("admin"))
    assert to_south.status_code == 200, to_south.get_json()
    with app.app_context():
        assert {row["tz"] for row in _kept().values() if row["rep_id"] == r1} == {"Asia/Shanghai"}
