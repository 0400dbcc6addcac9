"""A team's settings of the method: one resolver (server/team_settings.py) with the method's values as
defaults, the scoped API that reads and changes them (who changed them and when), and what a change
does: a team's cadence moves its overdue list, its planner's candidates and its cadence report, and no
other team's."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from server import team_settings
from server.extensions import db
from server.models import Account, Team, User, Visit
from server.team_settings import METHOD
from tests.records import add_visits, writing

NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai


def team_id(app, name):
    with app.app_context():
        return db.session.scalar(db.select(Team.id).where(Team.name == name))


# --- the resolver ------------------------------------------------------------------------------------------


def test_the_methods_values_are_the_defaults():
    """METHOD.md, 4, 6 and 8: A/B/C 7/14/30 days, the first appointment at 8:45; the planner's day and presets."""
    assert METHOD.cadence_days == {"A": 7, "B": 14, "C": 30}
    assert METHOD.first_appointment_time == time(8, 45)
    assert METHOD.service_minutes == {"A": 60, "B": 45, "C": 30}
    assert METHOD.lunch_seconds() == (12 * 3600, 13 * 3600, 45 * 60)
    assert METHOD.checkin_radius_m == 300.0 and METHOD.working_days == (1, 2, 3, 4, 5)
    assert METHOD.visit_purposes[0] == {"en": "First call", "zh-CN": "初次拜访"}
    assert (METHOD.cadence("A"), METHOD.cadence("Z"), METHOD.service("Z")) == (7, 30, 30)
    assert METHOD.is_working_day(date(2026, 11, 20)) and not METHOD.is_working_day(date(2026, 11, 21))


def test_a_team_without_settings_works_by_the_methods_and_a_saved_change_is_read_back(app, world):
    with writing(app):
        north = db.session.get(Team, team_id(app, "North"))
        before = team_settings.for_team(north)
        assert before.cadence_days == METHOD.cadence_days and before.team_id == north.id
        assert before.changed_by is None and before.timezone == "Asia/Shanghai"
        team_settings.save(
            north,
            {"cadence_days": {"A": 10}, "service_minutes": {"C": 20}, "lunch_minutes": 30, "working_days": [6, 1, 2]},
            by=world.users["m1"],
        )
        db.session.commit()
        after = team_settings.for_team(north.id)
        # Only what was sent changes; the rest stays the method's.
        assert after.cadence_days == {"A": 10, "B": 14, "C": 30}
        assert after.service_minutes == {"A": 60, "B": 45, "C": 20}
        assert after.lunch_seconds() == (12 * 3600, 13 * 3600, 30 * 60)
        assert after.working_days == (1, 2, 6) and after.first_appointment_time == time(8, 45)
        assert after.changed_by == world.users["m1"] and after.changed_at is not None
        # A rep's own first appointment wins over the team's; none of their own: the team's.
        r1 = db.session.get(User, world.users["r1"])
        r1.first_appointment_time = time(9, 15)
        assert team_settings.first_appointment(r1) == time(9, 15)
        assert team_settings.for_user(db.session.get(User, world.users["r3"])).cadence("A") == 7  # South: the method's
        assert team_settings.for_user(db.session.get(User, world.users["admin"])) is METHOD  # no team


def test_a_user_created_without_a_first_appointment_takes_the_teams_default(app, world):
    with writing(app):
        north = db.session.get(Team, team_id(app, "North"))
        team_settings.save(north, {"first_appointment_time": time(9, 15)}, by=None)
        db.session.commit()
        for name, team in (("new_north", north.id), ("new_south", team_id(app, "South")), ("own", north.id)):
            own = time(8, 0) if name == "own" else None
            db.session.add(User(username=name, password_hash="x", role="rep", team_id=team, first_appointment_time=own))
        db.session.commit()
        times = dict(db.session.execute(db.select(User.username, User.first_appointment_time)).all())
    assert (times["new_north"], times["new_south"], times["own"]) == (time(9, 15), time(8, 45), time(8, 0))


def test_a_users_team_is_looked_up_once_and_forgotten_when_they_move(app, world):
    """for_user_id (an account's owner's team, asked for by each of a snapshot's accounts) reads the user once
    per app context; moving the user to another team (users.services) makes it read them again."""
    from server.security import Principal
    from server.users import services as users

    with writing(app):
        north, south = db.session.get(Team, team_id(app, "North")), db.session.get(Team, team_id(app, "South"))
        team_settings.save(north, {"cadence_days": {"A": 10}}, by=None)
        r1 = world.users["r1"]
        assert team_settings.for_user_id(r1).cadence("A") == 10
        assert team_settings.for_user_id(r1) is team_settings.for_user_id(r1)
        admin = db.session.get(User, world.users["admin"])
        users.update_user(Principal(id=admin.id, role=admin.role, team_id=admin.team_id), r1, {"team_id": south.id})
        assert team_settings.for_user_id(r1).team_id == south.id and team_settings.for_user_id(r1).cadence("A") == 7
        assert team_settings.for_user_id(None) is METHOD


# --- the API -----------------------------------------------------------------------------------------------


def test_members_read_their_team_and_the_phone_reads_its_own_after_login(client, app, world):
    north, south = team_id(app, "North"), team_id(app, "South")
    own = client.get(f"/api/teams/{north}/settings", headers=world.headers("r1"))
    assert own.status_code == 200 and own.get_json()["cadence_days"] == {"A": 7, "B": 14, "C": 30}
    assert own.get_json()["changed_by"] is None and own.get_json()["first_appointment_time"] == "08:45"
    # Another team's settings are not there for a rep or its manager; an admin reads any.
    assert client.get(f"/api/teams/{south}/settings", headers=world.headers("r1")).status_code == 404
    assert client.get(f"/api/teams/{south}/settings", headers=world.headers("m1")).status_code == 404
    assert client.get(f"/api/teams/{south}/settings", headers=world.headers("admin")).status_code == 200
    mine = client.get("/api/settings", headers=world.headers("r3")).get_json()
    assert mine["team_id"] == str(south) and mine["my_first_appointment_time"] == "08:45"
    assert client.get("/api/settings").status_code == 401
    assert client.get(f"/api/teams/{north}/settings").status_code == 401


def test_a_manager_changes_their_team_only_an_admin_any_and_a_rep_none(client, app, world, clock):
    clock.freeze(NOW)
    north, south = team_id(app, "North"), team_id(app, "South")
    body = {"cadence_days": {"A": 10}}
    refused = client.patch(f"/api/teams/{north}/settings", json=body, headers=world.headers("r1"))
    assert refused.status_code == 403
    assert client.patch(f"/api/teams/{south}/settings", json=body, headers=world.headers("m1")).status_code == 404
    done = client.patch(f"/api/teams/{north}/settings", json=body, headers=world.headers("m1"))
    assert done.status_code == 200, done.get_json()
    answer = done.get_json()
    assert answer["cadence_days"] == {"A": 10, "B": 14, "C": 30}
    # Who changed them and when, by name for the screen.
    assert answer["changed_by"] == str(world.users["m1"]) and answer["changed_by_name"] == "m1"
    assert datetime.fromisoformat(answer["changed_at"]) == NOW
    clock.freeze(NOW + timedelta(hours=1))
    by_admin = client.patch(
        f"/api/teams/{south}/settings",
        json={"checkin_radius_m": 150, "timezone": "Asia/Urumqi", "visit_purposes": [{"en": "Audit", "zh-CN": "审计"}]},
        headers=world.headers("admin"),
    ).get_json()
    assert by_admin["changed_by_name"] == "admin" and by_admin["checkin_radius_m"] == 150.0
    assert by_admin["visit_purposes"] == [{"en": "Audit", "zh-CN": "审计"}]
    assert by_admin["visit_outcomes"] == [dict(p) for p in METHOD.visit_outcomes]
    # The team's own members see it; the time zone is the team's (the same as /api/teams says).
    seen = client.get("/api/settings", headers=world.headers("r3")).get_json()
    assert (seen["checkin_radius_m"], seen["timezone"]) == (150.0, "Asia/Urumqi")
    assert client.get(f"/api/teams/{south}", headers=world.headers("admin")).get_json()["timezone"] == "Asia/Urumqi"
    assert client.get("/api/settings", headers=world.headers("r1")).get_json()["checkin_radius_m"] == 300.0
    # Back to the method's presets with null.
    reset = client.patch(f"/api/teams/{south}/settings", json={"visit_purposes": None}, headers=world.headers("m2"))
    assert reset.get_json()["visit_purposes"] == [dict(p) for p in METHOD.visit_purposes]


@pytest.mark.parametrize(
    "body,field,code",
    [
        ({}, "_schema", "no_change"),
        ({"cadence_days": {"A": 0}}, "cadence_days", None),
        ({"cadence_days": {"D": 5}}, "cadence_days", None),
        ({"cadence_days": {"A": 2.5}}, "cadence_days", None),
        ({"service_minutes": {"B": 1000}}, "service_minutes", None),
        ({"first_appointment_time": "8:45pm"}, "first_appointment_time", "not_time"),
        ({"first_appointment_time": "21:00"}, "first_appointment_time", "morning_time"),
        ({"lunch_earliest": "14:00"}, "lunch_earliest", "lunch_order"),
        ({"lunch_earliest": "12:30", "lunch_latest": "12:00"}, "lunch_latest", "must_be_after"),
        ({"lunch_minutes": 5}, "lunch_minutes", "range_between"),
        ({"checkin_radius_m": -1}, "checkin_radius_m", "range_between"),
        ({"working_days": []}, "working_days", "length_between"),
        ({"working_days": [1, 1]}, "working_days", "listed_twice"),
        ({"working_days": [0]}, "working_days", None),
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown_time_zone"),
        ({"visit_purposes": [{"en": "Only English"}]}, "visit_purposes", None),
        ({"visit_purposes": [{"en": "  ", "zh-CN": "审计"}]}, "visit_purposes", None),
        ({"visit_outcomes": [{"en": "x", "zh-CN": "y"}] * 21}, "visit_outcomes", "too_long"),
        ({"colour": "blue"}, "colour", "unknown_field"),
    ],
)
def test_bad_settings_are_a_422_naming_the_field_and_change_nothing(client, app, world, body, field, code):
    north = team_id(app, "North")
    answer = client.patch(f"/api/teams/{north}/settings", json=body, headers=world.headers("m1"))
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert field in error["fields"]
    if code is not None:
        assert error["field_codes"][field][0]["code"] == code
    after = client.get(f"/api/teams/{north}/settings", headers=world.headers("m1")).get_json()
    assert after["changed_by"] is None and after["cadence_days"] == {"A": 7, "B": 14, "C": 30}


# --- a team's cadence changes that team's lists only (both databases) -------------------------------------


def _last_seen(app, world, days):
    """Each rep's account (class A) last met `days` before NOW."""
    with writing(app):
        for rep in ("r1", "r2", "r3"):
            db.session.query(Visit).filter(Visit.rep_id == world.users[rep]).delete()
            account = db.session.get(Account, world.accounts[rep])
            account.created_at = NOW - timedelta(days=60)
            at = NOW - timedelta(days=days)
            add_visits(
                Visit(
                    account_id=account.id,
                    rep_id=world.users[rep],
                    purpose="Follow-up",
                    check_in_at=at,
                    check_out_at=at + timedelta(minutes=30),
                )
            )
            account.last_contact_at = at
        db.session.commit()


def _overdue_ids(client, world):
    listed = client.get("/api/accounts?overdue=true&per_page=100", headers=world.headers("admin")).get_json()
    return {item["id"] for item in listed["items"]}


def _cadence_due(app, world, rep):
    from server.route_plans.planner import candidates

    with app.app_context():
        user = db.session.get(User, world.users[rep])
        stops = candidates(user, NOW.date() + timedelta(days=1), _zone(user))
        return {s.id: s.reason for s in stops}.get(str(world.accounts[rep]), "")


def _zone(user):
    from server.models.users import team_zone

    return team_zone(db.session.get(Team, user.team_id))


def _cadence_report(client, world, team):
    day = NOW.date().isoformat()
    answer = client.get(
        f"/api/reports/cadence?team_id={team}&from={day}&to={day}", headers=world.headers("admin")
    ).get_json()
    return answer["team"]["A_overdue"], [(o["name"], o["cadence_days"]) for o in answer["extra"]["overdue_accounts"]]


def test_a_cadence_of_ten_days_for_one_team_moves_its_lists_only(client, app, world, clock):
    clock.freeze(NOW)
    north, south = team_id(app, "North"), team_id(app, "South")
    _last_seen(app, world, 8)  # past the method's 7 days for A, within 10
    ids = {rep: str(world.accounts[rep]) for rep in ("r1", "r2", "r3")}
    # The method's 7 days: every A account is overdue, in every list.
    assert _overdue_ids(client, world) == set(ids.values())
    assert "cadence_due" in _cadence_due(app, world, "r1") and "cadence_due" in _cadence_due(app, world, "r3")
    assert _cadence_report(client, world, north) == (2, [("Account of r1", 7), ("Account of r2", 7)])
    assert _cadence_report(client, world, south) == (1, [("Account of r3", 7)])
    mine = client.get(f"/api/accounts/{ids['r1']}", headers=world.headers("r1")).get_json()
    assert (mine["overdue"], mine["cadence_days"]) == (True, 7)

    changed = client.patch(
        f"/api/teams/{north}/settings", json={"cadence_days": {"A": 10}}, headers=world.headers("m1")
    )
    assert changed.status_code == 200

    # North's accounts wait 10 days now; South's still 7.
    assert _overdue_ids(client, world) == {ids["r3"]}
    not_overdue = client.get("/api/accounts?overdue=false&per_page=100", headers=world.headers("admin")).get_json()
    assert {ids["r1"], ids["r2"]} <= {item["id"] for item in not_overdue["items"]}
    assert "cadence_due" not in _cadence_due(app, world, "r1") and "cadence_due" in _cadence_due(app, world, "r3")
    assert _cadence_report(client, world, north) == (0, [])
    assert _cadence_report(client, world, south) == (1, [("Account of r3", 7)])
    mine = client.get(f"/api/accounts/{ids['r1']}", headers=world.headers("r1")).get_json()
    assert (mine["overdue"], mine["cadence_days"]) == (False, 10)
    theirs = client.get(f"/api/accounts/{ids['r3']}", headers=world.headers("r3")).get_json()
    assert (theirs["overdue"], theirs["cadence_days"]) == (True, 7)

    # Past ten days, North's are overdue again, by its own cadence.
    _last_seen(app, world, 11)
    assert _overdue_ids(client, world) == set(ids.values())
    assert _cadence_report(client, world, north) == (2, [("Account of r1", 10), ("Account of r2", 10)])


# --- the planner and the reports read the team's day and radius ------------------------------------------


def test_the_planner_times_a_day_by_its_teams_visit_minutes_lunch_and_first_appointment(client, app, world, clock):
    clock.set(datetime(2026, 11, 18, 10, 0, tzinfo=UTC))  # the evening before, in Shanghai
    north = team_id(app, "North")
    body = {"date": "2026-11-19"}

    def plan(rep):
        answer = client.post("/api/routes/plan", json=body, headers=world.headers(rep))
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    before = plan("r1")
    assert [s["service_minutes"] for s in before["stops"]] == [60]  # the method's A visit
    assert before["lunch"]["minutes"] == 45
    changed = client.patch(
        f"/api/teams/{north}/settings",
        json={"service_minutes": {"A": 25}, "lunch_minutes": 30, "first_appointment_time": "10:30"},
        headers=world.headers("m1"),
    )
    assert changed.status_code == 200
    after = plan("r1")
    assert [s["service_minutes"] for s in after["stops"]] == [25]
    assert after["lunch"]["minutes"] == 30
    # The rep's own 08:45 (set when they were created) still wins over the team's new default.
    first = datetime.fromisoformat(after["stops"][0]["planned_arrival"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert first.time() == time(8, 45)
    assert [s["service_minutes"] for s in plan("r3")["stops"]] == [60]  # South: the method's


def test_the_activity_report_flags_check_ins_by_the_teams_radius(client, app, world, clock):
    clock.freeze(NOW)
    north = team_id(app, "North")
    with writing(app):
        for visit in db.session.query(Visit):
            visit.check_in_at, visit.check_out_at = NOW - timedelta(hours=3), NOW - timedelta(hours=2)
            visit.check_in_distance_m = 200.0
        db.session.commit()
    day = NOW.date().isoformat()

    def away(team):
        answer = client.get(
            f"/api/reports/activity?team_id={team}&from={day}&to={day}", headers=world.headers("admin")
        ).get_json()
        return answer["team"]["away_from_account"]

    assert (away(north), away(team_id(app, "South"))) == (0, 0)  # 200 m is within the method's 300 m
    client.patch(f"/api/teams/{north}/settings", json={"checkin_radius_m": 150}, headers=world.headers("m1"))
    assert (away(north), away(team_id(app, "South"))) == (2, 0)


def test_the_reminders_minutes_are_a_team_setting_the_phone_reads(client, world):
    """The phone's reminders (leave-by, appointment soon) take their minutes from here, 10 and 15 by default."""
    mine = client.get("/api/settings", headers=world.headers("r1")).get_json()
    assert (mine["leave_reminder_minutes"], mine["appointment_reminder_minutes"]) == (10, 15)
    north = client.get("/api/settings", headers=world.headers("m1")).get_json()["team_id"]
    url = f"/api/teams/{north}/settings"
    bad = client.patch(url, json={"appointment_reminder_minutes": 0}, headers=world.headers("m1"))
    assert bad.status_code == 422 and "appointment_reminder_minutes" in bad.get_json()["error"]["fields"]
    ok = client.patch(
        url, json={"leave_reminder_minutes": 5, "appointment_reminder_minutes": 20}, headers=world.headers("m1")
    )
    assert ok.status_code == 200
    mine = client.get("/api/settings", headers=world.headers("r1")).get_json()
    assert (mine["leave_reminder_minutes"], mine["appointment_reminder_minutes"]) == (5, 20)
    other = client.get("/api/settings", headers=world.headers("r3")).get_json()
    assert other["appointment_reminder_minutes"] == 15  # another team's stays the method's


# --- the history and a team created with its settings ---------------------------------------------------------


def test_each_change_is_kept_with_who_when_and_the_values_before_and_after(client, app, world, clock):
    north, south = team_id(app, "North"), team_id(app, "South")
    clock.freeze(NOW)
    client.patch(f"/api/teams/{north}/settings", json={"cadence_days": {"A": 10}}, headers=world.headers("m1"))
    clock.freeze(NOW + timedelta(hours=1))
    client.patch(
        f"/api/teams/{north}/settings",
        json={"lunch_earliest": "11:30", "checkin_radius_m": 300, "timezone": "Asia/Urumqi"},
        headers=world.headers("admin"),
    )
    # A value sent as it already was is no change; the history keeps none for it.
    client.patch(f"/api/teams/{north}/settings", json={"lunch_minutes": 45}, headers=world.headers("m1"))
    answer = client.get(f"/api/teams/{north}/settings/history", headers=world.headers("r1"))
    assert answer.status_code == 200, answer.get_json()
    page = answer.get_json()
    assert page["total"] == 2 and len(page["items"]) == 2
    newest, first = page["items"]
    assert (newest["changed_by_name"], datetime.fromisoformat(newest["changed_at"])) == (
        "admin",
        NOW + timedelta(hours=1),
    )
    assert sorted(newest["changes"], key=lambda c: c["field"]) == [
        {"field": "lunch_earliest", "before": "12:00", "after": "11:30"},
        {"field": "timezone", "before": "Asia/Shanghai", "after": "Asia/Urumqi"},
    ]
    assert first["changed_by"] == str(world.users["m1"]) and first["changed_by_name"] == "m1"
    assert first["changes"] == [
        {"field": "cadence_days", "before": {"A": 7, "B": 14, "C": 30}, "after": {"A": 10, "B": 14, "C": 30}}
    ]
    second = client.get(f"/api/teams/{north}/settings/history?per_page=1&page=2", headers=world.headers("m1"))
    assert [item["changed_by_name"] for item in second.get_json()["items"]] == ["m1"]
    # Another team's history is not the caller's; the other team has none.
    assert client.get(f"/api/teams/{north}/settings/history", headers=world.headers("m2")).status_code == 404
    assert client.get(f"/api/teams/{south}/settings/history", headers=world.headers("admin")).get_json()["total"] == 0


def test_an_admin_creates_a_team_with_its_manager_and_cadence_in_one_step(client, app, world, clock):
    clock.freeze(NOW)
    north = team_id(app, "North")
    body = {
        "name": "East",
        "timezone": "Asia/Shanghai",
        "manager_id": str(world.users["m1"]),
        "settings": {"cadence_days": {"A": 10}, "first_appointment_time": "09:00"},
    }
    assert client.post("/api/teams", json=body, headers=world.headers("m1")).status_code == 403
    made = client.post("/api/teams", json=body, headers=world.headers("admin"))
    assert made.status_code == 201, made.get_json()
    east = made.get_json()
    assert (east["name"], east["manager_id"], east["members"]) == ("East", str(world.users["m1"]), 1)
    settings = client.get(f"/api/teams/{east['id']}/settings", headers=world.headers("m1")).get_json()
    assert settings["cadence_days"] == {"A": 10, "B": 14, "C": 30} and settings["first_appointment_time"] == "09:00"
    assert settings["changed_by_name"] == "admin"
    history = client.get(f"/api/teams/{east['id']}/settings/history", headers=world.headers("m1")).get_json()
    assert [sorted(c["field"] for c in item["changes"]) for item in history["items"]] == [
        ["cadence_days", "first_appointment_time"]
    ]
    # The manager moved: the old team has no manager now, and its cadence is the method's still.
    assert client.get(f"/api/teams/{north}", headers=world.headers("admin")).get_json()["manager_id"] is None
    assert client.get("/api/settings", headers=world.headers("r1")).get_json()["cadence_days"]["A"] == 7

    taken = client.post("/api/teams", json={"name": "East"}, headers=world.headers("admin"))
    assert taken.status_code == 409
    not_a_manager = client.post(
        "/api/teams", json={"name": "West", "manager_id": str(world.users["r1"])}, headers=world.headers("admin")
    )
    assert not_a_manager.status_code == 404 and "manager_id" in not_a_manager.get_json()["error"]["fields"]
    bad = client.post(
        "/api/teams", json={"name": "West", "settings": {"cadence_days": {"A": 0}}}, headers=world.headers("admin")
    )
    assert bad.status_code == 422 and "settings" in bad.get_json()["error"]["fields"]
    lunch = {"name": "West", "settings": {"lunch_earliest": "13:30"}}  # after the method's latest start
    crossed = client.post("/api/teams", json=lunch, headers=world.headers("admin"))
    assert crossed.status_code == 422 and "lunch_earliest" in crossed.get_json()["error"]["fields"]["settings"]
    teams = client.get("/api/teams", headers=world.headers("admin")).get_json()["items"]
    assert "West" not in {team["name"] for team in teams}
