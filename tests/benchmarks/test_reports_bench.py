"""Report latency at scale: 50 reps, one year of recorded days (about 150,000 visits).

    make bench          # SQLite, and PostgreSQL too when TEST_DATABASE_URL is set

Data is written with bulk inserts (the change log is not needed to read reports), past the writes that keep
the rep-days (server/reports/repdays.py): they are filled afterwards as the migration fills them. Prints the
median and worst of 5 calls per report for a team-month and a team-year through the API (auth, query, JSON),
and, for the reports that read the rep-days, the same calls reading every visit and activity instead (before).
"""

import gc
import os
import random
import statistics
import time
import uuid
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from server.auth.services import hash_password
from server.extensions import db
from server.fastpaths import freeze_startup_heap
from server.models import Account, Activity, Device, Opportunity, RoutePlan, RouteStop, StageChange, Team, User, Visit
from server.reports import repdays
from tests.benchmarks.test_sync_bench import BACKENDS, _fresh_app

TZ = ZoneInfo("Asia/Shanghai")
# The team was taken on before the year the bench reads (a team's report lists the reps it had then).
TAKEN_ON = datetime(2025, 1, 1, tzinfo=TZ)
REPS, ACCOUNTS_PER_REP, VISITS_PER_DAY = 50, 160, 12
FIRST_DAY = date(2025, 11, 1)
DAYS = 365
REPORTS = (
    "time-ratios",
    "first-appointment",
    "activity",
    "funnel",
    "method-ratios",
    "cadence",
    "coverage",
    "qualification",
    "win-loss",
    "hunting-farming",
    "installed-base",
    "targets",
    "scorecard",
    "overdue",
)
# BENCH_REPORTS=scorecard,funnel times only those (the data is loaded all the same).
ONLY = [n for n in os.environ.get("BENCH_REPORTS", "").split(",") if n]


def _bulk(conn, model, rows):
    for i in range(0, len(rows), 5000):
        conn.execute(insert(model.__table__), rows[i : i + 5000])


def load(conn, data):
    """The generated rows into their tables, parents first."""
    for model, key in (
        (Team, "team"),
        (User, "users"),
        (Account, "accounts"),
        (Device, "devices"),
        (Opportunity, "opps"),
        (StageChange, "changes"),
        (Visit, "visits"),
        (Activity, "activities"),
        (RoutePlan, "plans"),
        (RouteStop, "stops"),
    ):
        _bulk(conn, model, data[key])


def _generate(rng):
    team_id, manager_id = uuid.uuid4(), uuid.uuid4()
    users = [
        {
            "id": manager_id,
            "username": "manager",
            "password_hash": hash_password("bench-password"),
            "role": "manager",
            "team_id": team_id,
            "first_appointment_time": clock_time(8, 45),
            "created_at": TAKEN_ON,
        }
    ]
    accounts, devices, opps, changes, visits, activities, plans, stops = [], [], [], [], [], [], [], []
    for r in range(REPS):
        rep_id = uuid.uuid4()
        users.append(
            {
                "id": rep_id,
                "username": f"rep{r}",
                "password_hash": "x",
                "role": "rep",
                "team_id": team_id,
                "start_lat": 31.2,
                "start_lng": 121.4,
                "first_appointment_time": clock_time(8, 45),
                "created_at": TAKEN_ON,
            }
        )
        mine = []
        for a in range(ACCOUNTS_PER_REP):
            account_id = uuid.uuid4()
            mine.append(account_id)
            accounts.append(
                {
                    "id": account_id,
                    "name": f"Account {r}-{a}",
                    "owner_id": rep_id,
                    "version": 1,
                    "account_class": rng.choice("ABC"),
                    "latitude": 31.2,
                    "longitude": 121.4,
                    "last_contact_at": datetime(2026, 10, 1, tzinfo=TZ) - timedelta(days=rng.randint(0, 60)),
                    # On the books before the year: cadence, overdue and the scorecard count every account.
                    "created_at": datetime.combine(FIRST_DAY - timedelta(days=30), clock_time(9), TZ),
                }
            )
            devices.append(
                {
                    "id": uuid.uuid4(),
                    "account_id": account_id,
                    "ownership": rng.choice(("ours", "competitor")),
                    "brand": "B",
                    "monthly_volume": rng.randint(0, 30000),
                    "version": 1,
                    "installed_on": FIRST_DAY - timedelta(days=rng.randint(0, 3000)),
                    # Recorded with its account: the installed base of every period counts it.
                    "created_at": datetime.combine(FIRST_DAY - timedelta(days=30), clock_time(9), TZ),
                }
            )
            if a % 2 == 0:
                opp_id, stage = uuid.uuid4(), rng.choice("SPADCO")
                status = "won" if stage == "O" else rng.choice(("open", "open", "lost"))
                moment = datetime.combine(FIRST_DAY, datetime.min.time(), TZ) + timedelta(days=rng.randint(0, 300))
                opps.append(
                    {
                        "id": opp_id,
                        "account_id": account_id,
                        "owner_id": rep_id,
                        "title": "Deal",
                        "stage": stage,
                        "status": status,
                        "amount": 50000,
                        "version": 1,
                        "stage_changed_at": moment,
                        "created_at": moment,
                        "loss_reason": "price" if status == "lost" else None,
                        "closed_at": moment + timedelta(days=40) if status != "open" else None,
                    }
                )
                for i, s in enumerate("SPADCO"[: "SPADCO".index(stage) + 1]):
                    changes.append(
                        {
                            "opportunity_id": opp_id,
                            "to_stage": s,
                            "status": "open",
                            "changed_at": moment + timedelta(days=7 * i),
                        }
                    )
        for d in range(DAYS):
            day = FIRST_DAY + timedelta(days=d)
            if day.weekday() >= 5:
                continue
            clock = datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=8, minutes=rng.randint(30, 70))
            plan_id = uuid.uuid4()
            plans.append({"id": plan_id, "rep_id": rep_id, "plan_date": day, "version": 1, "dropped": []})
            for v in range(VISITS_PER_DAY):
                account_id = rng.choice(mine)
                stops.append(
                    {
                        "id": uuid.uuid4(),
                        "route_plan_id": plan_id,
                        "position": v,
                        "account_id": account_id,
                        "planned_arrival": clock,
                    }
                )
                visits.append(
                    {
                        "id": uuid.uuid4(),
                        "account_id": account_id,
                        "rep_id": rep_id,
                        "purpose": "Visit",
                        "check_in_at": clock,
                        "check_out_at": clock + timedelta(minutes=25),
                        "version": 1,
                    }
                )
                activities.append(
                    {
                        "id": uuid.uuid4(),
                        "rep_id": rep_id,
                        "category": "travel",
                        "version": 1,
                        "started_at": clock + timedelta(minutes=25),
                        "ended_at": clock + timedelta(minutes=35),
                    }
                )
                clock += timedelta(minutes=35)
    return {
        "team": [{"id": team_id, "name": "Bench team", "timezone": "Asia/Shanghai", "manager_id": None}],
        "users": users,
        "accounts": accounts,
        "devices": devices,
        "opps": opps,
        "changes": changes,
        "visits": visits,
        "activities": activities,
        "plans": plans,
        "stops": stops,
        "manager_id": manager_id,
        "team_id": team_id,
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_team_month_report_latency(backend, tmp_path, monkeypatch):
    app, _ = _fresh_app(backend, tmp_path, "bench_reports")
    t0 = time.perf_counter()
    with app.app_context():
        data = _generate(random.Random(845))
        with db.engine.begin() as conn:
            load(conn, data)
        t1 = time.perf_counter()
        with db.engine.begin() as conn:
            repdays.rebuild(conn)
        rebuilt = time.perf_counter() - t1
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does after this many inserts: statistics, and the visibility map that
            # lets index-only scans skip the table.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        visits = db.session.scalar(select(func.count()).select_from(Visit))
    counts = {k: len(data[k]) for k in ("activities", "stops")}
    manager_id, team_id = data["manager_id"], data["team_id"]
    del data
    gc.collect()  # a server process does not hold the generator's half a million rows
    freeze_startup_heap()  # as wsgi.py does in a server process
    print(
        f"\n[{backend}] {REPS} reps, {visits:,} visits, {counts['activities']:,} activities, "
        f"{counts['stops']:,} planned stops over {DAYS} days, loaded in {time.perf_counter() - t0:.0f} s "
        f"(rep-days filled in {rebuilt:.1f} s)"
    )
    client = app.test_client()
    with app.app_context():
        from flask_jwt_extended import create_access_token

        token = create_access_token(identity=db.session.get(User, manager_id))
    headers = {"Authorization": f"Bearer {token}"}

    def timed(name, label, path, calls=5):
        times, cpu = [], []
        for _ in range(calls):
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.get(path, headers=headers)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            assert response.status_code == 200, response.get_json()
        # The CPU this process spent (SQLite's work included, PostgreSQL's not): on a shared machine the wall
        # time also holds the waits for a core.
        print(
            f"[{backend}] {name:>24}: {label} median {statistics.median(times):6.0f} ms, "
            f"max {max(times):6.0f} ms (target < 300 ms; CPU median {statistics.median(cpu):5.0f} ms)"
        )

    chosen = [n for n in REPORTS if not ONLY or n in ONLY]
    for name in chosen:
        timed(name, "team-month", f"/api/reports/{name}?team_id={team_id}&from=2026-09-01&to=2026-09-30")
    # The target: a team's whole year (50 reps x 365 days) under 300 ms per report.
    for name in chosen:
        timed(name, "team-year ", f"/api/reports/{name}?team_id={team_id}&from=2025-11-01&to=2026-10-31")
    spans = (("team-month", "from=2026-09-01&to=2026-09-30"), ("team-year ", "from=2025-11-01&to=2026-10-31"))
    # Before and after in this one run: the reports that read the rep-days, reading every visit and activity
    # instead (as they do when the rep-days cannot answer).
    monkeypatch.setattr(repdays, "read", lambda scope: None)
    for name in [n for n in ("time-ratios", "first-appointment", "activity") if n in chosen]:
        for label, span in spans:
            timed(f"{name} (rows)", label, f"/api/reports/{name}?team_id={team_id}&{span}", calls=2)
    if "scorecard" in chosen:
        # The scorecard three ways: reading every visit and activity into Python (as the time-split and
        # first-appointment reports do), the day figures the database sums, and the rep-days.
        from server.reports import scorecard

        monkeypatch.setattr(scorecard, "summed_day_figures", lambda scope: None)
        for label, span in spans:
            timed("scorecard (read)", label, f"/api/reports/scorecard?team_id={team_id}&{span}", calls=2)
        monkeypatch.undo()
        monkeypatch.setattr(repdays, "read", lambda scope: None)
        for label, span in spans:
            timed("scorecard (summed)", label, f"/api/reports/scorecard?team_id={team_id}&{span}")
    monkeypatch.undo()
    if ONLY and "weekly-review" not in ONLY:
        return
    # The weekly PDCA review builds on the others: a team's week, and one rep's week (the review screen).
    with app.app_context():
        rep_id = db.session.scalars(
            select(User.id).where(User.team_id == team_id, User.role == "rep").order_by(User.username)
        ).first()
    for label, who in (("team-week", f"team_id={team_id}"), ("rep-week", f"rep_id={rep_id}")):
        timed("weekly-review", label, f"/api/reports/weekly-review?{who}&week=2026-09-14")
