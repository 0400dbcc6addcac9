"""A past period's figures read the team's settings as they stood at its end: the check-in radius and the
working days changed on 3 December change none of October's figures, while December reads the new ones."""

from server.extensions import db
from server.models import User, Visit
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
