"""A past period's team reports list the reps the team had by its end: a rep taken on on 3 December is in
none of October's answers (no zero row in any report, the weekly review, the daily report or the overdue
list), while December, the period that holds their first day, lists them."""

from sqlalchemy import func, select

from server.extensions import db
from server.models import User, UserChange
from tests.conftest import TAKEN_ON
from tests.records import statements_run, writing
from tests.reports import test_as_of as base
from tests.reports.test_as_of_accounts import leaver  # noqa: F401 (r4, taken on 1 September)

OCT = base.OCT
october = base.october  # r1's October (tests/reports/test_as_of.py)


def _october(client, world):
    """Every report of October (team and r1, JSON and CSV), and the team's lists of reps of October."""
    answers = base._every_figure(client, world)
    for name in base.REPORTS:
        if "weeks" in base.REPORTS[name].tables:
            csv = client.get(f"/api/reports/{name}?{OCT}&format=csv&table=weeks", headers=world.headers("m1"))
            answers[(name, "weeks")] = csv.get_data(as_text=True)
    answers["weekly team"] = base.get(client, world, "m1", "/api/reports/weekly-review?week=2026-10-19")
    answers["weekly csv"] = client.get(
        "/api/reports/weekly-review?week=2026-10-19&format=csv", headers=world.headers("m1")
    ).get_data(as_text=True)
    answers["daily team"] = base.get(client, world, "m1", "/api/reports/daily?date=2026-10-21")
    answers["overdue"] = base.get(client, world, "m1", f"/api/reports/overdue?{OCT}&per_page=100")
    return answers


def _names(answer):
    return [row["username"] for row in answer["rows"]]


def test_a_rep_taken_on_after_october_is_in_none_of_octobers_answers(client, world, october, leaver):  # noqa: F811
    before = _october(client, world)
    assert _names(before[("activity", "m1")]) == ["r1", "r2", "r4"]
    body = {"username": "r5", "role": "rep", "password": "Taken-on-3-Dec", "start_lat": 31.2, "start_lng": 121.4}
    response = client.post("/api/users", json=body, headers=world.headers("m1"))
    assert response.status_code == 201, response.get_json()
    r5 = response.get_json()["id"]
    after = _october(client, world)
    changed = [key for key in before if before[key] != after[key]]
    assert changed == [], changed
    # December, the period holding their first day, lists them, in every report and the weekly review.
    for name in base.REPORTS:
        december = base.get(client, world, "m1", f"/api/reports/{name}?from=2026-12-01&to=2026-12-31")
        assert r5 in [row.get("rep_id") for row in december["rows"]] or name == "installed-base", name
    week = base.get(client, world, "m1", "/api/reports/weekly-review?week=2026-11-30")["reviews"]
    assert r5 in [review["rep_id"] for review in week]
    # Asked for by name, the rep has their own report of any period (an empty October).
    alone = base.get(client, world, "m1", f"/api/reports/activity?{OCT}&rep_id={r5}")
    assert [(row["rep_id"], row["visits"]) for row in alone["rows"]] == [(r5, 0)]


def test_a_period_before_the_team_had_a_rep_answers_with_no_rows(client, world, clock):
    clock.set(base.at(12, 3))
    period = "from=2019-06-01&to=2019-06-30"  # the world's people were taken on in 2020
    for name in base.REPORTS:
        answer = base.get(client, world, "m1", f"/api/reports/{name}?{period}")
        assert answer["rows"] == [], name
        csv = client.get(f"/api/reports/{name}?{period}&format=csv", headers=world.headers("m1"))
        assert csv.status_code == 200, name
    assert base.get(client, world, "m1", "/api/reports/weekly-review?week=2019-06-03")["reviews"] == []
    assert base.get(client, world, "m1", "/api/reports/daily?date=2019-06-03")["reports"] == []
    assert base.get(client, world, "m1", f"/api/reports/overdue?{period}")["items"] == []


def test_a_rep_moved_to_another_team_after_october_stays_in_octobers_team(client, world, october, leaver):  # noqa: F811
    def both_teams():
        answers = _october(client, world)
        for name in base.REPORTS:
            answers[(name, "m2")] = base.get(client, world, "m2", f"/api/reports/{name}?{OCT}")
        answers["weekly m2"] = base.get(client, world, "m2", "/api/reports/weekly-review?week=2026-10-12")
        return answers

    before = both_teams()
    assert _names(before[("activity", "m1")]) == ["r1", "r2", "r4"] and _names(before[("activity", "m2")]) == ["r3"]
    assert before[("activity", "m1")]["team"]["visits"] == 4  # r1's three and r4's one
    south = base.get(client, world, "m2", "/api/reports/teams")["teams"][0]["id"]
    moved = client.patch(f"/api/users/{leaver['r4']}", json={"team_id": south}, headers=world.headers("admin"))
    assert moved.status_code == 200, moved.get_json()
    after = both_teams()
    changed = [key for key in before if before[key] != after[key]]
    assert changed == [], changed
    # December, the period holding the move, has r4 in South's rows and not in North's.
    december = "/api/reports/activity?from=2026-12-01&to=2026-12-31"
    assert _names(base.get(client, world, "m1", december)) == ["r1", "r2"]
    assert _names(base.get(client, world, "m2", december)) == ["r3", "r4"]


def test_the_histories_of_more_reps_cost_no_more_queries(app, client, world, october, leaver):  # noqa: F811
    """Each report of North's October runs as many statements with three more reps, each of whose time and
    team changed after October, as without them: the histories are read once per report, not once per rep."""

    def statements():
        counts = {}
        for name in [*base.REPORTS, "weekly-review"]:
            path = "weekly-review?week=2026-10-12" if name == "weekly-review" else f"{name}?{OCT}"
            with statements_run(app) as run:
                base.get(client, world, "m1", f"/api/reports/{path}")
            counts[name] = len(run)
        return counts

    before = statements()
    with writing(app):
        north = db.session.get(User, world.users["r1"]).team_id
        for n in range(3):
            db.session.add(User(username=f"new{n}", password_hash="x", role="rep", team_id=north, created_at=TAKEN_ON))
        db.session.commit()
        new = db.session.scalars(select(User.id).where(User.username.like("new%"))).all()
    south = base.get(client, world, "m2", "/api/reports/teams")["teams"][0]["id"]
    for rep in new:  # taken on before October; each one's time and team changed after it
        body = {"first_appointment_time": "09:30", "team_id": south}
        assert client.patch(f"/api/users/{rep}", json=body, headers=world.headers("admin")).status_code == 200
    with writing(app):
        assert db.session.scalar(select(func.count()).select_from(UserChange)) == 3
    after = statements()
    assert len(base.get(client, world, "m1", f"/api/reports/activity?{OCT}")["rows"]) == 6  # r1, r2, r4, new0-2
    assert after == before
