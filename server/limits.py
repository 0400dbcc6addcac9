"""Rate limits on the expensive operations (route planning, imports), per signed-in user (per address
otherwise): Flask-Limiter, counting in memory by default and in Redis when RATELIMIT_STORAGE_URI names
it, so that every gunicorn worker counts together. A request over the limit answers 429 in the usual
error envelope with Retry-After. Logins have their own throttle (auth/throttle).

On-demand route plans also take one of a few solver slots of the process (PLAN_CONCURRENCY): a
solve keeps a core busy for its whole time limit, so more plans at once than there are slots wait
for one (up to PLAN_QUEUE_WAIT_S) and then answer 503 with Retry-After, instead of starving every
other request of the process."""
import threading
from contextlib import contextmanager

from flask import current_app, request
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request
from flask_limiter import Limiter

from .errors import Unavailable


def _caller():
    try:
        verify_jwt_in_request(optional=True)
        identity = get_jwt_identity()
    except Exception:  # noqa: BLE001 (a bad token is the view's to refuse; here it only picks the key)
        identity = None
    return f"user:{identity}" if identity else f"address:{request.remote_addr}"


limiter = Limiter(key_func=_caller, default_limits=[])


def planning():
    return current_app.config["PLAN_RATE_LIMIT"]


def imports():
    return current_app.config["IMPORT_RATE_LIMIT"]


class PlannerBusy(Unavailable):
    retry_after_s = 5


@contextmanager
def planner_slot():
    """Hold one of this process's solver slots while planning, or answer 503 when none frees in time."""
    slots = current_app.extensions["planner_slots"]
    if not slots.acquire(timeout=current_app.config["PLAN_QUEUE_WAIT_S"]):
        raise PlannerBusy("The planner is busy with other plans; try again in a few seconds.", code="planner_busy")
    try:
        yield
    finally:
        slots.release()


def init_app(app):
    limiter.init_app(app)
    app.extensions["planner_slots"] = threading.BoundedSemaphore(app.config["PLAN_CONCURRENCY"])
