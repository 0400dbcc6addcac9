"""`/api/calendar`: the caller's feed token (state, new or rotated, revoked), the feed itself (by its token,
no login: a calendar app reads it) and one appointment as a `.ics` download."""

import hashlib

from flask import Response, current_app, request
from flask.views import MethodView

from ..extensions import ErrorSchema
from ..limits import limiter
from ..security import login_required, principal
from . import blp
from .schemas import FeedStateSchema, NewFeedSchema
from .services import appointment_file, feed, feed_state, new_token, revoke

ICS = "text/calendar; charset=utf-8"
CALENDAR = {"schema": {"type": "string"}}  # an RFC 5545 file
FEED = "The owner's planned stops and appointments of the coming 14 days (RFC 5545), times in the team's time zone"
NO_FEED = {"schema": ErrorSchema, "description": "No such feed: an unknown or revoked token (or a deactivated user)"}


def _feed_limit():
    return current_app.config["CALENDAR_RATE_LIMIT"]


def _feed_key():
    # Per feed, not per address: calendar services read many users' feeds from a few addresses.
    token = (request.view_args or {}).get("token", "")
    return "calendar:" + hashlib.sha256(token.encode()).hexdigest()[:32]


def _ics(body, filename=None):
    response = Response(body, content_type=ICS)
    response.headers["Cache-Control"] = "private, no-cache"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@blp.route("/feed")
class MyFeed(MethodView):
    decorators = [login_required()]

    @blp.response(200, FeedStateSchema)
    def get(self):
        """Whether the caller has a calendar feed URL (the URL itself is shown only when it is made)"""
        return feed_state(principal().id)

    @blp.response(201, NewFeedSchema)
    def post(self):
        """Make the caller's calendar feed URL, or a new one: the one before stops working"""
        token, created_at = new_token(principal().id)
        url = f"{request.url_root}api/calendar/{token}.ics"
        return {"active": True, "created_at": created_at, "url": url, "webcal_url": "webcal" + url[url.index(":") :]}

    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="The caller has no live feed")
    def delete(self):
        """Revoke the caller's calendar feed URL: it answers 404 from now on"""
        revoke(principal().id)


@blp.route("/<feed_token:token>.ics")
class Feed(MethodView):
    decorators = [limiter.limit(_feed_limit, key_func=_feed_key)]

    @blp.doc(security=[], responses={"200": {"description": FEED, "content": {"text/calendar": CALENDAR}}})
    @blp.response(200, content_type="text/calendar", description=FEED)
    @blp.alt_response(404, **NO_FEED)
    @blp.alt_response(429, schema=ErrorSchema, description="Read too often (CALENDAR_RATE_LIMIT, per feed)")
    def get(self, token):
        """The calendar feed of a token's owner: their own plan only (no login; the token is the secret)"""
        return _ics(feed(token))


@blp.route("/appointments/<uuid:appointment_id>.ics")
class AppointmentFile(MethodView):
    decorators = [login_required()]

    @blp.doc(
        responses={"200": {"description": "One appointment as a calendar file", "content": {"text/calendar": CALENDAR}}}
    )
    @blp.response(200, content_type="text/calendar", description="One appointment as a calendar file")
    @blp.alt_response(404, schema=ErrorSchema, description="No such appointment in the caller's territory")
    def get(self, appointment_id):
        """One appointment as a `.ics` file (for calendars that cannot subscribe to a URL)"""
        body, starts = appointment_file(principal(), appointment_id)
        return _ics(body, f"appointment-{starts:%Y%m%d-%H%M}.ics")
