"""Report latency for a past month after its accounts moved: the data of test_reports_bench.py (50 reps, one
year), then a tenth of the accounts reassigned to the next rep and another tenth re-classed after September,
both written with their history as the API writes it. September's reports take every account as it stood
on 30 September (server/reports/asof.py): the same figures as before the moves, at what cost.

    make bench          # SQLite, and PostgreSQL too when TEST_DATABASE_URL is set
"""

import gc
import random
import statistics
import time
from datetime import datetime

import pytest
from sqlalchemy import select, update

from server.extensions import db
from server.fastpaths import freeze_startup_heap
from server.models import (
    Account,
    AccountClassChange,
    AccountReassignment,
    Opportunity,
    User,
)
from tests.benchmarks.test_reports_bench import TZ, _generate, load
from tests.benchmarks.test_sync_bench import BACKENDS, _fresh_app

REPORTS = ("cadence", "overdue", "coverage", "funnel", "win-loss", "method-ratios", "targets", "scorecard")
SEPTEMBER = "from=2026-09-01&to=2026-09-30"
MOVED_AT = datetime(2026, 10, 15, 10, 0, tzinfo=TZ)

from tests.benchmarks.test_reports_bench import TZ, _bulk


@pytest.mark.parametrize("backend", BACKENDS)
def test_past_month_after_moves_latency(backend, tmp_path):
    app, _ = _fresh_app(backend, tmp_path, "bench_reports_asof")
    with app.app_context():
        data = _generate(random.Random(845))
        with db.engine.begin() as conn:
            load(conn, data)
        reps = [u["id"] for u in data["users"] if u["role"] == "rep"]
        accounts = data["accounts"]
    manager_id, team_id = data["manager_id"], data["team_id"]
    del data
    gc.collect()
    freeze_startup_heap()
    client = app.test_client()
    with app.app_context():
        from flask_jwt_extended import create_access_token

        headers = {"Authorization": f"Bearer {create_access_token(identity=db.session.get(User, manager_id))}"}

    def run(label):
        answers = {}
        for name in REPORTS:
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                response = client.get(f"/api/reports/{name}?team_id={team_id}&{SEPTEMBER}", headers=headers)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, response.get_json()
            answers[name] = response.get_json()
            print(
                f"[{backend}] {name:>14}: September {label} median {statistics.median(times):6.0f} ms, "
                f"max {max(times):6.0f} ms (target < 300 ms)"
            )
        return answers

    print(f"\n[{backend}] {len(reps)} reps, {len(accounts):,} accounts")
    before = run("as recorded ")
    following = {rep: reps[(i + 1) % len(reps)] for i, rep in enumerate(reps)}
    moved, reclassed = accounts[::10], accounts[5::10]
    with app.app_context(), db.engine.begin() as conn:
        _bulk(
            conn,
            AccountReassignment,
            [
                {"account_id": a["id"], "from_owner_id": a["owner_id"], "to_owner_id": following[a["owner_id"]]}
                | {"at": MOVED_AT}
                for a in moved
            ],
        )
        new_class = {"A": "B", "B": "C", "C": "A"}
        _bulk(
            conn,
            AccountClassChange,
            [
                {"account_id": a["id"], "from_class": a["account_class"], "to_class": new_class[a["account_class"]]}
                | {"at": MOVED_AT}
                for a in reclassed
            ],
        )
        for a in moved:
            conn.execute(update(Account).where(Account.id == a["id"]).values(owner_id=following[a["owner_id"]]))
            conn.execute(
                update(Opportunity).where(Opportunity.account_id == a["id"]).values(owner_id=following[a["owner_id"]])
            )
        for a in reclassed:
            conn.execute(
                update(Account).where(Account.id == a["id"]).values(account_class=new_class[a["account_class"]])
            )
    with app.app_context():
        assert db.session.scalar(select(Account.owner_id).where(Account.id == moved[0]["id"])) != moved[0]["owner_id"]
    print(f"[{backend}] {len(moved):,} accounts reassigned and {len(reclassed):,} re-classed on 15 October")
    after = run("after moves ")
    changed = [name for name in REPORTS if before[name] != after[name]]
    assert changed == [], changed
