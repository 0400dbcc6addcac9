"""Rate limits on the expensive operations (route planning, imports), per signed-in user (per address
otherwise): Flask-Limiter, counting in memory by default and in Redis when RATELIMIT_STORAGE_URI names
it, so that every gunicorn worker counts together. A request over the limit answers 429 in the usual
error envelope with Retry-After. Logins have their own throttle (auth/throttle)."""
from flask import current_app, request
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request
from flask_limiter import Limiter


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


def init_app(app):
    limiter.init_app(app)
