"""Re-planning the rest of a rep's day on the server, as a rep at 11:00 asks for it.

make bench          # the figures: a re-plan of the rest of a 12-stop day, against the full day's plan,
                    # and the rep's own reorder of that day timed again without solving
"""

import statistics
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from server import clock
from server.demo import seed
from server.extensions import db
from server.models import Account, RoutePlan, User, Visit
from server.route_plans.editing import edit_stops
from server.route_plans.planner import Choices, Start, plan_day
from tests.benchmarks.test_sync_bench import _fresh_app
from tests.records import add_visits, writing

TZ = ZoneInfo("Asia/Shanghai")


def test_replan_the_rest_of_a_12_stop_day(tmp_path):
    app, _ = _fresh_app("sqlite", tmp_path, "bench_replan")
    day = clock.today(TZ) + timedelta(days=7)
    with writing(app):
        seed("bench-password", reps=1, accounts_per_rep=60, weeks=2, today=day)
        rep = db.session.query(User).filter_by(username="rep1").one()
        # C accounts (30-minute visits) close together, so the day holds about twelve stops.
        for account in db.session.query(Account).filter_by(owner_id=rep.id):
            account.account_class, account.last_contact_at = "C", None
        db.session.commit()
        picks = Choices()
        full = []
        for _ in range(5):
            t0 = time.perf_counter()
            plan = plan_day(rep.id, day, time_limit_s=2.0, choices=picks, by=rep.id)
            full.append(time.perf_counter() - t0)
        stops = [s.account_id for s in plan.stops]
        for n, account_id in enumerate(stops[:3]):  # three visits done by 11:00
            at = datetime.combine(day, datetime.min.time(), TZ).replace(hour=9) + timedelta(minutes=40 * n)
            add_visits(
                Visit(
                    account_id=account_id,
                    rep_id=rep.id,
                    purpose="done",
                    check_in_at=at,
                    check_out_at=at + timedelta(minutes=30),
                )
            )
        db.session.commit()
        here = db.session.get(Account, stops[2])
        start = Start(here.latitude, here.longitude, datetime.combine(day, datetime.min.time(), TZ).replace(hour=11))
        rest = []
        for _ in range(5):
            t0 = time.perf_counter()
            replanned = plan_day(rep.id, day, time_limit_s=2.0, choices=picks, by=rep.id, start=start, preview=True)
            rest.append(time.perf_counter() - t0)
        stored = db.session.query(RoutePlan).filter_by(rep_id=rep.id, plan_date=day).one()
        order = [
            {"account_id": s.account_id, "appointment_id": s.appointment_id}
            for s in sorted(stored.stops, key=lambda s: s.position)
        ]
        edits = []
        for n in range(5):  # the rep reverses the rest of the day, and back
            t0 = time.perf_counter()
            edit_stops(rep, stored, order[:3] + (order[3:][::-1] if n % 2 == 0 else order[3:]), changed_at=start.at)
            db.session.commit()
            edits.append(time.perf_counter() - t0)
        print(
            f"\nplan of a {len(stops)}-stop day (2 s limit): median {statistics.median(full) * 1000:.0f} ms (of 5); "
            f"re-plan of the rest from 11:00 with 3 stops done ({len(replanned['stops'])} stops left): "
            f"median {statistics.median(rest) * 1000:.0f} ms, max {max(rest) * 1000:.0f} ms (of 5); "
            f"the rep's own reorder of that day, timed again: median {statistics.median(edits) * 1000:.1f} ms (of 5)"
        )
