"""The scorecard and the paged overdue list through the API, on a fixed history counted by hand, with work
recorded after the period that must change nothing; another team's reps never appear."""

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from server.extensions import db
from server.models import Account, SalesTarget, Visit
from tests.records import add_visits, writing
from tests.reports.test_as_of import deal

SH = ZoneInfo("Asia/Shanghai")
WEEK = "from=2026-11-02&to=2026-11-08"  # Monday 2 to Sunday 8 November


def at(month, day, hh=10, mm=0):
    return datetime(2026, month, day, hh, mm, tzinfo=SH)


@pytest.fixture
def week(app, world, clock):
    """r1's week of 2 November, written on 3 December, on top of the world fixture (which gives each rep an
    A account with a 40-minute visit at 09:00 on 2 November after 30 minutes of travel, and a deal at P).

    r1's accounts (on the books since 1 September): A1 (the world's), A2, B1, C1.
    Visits: 2 Nov 09:00-09:40 A1 met (the world's); 3 Nov 08:40-09:40 B1 met; 4 Nov 08:50-09:10 A2 not met.
    After the week: 20 Nov A2 met (changes nothing of the week).
    Deals: D1 at D from 15 Oct (50 000), at C on 12 Nov; C1 at C from 20 Oct (30 000), won 5 Nov;
    L1 at P from 1 Nov (10 000), lost 6 Nov; C2 at C from 25 Oct (40 000), won 20 Nov;
    N1 opened 10 Nov (99 999). November's target: 210 000 over 21 working days.
    """
    clock.set(at(12, 3))
    r1 = world.users["r1"]
    since = at(9, 1, 9)
    with writing(app):
        a1 = db.session.get(Account, world.accounts["r1"])
        a1.created_at = since
        for rep in ("r2", "r3"):
            db.session.get(Account, world.accounts[rep]).created_at = since
        a2, b1, c1 = (
            Account(name=n, account_class=cls, owner_id=r1, latitude=31.2, longitude=121.4, created_at=since)
            for n, cls in (("A2", "A"), ("B1", "B"), ("C1", "C"))
        )
        db.session.add_all([a2, b1, c1])
        db.session.flush()
        add_visits(
            Visit(
                account_id=b1.id,
                rep_id=r1,
                purpose="Follow up",
                check_in_at=at(11, 3, 8, 40),
                check_out_at=at(11, 3, 9, 40),
            ),
            Visit(
                account_id=a2.id,
                rep_id=r1,
                purpose="Demo",
                met=False,
                check_in_at=at(11, 4, 8, 50),
                check_out_at=at(11, 4, 9, 10),
            ),
            Visit(account_id=a2.id, rep_id=r1, purpose="Demo", check_in_at=at(11, 20, 9), check_out_at=at(11, 20, 10)),
        )
        db.session.add_all(
            [
                deal(
                    a1.id,
                    r1,
                    "D1",
                    [(at(10, 1), "S", "open"), (at(10, 15), "D", "open"), (at(11, 12), "C", "open")],
                    50000,
                ),
                deal(b1.id, r1, "C1", [(at(10, 20), "C", "open"), (at(11, 5), "O", "won")], 30000),
                deal(c1.id, r1, "L1", [(at(11, 1), "P", "open"), (at(11, 6), "P", "lost")], 10000, reason="price"),
                deal(a2.id, r1, "C2", [(at(10, 25), "C", "open"), (at(11, 20), "O", "won")], 40000),
                deal(c1.id, r1, "N1", [(at(11, 10), "S", "open")], 99999),
            ]
        )
        db.session.add(SalesTarget(rep_id=r1, month=date(2026, 11, 1), amount=Decimal(210000)))
        ids = {"a2": str(a2.id), "b1": str(b1.id), "c1": str(c1.id)}
        db.session.commit()
    return ids


def get(client, world, who, path, status=200):
    response = client.get(path, headers=world.headers(who))
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_the_scorecard_of_a_past_week_counted_by_hand(client, world, week):
    answer = get(client, world, "m1", f"/api/reports/scorecard?{WEEK}")
    # The manager's team only: r1 and r2, never r3 of the other team.
    assert [r["username"] for r in answer["rows"]] == ["r1", "r2"]
    r1 = answer["rows"][0]
    # The cadence asks, over 7 days: A1 and A2 7/7 each, B1 7/14, C1 7/30: 2.73, 3 visits. Met: 2 Nov, 3 Nov.
    assert (r1["visits"], r1["visits_all"], r1["not_met"], r1["visits_target"]) == (2, 3, 1, 3)
    # Face to face 40 + 60 minutes of spans 70 (2 Nov) + 60 (3 Nov) + 20 (4 Nov, not met: travel).
    assert r1["face_to_face_pct"] == 66.7
    # First visits 09:00 (late: 08:45 + 10), 08:40 and 08:50 (on time) on 3 working days.
    assert (r1["working_days"], r1["on_time_days"], r1["on_time_pct"], r1["first_appointment_time"]) == (
        3,
        2,
        66.7,
        "08:45",
    )
    # A1 seen on 2 Nov (6 days before the week's end); A2 never met by then (its 20 Nov visit came after).
    assert (r1["a_accounts"], r1["a_overdue"]) == (2, 1)
    # Open at the week's end: the world's deal at P (no amount), D1 at D (its C came on 12 Nov), C2 at C
    # (won on 20 Nov); N1 was opened after the week. C1 won and L1 lost in the week.
    assert r1["pipeline"] == {"S": 0.0, "P": 0.0, "A": 0.0, "D": 50000.0, "C": 40000.0, "O": 0.0}
    assert (r1["pipeline_total"], r1["won"], r1["lost"], r1["won_amount"]) == (90000.0, 1, 1, 30000.0)
    # November's 210 000 over its 21 working days; the week holds 5 of them: 50 000, 60 % won.
    assert (r1["target"], r1["attainment_pct"]) == (50000.0, 60.0)
    assert r1["marks"] == {
        "visits": "bad",  # 2 of 3: under 80 %
        "face_to_face": "good",  # over the team's 30 % goal
        "on_time": "warn",  # 2 of 3 days: under 80 %, at least 50 %
        "overdue_a": "bad",  # 1 of 2 A accounts: over 20 %
        "pipeline": "good",  # C's 40 000 covers the 20 000 left to win
        "won": "bad",  # 60 % of the target
    }
    r2 = answer["rows"][1]
    # r2: the world's visit only (09:00, late), A account seen 2 Nov; no target: nothing to judge deals by.
    assert (r2["visits"], r2["visits_target"], r2["on_time_days"], r2["a_overdue"], r2["target"]) == (1, 1, 0, 0, None)
    assert r2["marks"] == {
        "visits": "good",
        "face_to_face": "good",
        "on_time": "bad",
        "overdue_a": "good",
        "pipeline": None,
        "won": None,
    }
    team = answer["team"]
    assert (team["visits"], team["visits_target"], team["a_overdue"], team["won"], team["target"]) == (
        3,
        4,
        1,
        1,
        50000.0,
    )
    rules = answer["extra"]["rules"]
    assert rules["face_to_face"]["baseline_pct"] == 18.9 and rules["cadence_days"] == {"A": 7, "B": 14, "C": 30}
    assert answer["extra"]["stages"] == ["S", "P", "A", "D", "C", "O"]


def test_the_scorecard_is_the_callers_team_only(client, world, week):
    south = get(client, world, "m2", f"/api/reports/scorecard?{WEEK}")
    assert [r["username"] for r in south["rows"]] == ["r3"]
    # Another team's rep, by id or through its team, is not found for m1; a rep sees only themselves.
    get(client, world, "m1", f"/api/reports/scorecard?{WEEK}&rep_id={world.users['r3']}", status=404)
    with world.app.app_context():
        from server.models import User

        south_team = db.session.get(User, world.users["r3"]).team_id
    get(client, world, "m1", f"/api/reports/scorecard?{WEEK}&team_id={south_team}", status=404)
    mine = get(client, world, "r2", f"/api/reports/scorecard?{WEEK}")
    assert [r["username"] for r in mine["rows"]] == ["r2"]


def test_the_scorecard_csv_has_a_row_per_rep_and_the_marks(client, world, week):
    response = client.get(f"/api/reports/scorecard?{WEEK}&format=csv", headers=world.headers("m1"))
    assert response.status_code == 200
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    header = lines[0].split(",")
    assert {"visits", "visits_target", "pipeline_D", "marks_visits", "marks_won"} <= set(header)
    assert [line.split(",")[header.index("username")] for line in lines[1:]] == ["r1", "r2", "TEAM"]


def test_the_overdue_list_pages_counts_days_past_the_cadence_and_filters_by_rep(client, world, week):
    # At the end of 30 November: A1 and A2 were seen on 2 and 20 November (A: 7 days), B1 on 3 November
    # (14), C1 never (30, from its creation on 1 September); r2's A account was seen on 2 November.
    nov = "from=2026-11-01&to=2026-11-30"
    whole = get(client, world, "m1", f"/api/reports/overdue?{nov}&per_page=2")
    assert (whole["total"], whole["pages"], whole["page"]) == (5, 3, 1)
    end = datetime(2026, 12, 1, tzinfo=SH)
    expected = [
        ("C1", "r1", (end - at(9, 1, 9)).days - 30),  # 90 days on the books: 60 past the cadence
        ("Account of r1", "r1", (end - datetime(2026, 11, 2, 9, tzinfo=SH)).days - 7),
        ("Account of r2", "r2", (end - datetime(2026, 11, 2, 9, tzinfo=SH)).days - 7),
        ("B1", "r1", (end - at(11, 3, 8, 40)).days - 14),
        ("A2", "r1", (end - at(11, 20, 9)).days - 7),
    ]
    assert [e[2] for e in expected] == [60, 21, 21, 13, 3]
    pages = [get(client, world, "m1", f"/api/reports/overdue?{nov}&per_page=2&page={n}")["items"] for n in (1, 2, 3)]
    listed = [(i["name"], i["rep_name"], i["days_overdue"]) for page in pages for i in page]
    assert listed == expected
    assert [len(p) for p in pages] == [2, 2, 1]
    c1 = pages[0][0]
    assert (c1["never_visited"], c1["days_since_contact"], c1["cadence_days"]) == (True, None, 30)
    # One rep's accounts; a page past the end is empty, not an error.
    r2 = get(client, world, "m1", f"/api/reports/overdue?{nov}&rep_id={world.users['r2']}")
    assert [i["name"] for i in r2["items"]] == ["Account of r2"] and r2["total"] == 1
    beyond = get(client, world, "m1", f"/api/reports/overdue?{nov}&per_page=2&page=9")
    assert beyond["items"] == [] and beyond["total"] == 5
    # Another team's rep is not found; bad paging is a clear 422.
    get(client, world, "m1", f"/api/reports/overdue?{nov}&rep_id={world.users['r3']}", status=404)
    bad = get(client, world, "m1", f"/api/reports/overdue?{nov}&per_page=0", status=422)
    assert "per_page" in str(bad)


def test_the_overdue_list_of_a_past_period_stays_as_it_was(client, world, week, app):
    before = get(client, world, "m1", f"/api/reports/overdue?{WEEK}")
    with writing(app):
        add_visits(
            Visit(
                account_id=uuid.UUID(week["c1"]),
                rep_id=world.users["r1"],
                purpose="Late",
                check_in_at=at(12, 2, 9),
                check_out_at=at(12, 2, 9) + timedelta(minutes=30),
            )
        )
        db.session.commit()
    assert get(client, world, "m1", f"/api/reports/overdue?{WEEK}") == before
