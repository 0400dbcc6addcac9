"""Rate limits on the expensive operations (route planning, imports), per signed-in user (per address
otherwise): Flask-Limiter, counting in memory by default and in Redis when RATELIMIT_STORAGE_URI names
it, so that every gunicorn worker counts together. A request over the limit answers 429 in the usual
error envelope with Retry-After. Logins have their own throttle (auth/throttle).

On-demand route plans also take one of a few solver slots of the process (PLAN_CONCURRENCY): a
solve keeps a core busy for its whole time limit. A plan that finds every slot taken is refused at
once, 503 `planner_busy` with Retry-After (PLAN_QUEUE_WAIT_S seconds, also `retry_after_s` in the
body): it never waits for a slot on one of the server's threads, which health checks, logins and
syncs need (a plan waiting there held a thread for as long as the solves before it took)."""

import math
import threading
from contextlib import contextmanager

from flask import current_app, g, request
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request
from flask_limiter import Limiter
from marshmallow import fields

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


def import_dry_runs():
    return current_app.config["IMPORT_DRY_RUN_RATE_LIMIT"]


def reverse_geocoding():
    return current_app.config["GEOCODE_RATE_LIMIT"]


def is_dry_run():
    """The import asks for a dry run (`dry_run` as the import's own schema reads it true); a value it
    would refuse counts as a write."""
    return request.args.get("dry_run", "").strip() in fields.Boolean.truthy


def import_limits():
    """An import's two limits: writes count against IMPORT_RATE_LIMIT, dry runs (which write nothing)
    against their own, larger IMPORT_DRY_RUN_RATE_LIMIT, so checking files does not use up the writes."""
    return [
        limiter.limit(imports, scope="write", exempt_when=is_dry_run),
        limiter.limit(import_dry_runs, scope="dry-run", exempt_when=lambda: not is_dry_run()),
    ]


class PlannerBusy(Unavailable):
    def __init__(self, retry_after_s):
        self.retry_after_s = retry_after_s
        super().__init__(
            f"The planner is busy with other plans; try again in {retry_after_s} s.",
            code="planner_busy",
            extra={"retry_after_s": retry_after_s},
        )


def busy_retry_after_s():
    """Whole seconds a refused plan is told to wait (Retry-After), at least 1."""
    return max(1, math.ceil(current_app.config["PLAN_QUEUE_WAIT_S"]))


@contextmanager
def planner_slot():
    """Hold one of this process's solver slots while planning, or answer 503 at once when none is free:
    the request never waits for one (see the module's note)."""
    slots = current_app.extensions["planner_slots"]
    if not slots.acquire(blocking=False):
        g.planner_busy_retry_after_s = busy_retry_after_s()
        raise PlannerBusy(g.planner_busy_retry_after_s)
    try:
        yield
    finally:
        slots.release()


def _busy_retry_after(response):
    """The limiter names its window's end as Retry-After on every answer of a limited route; a plan
    refused as busy names its own, shorter wait (registered before the limiter, so it runs after it)."""
    retry_after = g.get("planner_busy_retry_after_s")
    if retry_after is not None and response.status_code == 503:
        response.headers["Retry-After"] = str(retry_after)
    return response


def init_app(app):
    app.after_request(_busy_retry_after)
    limiter.init_app(app)
    app.extensions["planner_slots"] = threading.BoundedSemaphore(app.config["PLAN_CONCURRENCY"])
