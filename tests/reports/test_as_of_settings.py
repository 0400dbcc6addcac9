"""A past period's figures read the team's settings as they stood at its end: the check-in radius and the
working days changed on 3 December change none of October's figures, while December reads the new ones."""

from sqlalchemy import select

from server.extensions import db
from server.models import User, UserChange, Visit
from tests.records import add_visits, writing
from tests.reports import test_as_of as base

OCT = base.OCT
october = base.october  # r1's October (tests/reports/test_as_of.py)


def _october(client, world):
    """Every report of October (team and r1, JSON and CSV), r1's day of the far check-in, r1's weekly review."""
    answers = base._every_figure(client, world)
    r1 = world.users["r1"]
    answers["daily 14"] = base.get(client, world, "m1", f"/api/reports/daily?date=2026-10-14&rep_id={r1}")
    answers["weekly 12"] = base.get(client, world, "m1", f"/api/reports/weekly-review?week=2026-10-12&rep_id={r1}")
    return answers


def _far_visit(app, world, october, month, day):
    """A met visit by r1 checked in 476 m from account 1: away under the team's 300 m, not under 1 000 m."""
    with writing(app):
        add_visits(
            Visit(
                account_id=october["accounts"][0],
                rep_id=world.users["r1"],
                purpose="Far",
                check_in_at=base.at(month, day, 9),
                check_out_at=base.at(month, day, 10),
                check_in_distance_m=476.5,
            )
        )
        db.session.commit()


def test_settings_changed_after_october_change_none_of_octobers_figures(app, client, world, october):
    _far_visit(app, world, october, 10, 14)
    target = {"rep_id": str(world.users["r1"]), "month": "2026-10", "amount": 220000}
    assert client.put("/api/reports/targets/monthly", json=target, headers=world.headers("m1")).status_code == 200
    before = _october(client, world)
    assert before[("activity", "m1")]["team"]["away_from_account"] == 1
    assert [v["away"] for v in before["daily 14"]["reports"][0]["visits"]] == [True]
    targets = before[("targets", "m1")]["rows"][0]
    assert (targets["working_days"], targets["target_per_day"]) == (22, 10000.0)  # October 2026: 22 weekdays
    with writing(app):
        north = db.session.get(User, world.users["r1"]).team_id
    change = {"checkin_radius_m": 1000, "working_days": [1, 2, 3, 4, 5, 6]}
    response = client.patch(f"/api/teams/{north}/settings", json=change, headers=world.headers("m1"))
    assert response.status_code == 200, response.get_json()
    after = _october(client, world)
    assert [key for key in before if before[key] != after[key]] == []
    # December, the period holding the change, reads the new radius and working days.
    _far_visit(app, world, october, 12, 2)
    december = base.get(client, world, "m1", "/api/reports/activity?from=2026-12-01&to=2026-12-31")
    assert december["team"]["away_from_account"] == 0
    target = {**target, "month": "2026-12"}
    assert client.put("/api/reports/targets/monthly", json=target, headers=world.headers("m1")).status_code == 200
    targets = base.get(client, world, "m1", "/api/reports/targets?from=2026-12-01&to=2026-12-31")["rows"][0]
    assert targets["working_days"] == 27  # December 2026: 27 days from Monday to Saturday


def test_a_face_time_goal_set_after_october_judges_none_of_octobers_figures(app, client, world, october, clock):
    h = world.headers("m1")
    with writing(app):
        north = str(db.session.get(User, world.users["r1"]).team_id)
    clock.set(base.at(10, 1, 9))  # October's goal, set on its first day
    goal = {"team_id": north, "face_time_target_pct": 10}
    assert client.put("/api/reports/face-time-target", json=goal, headers=h).status_code == 200
    clock.set(base.at(12, 3))
    before = _october(client, world)
    ratios = before[("time-ratios", "m1")]["extra"]
    assert (ratios["face_time_target_pct"], ratios["face_time_target_set_by_name"]) == (10, "m1")
    assert ratios["face_time_target_set_at"].startswith("2026-10-01T01:00:00")
    assert [r["meets_target"] for r in before[("time-ratios", "m1")]["rows"]] == [True, False]  # r1 met; r2 none
    assert before[("scorecard", "m1")]["extra"]["rules"]["face_to_face"]["goal_pct"] == 10
    goal["face_time_target_pct"] = 90
    assert client.put("/api/reports/face-time-target", json=goal, headers=h).status_code == 200
    after = _october(client, world)
    assert [key for key in before if before[key] != after[key]] == []
    # The change is in the team's settings' history, and December, the period holding it, reads the new goal.
    history = client.get(f"/api/teams/{north}/settings/history", headers=h).get_json()["items"]
    assert history[0]["changes"] == [{"field": "face_time_target_pct", "before": 10, "after": 90}]
    december = base.get(client, world, "m1", "/api/reports/time-ratios?from=2026-12-01&to=2026-12-31")["extra"]
    assert (december["face_time_target_pct"], december["face_time_target_set_by_name"]) == (90, "m1")


def test_a_reps_first_appointment_changed_after_october_changes_none_of_octobers_days(app, client, world, october):
    before = _october(client, world)
    first = before[("first-appointment", "m1")]["rows"][0]
    assert (first["first_appointment_time"], first["on_time_days"]) == ("08:45", 0)  # r1's visits began at 10:00
    r1 = world.users["r1"]
    response = client.patch(f"/api/users/{r1}", json={"first_appointment_time": "10:00"}, headers=world.headers("m1"))
    assert response.status_code == 200, response.get_json()
    after = _october(client, world)
    assert [key for key in before if before[key] != after[key]] == []
    # The change is kept in the users' history, and December, the period holding it, reads the new time.
    with writing(app):
        changes = db.session.scalars(select(UserChange.changes).where(UserChange.user_id == r1)).all()
    assert changes == [{"first_appointment_time": ["08:45", "10:00"]}]
    _far_visit(app, world, october, 12, 2)  # checked in at 09:00: on time by 10:00
    december = base.get(client, world, "r1", "/api/reports/first-appointment?from=2026-12-01&to=2026-12-31")
    assert (december["rows"][0]["first_appointment_time"], december["rows"][0]["on_time_days"]) == ("10:00", 1)
