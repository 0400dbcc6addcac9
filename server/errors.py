"""One error envelope for every 4xx/5xx: {"error": {"code", "message", "fields", "field_codes"}}."""

import io
import json
import logging
import sys

import psycopg
from flask import jsonify, request
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .extensions import db
from .messages import field_codes

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    426: "upgrade_required",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class AppError(Exception):
    """A domain error that services raise; views never build error bodies themselves."""

    status = 400
    code = None

    def __init__(self, message, fields=None, code=None, extra=None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.code = code or self.code or CODES.get(self.status, "error")
        self.extra = extra or {}


class NotFound(AppError):
    status = 404


class Forbidden(AppError):
    status = 403


class UnsupportedMediaType(AppError):
    status = 415


class Unauthorized(AppError):
    status = 401


class Conflict(AppError):
    status = 409


class ValidationFailed(AppError):
    status = 422


class TooManyRequests(AppError):
    status = 429


class Unavailable(AppError):
    """A transient clash the server could not settle by retrying: the client retries later."""

    status = 503
    retry_after_s = 1


def error_response(status, message, fields=None, code=None, extra=None):
    """Build the envelope response."""
    body = {"code": code or CODES.get(status, "error"), "message": message, "fields": fields or {}}
    if fields:
        body["field_codes"] = field_codes(fields)
    body.update(extra or {})
    response = jsonify({"error": body})
    response.status_code = status
    return response


def _flatten_messages(messages):
    """Turn webargs' {location: {field: [msgs]}} into {field: [msgs]}."""
    if not isinstance(messages, dict):
        return {"_schema": messages}
    fields = {}
    for location, errors in messages.items():
        if isinstance(errors, dict):
            fields.update(errors)
        else:
            fields[location] = errors
    return fields


def handle_http_exception(exc):
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    fields = _flatten_messages(data["messages"]) if "messages" in data else {}
    message = data.get("message") or exc.description or CODES.get(status, "error")
    if status == 422 and fields:
        message = "The request has invalid fields: " + ", ".join(sorted(map(str, fields)))
    if status == 400 and "Invalid JSON" in str(fields) + message:
        message, fields = "The body is not valid JSON.", {}
    if status == 413:
        message = "The request body is too large."
    response = error_response(status, message, fields)
    for name in ("WWW-Authenticate", "Allow", "Retry-After"):
        headers = dict(exc.get_headers()) if hasattr(exc, "get_headers") else {}
        if name in headers:
            response.headers[name] = headers[name]
    return response


def handle_app_error(exc):
    rollback()
    response = error_response(exc.status, exc.message, exc.fields, exc.code, exc.extra)
    if exc.status == 503:
        response.headers["Retry-After"] = str(getattr(exc, "retry_after_s", 2))
    elif exc.status == 429:
        response.headers["Retry-After"] = str(exc.extra.get("retry_after_s", 60))
    return response


def handle_integrity_error(exc):
    rollback()
    log.info("integrity error: %s", exc.orig)
    return error_response(409, "The change conflicts with stored data (duplicate or missing reference).")


def handle_stale_data(exc):
    rollback()
    return error_response(409, "The record was changed by someone else; reload and try again.", code="version_conflict")


def rollback():
    """Roll the request's session back; on a connection the database has dropped, give the connection up
    instead (there is nothing left to roll back) rather than fail the answer being built."""
    try:
        db.session.rollback()
    except DBAPIError as exc:
        log.warning("rollback failed, connection given up: %s", exc.orig)
        db.session().invalidate()


def handle_transient(exc):
    rollback()
    log.warning("transient database error: %s", exc)
    response = error_response(
        503, "The database is busy; retry shortly. This request saved nothing.", code="unavailable"
    )
    response.headers["Retry-After"] = "2"
    return response


def handle_too_deep(exc):
    rollback()
    return error_response(400, "The body is nested too deeply to read.")


def handle_database_error(exc):
    """Any other driver error: a dropped connection (`connection_invalidated`) is transient like an
    OperationalError; anything else is unexpected."""
    if getattr(exc, "connection_invalidated", False):
        return handle_transient(exc)
    return handle_unexpected(exc)


def handle_unexpected(exc):
    rollback()
    if isinstance(exc, ValueError) and "integer string conversion" in str(exc):
        # The JSON body holds a number of thousands of digits: Python refuses to read it (a DoS guard).
        return error_response(400, "The body holds a number too long to read.")
    log.exception("unhandled error")
    return error_response(500, "Internal error; nothing was saved.")


def read_chunked_body():
    """A chunked body (no Content-Length) is read before any parser sees it, so one past the size
    limit (MAX_CONTENT_LENGTH; imports: IMPORT_MAX_BYTES) is a 413 rather than a body cut short."""
    if request.content_length is not None or "chunked" not in request.headers.get("Transfer-Encoding", "").lower():
        return
    limit = request.max_content_length
    raw = request.environ["wsgi.input"].read(-1 if limit is None else limit + 1)
    if limit is not None and len(raw) > limit:
        raise RequestEntityTooLarge()  # werkzeug would cut the body at the limit and parse the rest
    request.environ["wsgi.input"] = io.BytesIO(raw)  # read to its end, within the limit just checked


def release_session(_exc=None):
    """End the request's session before Flask-SQLAlchemy's own teardown does (teardowns run last
    registered first). Closing rolls back what the request left open; when the database dropped the
    connection after the answer was built, that ROLLBACK fails, and raised from a teardown it would
    replace the answer with the server's bare HTML 500. The connection is given up instead; the answer
    stands (whatever it committed is committed, the rest was never saved)."""
    try:
        db.session.remove()
    except DBAPIError as exc:
        log.warning("closing the session failed, connection given up: %s", exc.orig)
        try:
            db.session().invalidate()
        finally:
            db.session.registry.clear()


LAST_RESORT_BODY = json.dumps(
    {"error": {"code": "internal_error", "message": "Internal error; nothing was saved.", "fields": {}}}
).encode()


class ApiLastResort:
    """WSGI wrapper: an exception that escapes Flask itself (a failing error handler or teardown) on an
    /api path is still answered in the error envelope, never the server's HTML page. Tests and the
    debugger (PROPAGATE_EXCEPTIONS) see it raised as before."""

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ, start_response):
        try:
            return self.wsgi_app(environ, start_response)
        except Exception:
            path = environ.get("PATH_INFO", "")
            if self.app.config.get("PROPAGATE_EXCEPTIONS") or self.app.testing or self.app.debug:
                raise
            if path != "/api" and not path.startswith("/api/"):
                raise
            log.exception("unhandled error outside the request's handlers: %s", path)
            headers = [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(LAST_RESORT_BODY))),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
            ]
            start_response("500 INTERNAL SERVER ERROR", headers, sys.exc_info())
            return [LAST_RESORT_BODY]


def init_app(app):
    """Register the handlers; called after the API so ours replace its defaults."""
    app.teardown_appcontext(release_session)
    app.wsgi_app = ApiLastResort(app, app.wsgi_app)
    app.before_request(read_chunked_body)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(StaleDataError, handle_stale_data)
    app.register_error_handler(OperationalError, handle_transient)
    app.register_error_handler(psycopg.OperationalError, handle_transient)  # the driver's own, unwrapped
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(RecursionError, handle_too_deep)
    app.register_error_handler(Exception, handle_unexpected)
