"""The manager's end-of-day summary, and the queue drained by a real Celery worker on Redis."""

import socket
import time
import uuid
from datetime import datetime, timedelta

import pytest

from server.extensions import db
from server.models import DailyReview, Notification, User
from server.notify.runner import wait_idle
from tests.notify.conftest import MONDAY_10, link, use_wecom


def test_the_manager_gets_one_summary_of_the_daily_reports_before_the_day_ends(
    app, client, world, wecom, runner, clock
):
    from datetime import date

    use_wecom(client, world)
    link(client, world, "m1", wecom_userid="li.si")
    with app.app_context():
        db.session.add(DailyReview(rep_id=world.users["r1"], day=date(2026, 11, 9), went_well="Two demos"))
        db.session.commit()
    clock.set(MONDAY_10.replace(hour=18))  # too early: nothing
    assert runner.invoke(args=["notify", "run"]).output.startswith("summaries queued: 0")
    clock.set(MONDAY_10.replace(hour=19, minute=40))  # within the half hour before 20:00
    result = runner.invoke(args=["notify", "run"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("summaries queued: 2")  # North's manager and South's
    assert runner.invoke(args=["notify", "run"]).output.startswith("summaries queued: 0")  # once a day
    wait_idle(app)
    assert [(d[0], d[1], d[2]) for d in wecom.delivered] == [("li.si", "今天的日报", "1/2 人写了日报，共 0 个拜访")]
    # South's manager (no channel: in-app) got theirs too; a rep gets none.
    south = client.get("/api/notifications", headers=world.headers("m2")).get_json()
    assert [(n["kind"], n["channel"], n["state"], n["params"]["reps"]) for n in south] == [
        ("day_summary", "inapp", "sent", 1)
    ]
    assert client.get("/api/notifications", headers=world.headers("r1")).get_json() == []


def _redis_reachable():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


def test_with_a_broker_a_celery_worker_sends_the_notices(app, client, world, wecom, clock):
    from celery.contrib.testing.worker import start_worker

    from server.background import celery_for
    from server.notify.queue import enqueue
    from server.notify.runner import DRAIN, TICK

    if not _redis_reachable():
        pytest.skip("Redis on 127.0.0.1:6379 is not reachable: the Celery path is not tested here")
    clock.set(MONDAY_10)
    use_wecom(client, world)
    link(client, world, "r1", wecom_userid="zhang.san")
    app.config.update(CELERY_BROKER_URL="redis://127.0.0.1:6379/5", CELERY_QUEUE=f"fieldday-test-{uuid.uuid4().hex}")
    celery = celery_for(app)
    assert {DRAIN, TICK} <= set(celery.tasks) and celery.conf.beat_schedule["notify-tick"]["task"] == TICK
    with start_worker(celery, pool="threads", concurrency=1, perform_ping_check=False, loglevel="WARNING"):
        with app.app_context():
            user = db.session.get(User, world.users["r1"])
            for stops in (3, 4):
                enqueue(user, "plan_ready", {"date": "2026-11-10", "stops": stops, "leave_at": "08:21"})
            db.session.commit()  # the commit sends the drain task to the worker
        deadline = datetime.now() + timedelta(seconds=60)
        while len(wecom.delivered) < 2 and datetime.now() < deadline:
            time.sleep(0.1)
    assert sorted(d[2] for d in wecom.delivered) == ["明天：3 个拜访，08:21 出发", "明天：4 个拜访，08:21 出发"]
    assert "notify_runner" not in app.extensions  # not the thread runner
    with app.app_context():
        assert set(db.session.scalars(db.select(Notification.state))) == {"sent"}


def _plan(rep_id, account_id, day, at):
    from server.models import RoutePlan, RouteStop

    plan = RoutePlan(rep_id=rep_id, plan_date=day)
    db.session.add(plan)
    db.session.flush()
    db.session.add(RouteStop(route_plan_id=plan.id, position=0, account_id=account_id, planned_arrival=at))


def test_the_manager_hears_once_of_a_first_visit_late_on_a_planned_day(app, client, world, quiet_runner, clock):
    """Monday 9 November: r1 and r2 (North, m1) and r3 (South, m2) have a planned day. At 08:54 (within the
    10 minutes' tolerance after 8:45) nothing is said; at 09:00 r1 has no visit on the server (late, said
    once), r2 began at 08:50 (on time), r3 at 09:20 (late, said with the time). Later ticks add nothing."""
    from server.models import Visit
    from server.notify.late import write_late
    from tests.records import add_visits, writing

    day = MONDAY_10.date()
    with writing(app):
        for rep in ("r1", "r2", "r3"):
            _plan(world.users[rep], world.accounts[rep], day, MONDAY_10.replace(hour=8, minute=45))
        add_visits(
            Visit(
                account_id=world.accounts["r2"],
                rep_id=world.users["r2"],
                purpose="Demo",
                check_in_at=MONDAY_10.replace(hour=8, minute=50),
            ),
            Visit(
                account_id=world.accounts["r3"],
                rep_id=world.users["r3"],
                purpose="Demo",
                check_in_at=MONDAY_10.replace(hour=9, minute=20),
            ),
        )
        db.session.commit()

    def late_at(hour, minute):
        clock.set(MONDAY_10.replace(hour=hour, minute=minute))
        with app.app_context():
            return write_late()

    assert late_at(8, 54) == 0
    assert late_at(9, 0) == 2  # r1 (nothing yet) and r3 (begun after the tolerance)
    assert late_at(9, 45) == 0  # once a day per rep
    assert late_at(13, 0) == 0
    north = client.get("/api/notifications", headers=world.headers("m1")).get_json()
    assert [(n["kind"], n["params"]["at"], n["params"]["checked"]) for n in north] == [
        ("first_visit_late", None, "09:00")
    ]
    assert north[0]["text"].startswith("到 09:00 还没有") and north[0]["text"].endswith("目标 08:45")
    south = client.get("/api/notifications", headers=world.headers("m2")).get_json()
    assert [(n["kind"], n["params"]["at"], n["params"]["target"]) for n in south] == [
        ("first_visit_late", "09:20", "08:45")
    ]
    assert client.get("/api/notifications", headers=world.headers("r1")).get_json() == []
