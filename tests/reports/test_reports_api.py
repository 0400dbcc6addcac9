"""The manager's reports through the API, on a hand-built month whose figures are worked out here."""

import csv
import io
import uuid
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from server.extensions import db
from server.models import Account, Activity, Device, Opportunity, RoutePlan, RouteStop, StageChange, User, Visit
from server.reports.registry import REPORTS
from tests.records import add_visits, writing

SH = ZoneInfo("Asia/Shanghai")
NOV = "from=2026-11-01&to=2026-11-30"


def local(day, hh, mm=0, month=11):
    return datetime(2026, month, day, hh, mm, tzinfo=SH)


@pytest.fixture
def month(app, world):
    """r1's November on top of the world fixture (which gives r1 and r2 a visit on 2 November, 08:30-09:40)."""
    ids = {}
    with writing(app):
        r1 = world.users["r1"]
        main = world.accounts["r1"]
        # The cadence counts a never-visited account from its creation, and a past period leaves out an
        # account (or machine) recorded after it: these accounts were all on the books since 1 September.
        since = local(1, 8, month=9)
        db.session.get(Account, main).created_at = since
        db.session.get(Device, world.devices["r1"]).created_at = since
        # 4 Nov, the method's 10 h 14 day: 116 face-to-face, 116 travel, 183 admin, 199 meetings.
        db.session.add_all(
            [
                Activity(rep_id=r1, category="travel", started_at=local(4, 9, 56), ended_at=local(4, 11, 52)),
                Activity(rep_id=r1, category="admin", started_at=local(4, 11, 52), ended_at=local(4, 14, 55)),
                Activity(rep_id=r1, category="meeting", started_at=local(4, 14, 55), ended_at=local(4, 18, 14)),
            ]
        )
        add_visits(
            Visit(account_id=main, rep_id=r1, purpose="Demo", check_in_at=local(4, 8), check_out_at=local(4, 9, 56)),
            # 5 Nov: checked in at 08:50, never checked out.
            Visit(account_id=main, rep_id=r1, purpose="Follow up", check_in_at=local(5, 8, 50)),
        )
        other = Account(
            name="=cmd|' /C calc'!A0", account_class="C", owner_id=r1, latitude=31.2, longitude=121.4, created_at=since
        )
        b_class = Account(
            name="B account", account_class="B", owner_id=r1, last_contact_at=local(1, 8), created_at=since
        )
        c_class = Account(
            name="C account",
            account_class="C",
            owner_id=r1,
            last_contact_at=local(1, 8, month=10),
            created_at=since,
        )
        db.session.add_all([other, b_class, c_class])
        db.session.flush()
        plan = RoutePlan(rep_id=r1, plan_date=date(2026, 11, 4))
        plan.stops = [
            RouteStop(position=0, account_id=main, planned_arrival=local(4, 8)),
            RouteStop(position=1, account_id=other.id, planned_arrival=local(4, 10)),
        ]
        db.session.add(plan)
        # Opened on 1 November: the funnel counts an opportunity from when it was opened.
        moving = Opportunity(account_id=main, owner_id=r1, title="Moving", stage="A", opened_at=local(1, 9))
        moving.stage_changes = [
            StageChange(to_stage="S", changed_at=local(1, 9)),
            StageChange(from_stage="S", to_stage="P", changed_at=local(3, 9)),
            StageChange(from_stage="P", to_stage="A", changed_at=local(7, 9)),
        ]
        lost = Opportunity(
            account_id=main,
            owner_id=r1,
            title="Lost",
            stage="P",
            status="lost",
            loss_reason="price",
            opened_at=local(1, 9),
            closed_at=local(10, 9),
        )
        lost.stage_changes = [
            StageChange(to_stage="S", changed_at=local(1, 9)),
            StageChange(from_stage="S", to_stage="P", changed_at=local(5, 9)),
            StageChange(from_stage="P", to_stage="P", status="lost", changed_at=local(10, 9)),
        ]
        won = Opportunity(
            account_id=world.accounts["r2"],  # a deal is its account's holder's: r2's, on r2's account
            owner_id=world.users["r2"],
            title="Won by r2",
            stage="O",
            status="won",
            amount=Decimal(68000),
            opened_at=local(1, 10),
            closed_at=local(10, 15),
        )
        db.session.add_all([moving, lost, won])
        db.session.add_all(
            [
                Device(
                    account_id=main,
                    ownership="ours",
                    brand="Fieldday",
                    monthly_volume=12000,
                    installed_on=date(2020, 6, 1),
                    created_at=since,
                ),
                Device(
                    account_id=main,
                    ownership="competitor",
                    brand="Ricoh",
                    monthly_volume=800,
                    installed_on=date(2025, 12, 1),
                    created_at=since,
                ),
            ]
        )
        db.session.commit()
        ids.update(other=str(other.id), c_class=str(c_class.id), b_class=str(b_class.id))
    return ids


def get(client, world, who, path):
    response = client.get(path, headers=world.headers(who))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.calendar
def test_time_ratios_of_a_rep_and_the_team(client, world, month):
    day = get(client, world, "r1", "/api/reports/time-ratios?from=2026-11-04&to=2026-11-04")
    row = day["rows"][0]
    assert (row["span_min"], row["face_to_face_pct"], row["admin_pct"], row["unrecorded_pct"]) == (614, 18.9, 29.8, 0.0)
    assert day["extra"]["baseline_pct"]["face_to_face"] == 18.9
    whole = get(client, world, "m1", f"/api/reports/time-ratios?{NOV}")
    r1 = next(r for r in whole["rows"] if r["username"] == "r1")
    # 2 Nov: 30 travel + 40 visit; 4 Nov: the 614-minute day. The open visit of 5 Nov counts no time.
    assert (r1["span_min"], r1["face_to_face_min"], r1["travel_min"]) == (684, 156, 146)
    assert (r1["face_to_face_pct"], r1["travel_pct"], r1["working_days"], r1["open_visits"]) == (22.8, 21.3, 2, 1)
    assert r1["meets_target"] is False  # 22.8 % against the default 30 %
    # The team: r1's 684 min plus r2's 70 (30 travel, 40 face-to-face).
    assert (whole["team"]["span_min"], whole["team"]["face_to_face_min"], whole["team"]["face_to_face_pct"]) == (
        754,
        196,
        26.0,
    )
    assert [w["week_start"] for w in whole["extra"]["weeks"]] == ["2026-11-02"]


@pytest.mark.calendar
def test_a_rep_with_no_data_gets_empty_figures_not_an_error(client, world):
    row = get(client, world, "r3", "/api/reports/time-ratios?from=2026-11-10&to=2026-11-30")["rows"][0]
    assert row["span_min"] == 0 and row["face_to_face_pct"] is None and row["working_days"] == 0


@pytest.mark.calendar
def test_face_time_target_set_by_the_manager(client, world, month):
    body = {"team_id": None, "face_time_target_pct": 20}
    with client.application.app_context():
        from server.models import User

        body["team_id"] = str(db.session.get(User, world.users["m1"]).team_id)
    assert client.put("/api/reports/face-time-target", json=body, headers=world.headers("r1")).status_code == 403
    assert client.put("/api/reports/face-time-target", json=body, headers=world.headers("m1")).status_code == 200
    r1 = next(r for r in get(client, world, "m1", f"/api/reports/time-ratios?{NOV}")["rows"] if r["username"] == "r1")
    assert r1["meets_target"] is True
    bad = client.put(
        "/api/reports/face-time-target", json={**body, "face_time_target_pct": 120}, headers=world.headers("m1")
    )
    assert bad.status_code == 422 and "face_time_target_pct" in bad.get_json()["error"]["fields"]


@pytest.mark.calendar
def test_first_appointment_habit(client, world, month):
    row = get(client, world, "r1", f"/api/reports/first-appointment?{NOV}")["rows"][0]
    # First visits: 2 Nov 09:00 (late), 4 Nov 08:00, 5 Nov 08:50 (within 10 min of 08:45).
    assert (row["working_days"], row["on_time_days"], row["on_time_pct"], row["median_first_visit"]) == (
        3,
        2,
        66.7,
        "08:50",
    )
    strict = get(client, world, "r1", f"/api/reports/first-appointment?{NOV}&tolerance_min=0")["rows"][0]
    assert (strict["on_time_days"], strict["on_time_pct"]) == (1, 33.3)


@pytest.mark.calendar
def test_the_teams_first_appointment_target_is_its_reps_when_they_share_one(client, world):
    """The Team screen's first-appointment table said the team's target was "–" under a chart whose target line said
    08:45, every rep's: the team's is the reps' time when they share one, and none when they differ."""
    team = get(client, world, "m1", f"/api/reports/first-appointment?{NOV}")["team"]
    assert team["first_appointment_time"] == "08:45"
    with writing(client.application):
        db.session.get(User, world.users["r2"]).first_appointment_time = time(9, 0)
        db.session.commit()
    team = get(client, world, "m1", f"/api/reports/first-appointment?{NOV}")["team"]
    assert team["first_appointment_time"] is None


@pytest.mark.calendar
def test_activity_volume_and_plan_against_actual(client, world, month):
    row = get(client, world, "r1", f"/api/reports/activity?{NOV}")["rows"][0]
    assert (row["visits"], row["face_to_face_visits"], row["with_purpose"], row["working_days"]) == (3, 2, 3, 3)
    assert row["visits_per_day"] == 1.0
    assert (row["planned"], row["planned_done"], row["plan_done_pct"]) == (2, 1, 50.0)


@pytest.mark.calendar
def test_funnel_counts_conversion_days_in_stage_and_losses(client, world, month):
    row = get(client, world, "r1", f"/api/reports/funnel?{NOV}")["rows"][0]
    # Three opportunities: the world's (P, no history), "Moving" (S>P>A), "Lost" (S>P, lost on price).
    assert row["reached"] == {"S": 3, "P": 3, "A": 1, "D": 0, "C": 0, "O": 0}
    assert row["conversion_pct"] == {"S>P": 100.0, "P>A": 33.3, "A>D": 0.0, "D>C": None, "C>O": None}
    assert row["median_days_in_stage"]["S"] == 3.0 and row["median_days_in_stage"]["P"] == 4.0
    assert row["open_by_stage"]["P"] == 1 and row["open_by_stage"]["A"] == 1
    assert (row["won"], row["lost"], row["win_rate_pct"], row["loss_reasons"]) == (0, 1, 0.0, {"price": 1})
    team = get(client, world, "m1", f"/api/reports/funnel?{NOV}")["team"]
    assert (team["won"], team["won_amount"]) == (1, 68000.0)


@pytest.mark.calendar
def test_cadence_overdue_accounts_with_the_list(client, world, month):
    report = get(client, world, "r1", "/api/reports/cadence?from=2026-11-01&to=2026-11-10")
    row = report["rows"][0]
    # As of the end of 10 Nov: the A account was seen on 5 Nov (5 days < 7), the B on 1 Nov (9 < 14);
    # the C account last seen on 1 Oct (40 >= 30) and the never-visited C account are overdue.
    assert (row["A_total"], row["A_overdue"], row["B_overdue"], row["C_total"], row["C_overdue"]) == (1, 0, 0, 2, 2)
    listed = [(a["account_id"], a["days_since_contact"]) for a in report["extra"]["overdue_accounts"]]
    assert listed == [(month["other"], None), (month["c_class"], 40)]
    whose = [(a["rep_name"], a["days_overdue"]) for a in report["extra"]["overdue_accounts"]]
    # Days past the cadence: the never-visited account's from its creation on 1 September (70 days, 40 past
    # its 30), the C account's from its last contact (40 days against a 30-day cadence); most overdue first.
    assert whose == [("r1", 40), ("r1", 10)]
    assert [a["never_visited"] for a in report["extra"]["overdue_accounts"]] == [True, False]


@pytest.mark.calendar
def test_a_past_periods_cadence_stays_as_it_was_when_later_visits_are_recorded(client, world, month):
    url = "/api/reports/cadence?from=2026-11-01&to=2026-11-10"
    before = get(client, world, "r1", url)
    # The never-visited C account is seen on 25 Nov, after the period: the period's figures and list stay.
    visit = {"account_id": month["other"], "purpose": "First call", "check_in_at": "2026-11-25T02:00:00+00:00"}
    assert client.post("/api/visits", json=visit, headers=world.headers("r1")).status_code == 201
    after = get(client, world, "r1", url)
    assert after["rows"] == before["rows"] and after["extra"] == before["extra"]
    assert month["other"] in [a["account_id"] for a in after["extra"]["overdue_accounts"]]
    # The period that holds the visit sees the account met.
    later = get(client, world, "r1", "/api/reports/cadence?from=2026-11-25&to=2026-11-25")
    assert month["other"] not in [a["account_id"] for a in later["extra"]["overdue_accounts"]]


@pytest.mark.calendar
def test_a_past_periods_cadence_leaves_out_accounts_created_after_it_and_counts_new_ones_from_creation(
    app, client, world, month
):
    with writing(app):
        r1 = world.users["r1"]
        new_c = Account(name="New C", account_class="C", owner_id=r1, created_at=local(5, 9))
        late_a = Account(name="Late A", account_class="A", owner_id=r1, created_at=local(12, 9))
        db.session.add_all([new_c, late_a])
        db.session.commit()
        new_c_id, late_a_id = str(new_c.id), str(late_a.id)
    report = get(client, world, "r1", "/api/reports/cadence?from=2026-11-01&to=2026-11-10")
    row = report["rows"][0]
    listed = [a["account_id"] for a in report["extra"]["overdue_accounts"]]
    # New C: created 5 Nov, never visited, 5 days of its 30 by 10 Nov: counted, its first visit not late.
    # Late A: created 12 Nov, after the period: not counted at all.
    assert (row["A_total"], row["A_overdue"], row["C_total"], row["C_overdue"]) == (1, 0, 3, 2)
    assert new_c_id not in listed and late_a_id not in listed
    # By 12 December the new C account's 30 days have passed; Late A is 30 days old, past its 7.
    later = get(client, world, "r1", "/api/reports/cadence?from=2026-12-12&to=2026-12-12")
    listed = [a["account_id"] for a in later["extra"]["overdue_accounts"]]
    assert new_c_id in listed and late_a_id in listed


@pytest.mark.calendar
def test_installed_base_matrix_marks_old_high_volume_machines(client, world, month):
    rows = get(client, world, "r1", f"/api/reports/installed-base?{NOV}")["rows"]
    cells = {(r["ownership"], r["volume_band"], r["age_band"]): r for r in rows}
    assert cells[("ours", "10-20K", "5+")]["replacement_opportunity"] is True
    assert cells[("competitor", "<1K", "<1")]["replacement_opportunity"] is False
    assert cells[("competitor", "3-5K", "unknown")]["account_ids"] == [str(world.accounts["r1"])]
    assert cells[("competitor", "3-5K", "unknown")]["account_names"] == ["Account of r1"]


@pytest.mark.calendar
def test_targets_by_week_and_day_against_orders_won(client, world, month):
    body = {"rep_id": str(world.users["r2"]), "month": "2026-11", "amount": 220000}
    assert client.put("/api/reports/targets/monthly", json=body, headers=world.headers("r2")).status_code == 403
    assert client.put("/api/reports/targets/monthly", json=body, headers=world.headers("m2")).status_code == 404
    assert client.put("/api/reports/targets/monthly", json=body, headers=world.headers("m1")).status_code == 200
    for bad in ({**body, "month": "2026-13"}, {**body, "amount": -5}, {**body, "amount": "lots"}):
        response = client.put("/api/reports/targets/monthly", json=bad, headers=world.headers("m1"))
        assert response.status_code == 422 and response.get_json()["error"]["fields"]
    row = get(client, world, "r2", f"/api/reports/targets?{NOV}")["rows"][0]
    # November 2026 has 21 weekdays; 220,000 / 21 = 10,476.19 a day; the 68,000 order was won on 10 Nov.
    assert (row["working_days"], row["target_per_day"], row["won"], row["attainment_pct"]) == (
        21,
        10476.19,
        68000.0,
        30.9,
    )
    weeks = {w["week_start"]: w for w in row["weeks"]}
    assert weeks["2026-11-02"]["target"] == 52380.95 and weeks["2026-11-30"]["working_days"] == 1
    assert weeks["2026-11-09"]["won"] == 68000.0 and weeks["2026-11-02"]["won"] == 0


@pytest.mark.parametrize(
    "report", ["time-ratios", "first-appointment", "activity", "funnel", "cadence", "installed-base", "targets"]
)
@pytest.mark.calendar
def test_who_may_see_which_report(client, world, month, report):
    path = f"/api/reports/{report}?{NOV}"
    r2 = world.users["r2"]
    with client.application.app_context():
        from server.models import User

        north = str(db.session.get(User, world.users["m1"]).team_id)
        south = str(db.session.get(User, world.users["m2"]).team_id)
    assert client.get(path, headers=world.headers("r1")).status_code == 200
    # Another's figures answer as no such rep or team: 404, whether it exists or not.
    assert client.get(f"{path}&rep_id={r2}", headers=world.headers("r1")).status_code == 404
    assert client.get(f"{path}&rep_id={uuid.uuid4()}", headers=world.headers("r1")).status_code == 404
    assert client.get(f"{path}&team_id={north}", headers=world.headers("r1")).status_code == 403
    assert client.get(f"{path}&team_id={north}", headers=world.headers("m1")).status_code == 200
    assert client.get(f"{path}&team_id={south}", headers=world.headers("m1")).status_code == 404
    assert client.get(f"{path}&team_id={uuid.uuid4()}", headers=world.headers("m1")).status_code == 404
    assert client.get(f"{path}&rep_id={world.users['r3']}", headers=world.headers("m1")).status_code == 404
    assert client.get(f"{path}&team_id={south}", headers=world.headers("admin")).status_code == 200
    assert client.get(path).status_code == 401
    bad = client.get(f"/api/reports/{report}?from=2026-11-30&to=2026-11-01", headers=world.headers("m1"))
    assert bad.status_code == 422 and "to" in bad.get_json()["error"]["fields"]
    bad = client.get(f"/api/reports/{report}?from=yesterday", headers=world.headers("m1"))
    assert bad.status_code == 422 and "from" in bad.get_json()["error"]["fields"]
    csv_response = client.get(f"{path}&format=csv", headers=world.headers("m1"))
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    assert next(iter(csv.reader(io.StringIO(csv_response.get_data(as_text=True).lstrip("\ufeff")))))


@pytest.mark.calendar
def test_csv_holds_the_same_numbers_and_neutralises_formulas(client, world, month):
    text = client.get(f"/api/reports/time-ratios?{NOV}&format=csv", headers=world.headers("m1")).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    by_user = {r["username"]: r for r in rows}
    assert by_user["r1"]["face_to_face_pct"] == "22.8" and by_user["TEAM"]["face_to_face_pct"] == "26.0"
    weeks = client.get(f"/api/reports/time-ratios?{NOV}&format=csv&table=weeks", headers=world.headers("m1"))
    assert "week_start" in weeks.get_data(as_text=True)
    overdue = client.get(
        "/api/reports/cadence?from=2026-11-01&to=2026-11-10&format=csv&table=overdue", headers=world.headers("r1")
    ).get_data(as_text=True)
    names = [r["name"] for r in csv.DictReader(io.StringIO(overdue.lstrip("\ufeff")))]
    assert "'=cmd|' /C calc'!A0" in names and "=cmd|' /C calc'!A0" not in names
    wrong = client.get(f"/api/reports/funnel?{NOV}&format=csv&table=weeks", headers=world.headers("m1"))
    assert wrong.status_code == 422 and "table" in wrong.get_json()["error"]["fields"]


@pytest.mark.calendar
def test_each_reports_csv_writes_its_json_numbers_as_they_are(client, world, month):
    """Every number of a report's rows (and its team row) reads in the CSV as the JSON gives it: 0.0 is 0.0."""
    for name in REPORTS:
        answer = client.get(f"/api/reports/{name}?{NOV}", headers=world.headers("m1")).get_json()
        text = client.get(f"/api/reports/{name}?{NOV}&format=csv", headers=world.headers("m1")).get_data(as_text=True)
        rows = {r.get("rep_id") or r.get("username"): r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
        expected = [(row["rep_id"], row) for row in answer["rows"] if "rep_id" in row]
        if len(answer["rows"]) > 1 and answer["team"] and name != "installed-base":
            expected.append(("TEAM", answer["team"]))
        for key, row in expected:
            for column, value in row.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    assert rows[key][column] == str(value), (name, key, column, value)


@pytest.mark.calendar
def test_a_recorded_visit_moves_the_accounts_last_contact_and_clears_it_from_overdue(app, client, world):
    account = str(world.accounts["r1"])
    with writing(app):
        db.session.get(Account, world.accounts["r1"]).created_at = local(1, 8)  # on the books in the period
        db.session.commit()
    before = get(client, world, "r1", "/api/reports/cadence?from=2026-11-20&to=2026-11-20")["rows"][0]
    assert before["A_overdue"] == 1  # seen on 2 Nov: 18 days against a 7-day cadence
    visit = {"account_id": account, "purpose": "Check in on the trial", "check_in_at": "2026-11-20T01:00:00+00:00"}
    assert client.post("/api/visits", json=visit, headers=world.headers("r1")).status_code == 201
    stored = get(client, world, "r1", f"/api/accounts/{account}")
    assert stored["last_contact_at"] == "2026-11-20T01:00:00+00:00"
    after = get(client, world, "r1", "/api/reports/cadence?from=2026-11-20&to=2026-11-20")["rows"][0]
    assert after["A_overdue"] == 0


def test_the_teams_a_caller_may_report_on(client, world):
    def names(username):
        response = client.get("/api/reports/teams", headers=world.headers(username))
        assert response.status_code == 200
        return [t["name"] for t in response.get_json()["teams"]]

    assert names("admin") == ["North", "South"]
    assert names("m1") == ["North"] and names("m2") == ["South"]
    assert names("r1") == []
    assert client.get("/api/reports/teams").status_code == 401


def test_the_funnel_counts_an_opportunity_from_when_it_was_opened_not_when_its_row_was_written(
    client, world, month, clock
):
    """Opened offline in October and pushed in December: it belongs to October's and November's funnel."""
    clock.set(local(3, 10, month=12))  # the phone syncs on 3 December
    body = {
        "account_id": str(world.accounts["r1"]),
        "title": "Opened offline",
        "stage": "S",
        "opened_at": local(20, 11, month=10).isoformat(),
    }
    response = client.post("/api/opportunities", json=body, headers=world.headers("r1"))
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert datetime.fromisoformat(created["opened_at"]) == local(20, 11, month=10)
    with client.application.app_context():
        first = db.session.query(StageChange).filter_by(opportunity_id=uuid.UUID(created["id"])).one()
        assert first.changed_at == local(20, 11, month=10)  # the first stage began when it was opened
    october = get(client, world, "r1", "/api/reports/funnel?from=2026-10-01&to=2026-10-31")["rows"][0]
    november = get(client, world, "r1", f"/api/reports/funnel?{NOV}")["rows"][0]
    assert october["reached"]["S"] == 1  # opened 20 Oct; the others were opened in November
    assert november["reached"]["S"] == 4  # still open in November: the three of the month and this one
    september = get(client, world, "r1", "/api/reports/funnel?from=2026-09-01&to=2026-09-30")["rows"][0]
    assert september["reached"]["S"] == 0


def test_an_opportunity_cannot_be_opened_in_the_future(client, world, clock):
    clock.set(local(3, 10, month=12))
    body = {
        "account_id": str(world.accounts["r1"]),
        "title": "Tomorrow's deal",
        "opened_at": local(5, 10, month=12).isoformat(),
    }
    response = client.post("/api/opportunities", json=body, headers=world.headers("r1"))
    assert response.status_code == 422 and "opened_at" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize(
    "today, expected",
    [
        (date(2026, 12, 1), (date(2026, 11, 1), date(2026, 11, 30))),
        (date(2027, 1, 1), (date(2026, 12, 1), date(2026, 12, 31))),
        (date(2028, 3, 7), (date(2028, 2, 1), date(2028, 2, 29))),
        (date(2028, 3, 8), (date(2028, 3, 1), date(2028, 3, 8))),
        (date(2026, 12, 31), (date(2026, 12, 1), date(2026, 12, 31))),
    ],
)
def test_the_default_period_is_the_last_full_month_early_in_a_month(today, expected):
    from server.reports.scope import default_period

    assert default_period(today) == expected


def test_a_report_without_a_period_follows_the_clock_in_the_teams_zone(client, world, month, clock):
    clock.set(datetime(2026, 11, 30, 16, 30, tzinfo=ZoneInfo("UTC")))  # 1 December 00:30 in Shanghai
    period = get(client, world, "r1", "/api/reports/funnel")["period"]
    assert (period["from"], period["to"]) == ("2026-11-01", "2026-11-30")
    clock.set(datetime(2026, 11, 15, 3, 0, tzinfo=ZoneInfo("UTC")))
    period = get(client, world, "r1", "/api/reports/funnel")["period"]
    assert (period["from"], period["to"]) == ("2026-11-01", "2026-11-15")


def test_the_demo_spreads_opportunities_over_its_weeks_so_last_months_funnel_has_them(app, client, clock):
    from server.demo import seed

    clock.set(datetime(2027, 1, 1, 9, 0, tzinfo=SH))
    with writing(app):
        seed("demo-password", reps=2, accounts_per_rep=60, weeks=8, today=date(2027, 1, 1))
        opened = [o.opened_at.astimezone(SH).date() for o in db.session.query(Opportunity)]
        assert min(opened) >= date(2026, 11, 6) and max(opened) < date(2027, 1, 1)
        assert len({d.isocalendar()[1] for d in opened}) >= 6  # spread over the weeks, not one day
    token = client.post("/api/auth/login", json={"username": "manager", "password": "demo-password"}).get_json()[
        "access_token"
    ]
    answer = client.get("/api/reports/funnel", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert (answer["period"]["from"], answer["period"]["to"]) == ("2026-12-01", "2026-12-31")
    assert answer["team"]["reached"]["S"] > 5 and answer["team"]["median_days_in_stage"]["S"] is not None


@pytest.mark.calendar
def test_rep_rows_sort_by_name_naturally(app, client, world):
    from server.models import User

    with writing(app):
        north = db.session.get(User, world.users["m1"]).team_id
        for username in ("rep10", "rep2", "rep1", "rep11"):  # as text: rep1, rep10, rep11, rep2
            db.session.add(User(username=username, password_hash="x", role="rep", team_id=north))
        db.session.commit()
    for report in ("cadence", "activity", "funnel"):
        rows = get(client, world, "m1", f"/api/reports/{report}?{NOV}")["rows"]
        names = [r["name"] for r in rows]
        assert names == ["r1", "r2", "rep1", "rep2", "rep10", "rep11"], (report, names)
