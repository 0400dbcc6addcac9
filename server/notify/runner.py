"""Who drains the queue: a Celery task when CELERY_BROKER_URL is set (and the beat's minutely run for
retries and held notices), otherwise one thread of this process, which sets a timer for the next
notice due. `flask notify run` drains and writes the day's summaries, late first visits, follow-ups,
unresolved conflicts and reminders once (for cron without Celery)."""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from .. import clock
from ..extensions import db

DRAIN = "fieldday.notify_drain"
TICK = "fieldday.notify_tick"
MAX_TIMER_S = 300  # the thread runner looks again at least this often while notices wait

log = logging.getLogger(__name__)


def dispatch(app):
    """Have the queue drained soon; under the thread runner, the Future of that drain."""
    if app.config["CELERY_BROKER_URL"]:
        from ..background import celery_for

        celery_for(app).send_task(DRAIN)
        return None
    executor = app.extensions.setdefault(
        "notify_runner", ThreadPoolExecutor(max_workers=1, thread_name_prefix="notify")
    )
    return executor.submit(_drain_here, app)


def _drain_here(app):
    from .queue import drain, next_due

    with app.app_context():
        try:
            counts = drain()
            due = next_due()
        except Exception:
            log.exception("the notice queue could not be drained")
            return {}
        finally:
            db.session.remove()
    if due is not None and app.config.get("NOTIFY_TIMER", True):
        _set_timer(app, max((due - clock.now()).total_seconds(), 1))
    return counts


def _set_timer(app, seconds):
    seconds = min(seconds, MAX_TIMER_S)
    old = app.extensions.get("notify_timer")
    if old is not None:
        old.cancel()
    timer = threading.Timer(seconds, dispatch, (app,))
    timer.daemon = True
    app.extensions["notify_timer"] = timer
    timer.start()


def wait_idle(app, timeout=30):
    """Wait for what the thread runner was given so far (tests, the CLI)."""
    executor = app.extensions.get("notify_runner")
    if executor is not None:
        executor.submit(lambda: None).result(timeout=timeout)


def drain_task():
    from .queue import drain

    return drain()


def write_timed():
    """Write the notices the clock brings due (the day's summaries, late first visits, follow-ups due, conflicts
    left unresolved, leave-by and appointment-soon reminders): how many of each, in that order. The tick and
    `flask notify run` both call it."""
    from .conflicts import write_unresolved
    from .followup import write_follow_ups
    from .late import write_late
    from .reminders import write_reminders
    from .summaries import write_due

    return write_due(), write_late(), write_follow_ups(), write_unresolved(), write_reminders()


def tick_task():
    from .queue import drain

    write_timed()
    return drain()
