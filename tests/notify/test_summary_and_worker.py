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
