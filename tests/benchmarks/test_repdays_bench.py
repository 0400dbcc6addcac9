"""What a write pays to keep the rep-days (server/reports/repdays.py) when its rep has a year of history:
the figures of the day it touches worked out again from the rep's records of around that day.

    make bench

The data is the report benchmark's (50 reps, one year). Prints the median and 90th percentile of 300
single-day recomputations of random reps and days of the year's last two months, with the records read by
their start and by their end (the indexes of their end in place), and again without the indexes of the end
(as before them: the records still running into the day are found by reading the rep's history before it),
alternating three times in one run.
"""

import random
import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import User
from server.reports import repdays
from tests.benchmarks.test_reports_bench import DAYS, FIRST_DAY, TZ, _generate, load
from tests.benchmarks.test_sync_bench import BACKENDS, _fresh_app

INDEXES = (
    ("ix_visits_rep_check_out", "visits", "rep_id, check_out_at"),
    ("ix_activities_rep_ended", "activities", "rep_id, ended_at"),
)


def _indexes(present):
    with db.engine.begin() as conn:
        for name, table, columns in INDEXES:
            conn.exec_driver_sql(f"CREATE INDEX {name} ON {table} ({columns})" if present else f"DROP INDEX {name}")
        conn.exec_driver_sql("ANALYZE")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_writes_rep_day_upkeep_with_a_year_of_history(backend, tmp_path):
    app, _ = _fresh_app(backend, tmp_path, "bench_repdays")
    with app.app_context():
        data = _generate(random.Random(845))
        with db.engine.begin() as conn:
            load(conn, data)
        del data
        reps = db.session.scalars(select(User.id).where(User.role == "rep")).all()
        rng = random.Random(1)
        pairs = [(rng.choice(reps), FIRST_DAY + timedelta(days=rng.randrange(DAYS - 60, DAYS))) for _ in range(300)]

        first = []

        def run(label):
            times, answers = [], []
            with db.engine.connect() as conn:
                for rep, day in pairs:
                    started = time.perf_counter()
                    answers.append(repdays.compute(conn, rep, TZ, {day}))
                    times.append((time.perf_counter() - started) * 1000)
            times.sort()
            if first:
                assert answers == first  # the same figures whichever way the records are found
            else:
                first.extend(answers)
                assert any(answers)  # days with something to count
            print(
                f"[{backend}] one day's rep-day worked out again, {label}: median {statistics.median(times):5.1f} ms,"
                f" p90 {times[len(times) * 9 // 10]:5.1f} ms"
            )

        _indexes(present=False)
        _indexes(present=True)  # and ANALYZE after the load, as autovacuum would
        print()
        for _ in range(3):
            run("records read by start and by end   ")
            _indexes(present=False)
            run("without the indexes of their end   ")
            _indexes(present=True)
