"""Thin views over notify/services.py and notify/signin.py."""

from flask import jsonify, request
from flask.views import MethodView
from flask_jwt_extended import set_refresh_cookies

from ..auth.schemas import TokensSchema
from ..auth.services import new_session
from ..extensions import ErrorSchema
from ..security import login_required, principal
from . import blp, services, signin
from .schemas import (
    ChannelEditSchema,
    ChannelSchema,
    ImConfirmSchema,
    ImLinksSchema,
    ImSignInSchema,
    MineQuery,
    NoticeSchema,
    OutboxNoticeSchema,
    OutboxQuery,
    PrefsAnswerSchema,
    PrefsSchema,
    PushEndpointSchema,
    PushKeyAnswerSchema,
    PushSubscribedSchema,
    PushSubscriptionSchema,
)

NOT_FOUND = {"schema": ErrorSchema, "description": "Not found, or not the caller's"}
FORBIDDEN = {"schema": ErrorSchema, "description": "A rep"}


def _tokens(user, in_cookie):
    tokens = new_session(user)
    if not in_cookie:
        return {**tokens, "user": user}
    response = jsonify(TokensSchema().dump({"access_token": tokens["access_token"], "user": user}))
    set_refresh_cookies(response, tokens["refresh_token"])
    return response


@blp.route("/auth/im")
class ImSignIn(MethodView):
    @blp.doc(security=[])
    @blp.arguments(ImSignInSchema)
    @blp.response(200, TokensSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="The provider refused the code")
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown corp, or no user linked (code not_linked)")
    @blp.alt_response(409, schema=ErrorSchema, description="code confirm_link: a username matches; confirm once")
    def post(self, data):
        """Sign in from inside WeCom (OAuth2 snsapi_base code) or DingTalk (免登 auth code)"""
        user = signin.sign_in(data["provider"], data["corp_id"], data["code"])
        return _tokens(user, data["refresh_in_cookie"])


@blp.route("/auth/im/confirm")
class ImConfirm(MethodView):
    @blp.doc(security=[])
    @blp.arguments(ImConfirmSchema)
    @blp.response(200, TokensSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="Wrong password, or a bad or expired ticket")
    def post(self, data):
        """Confirm the link a sign-in offered (its ticket) with your Fieldday password, once; signs you in"""
        user = signin.confirm(data["ticket"], data["password"], address=(request.remote_addr or "")[:64])
        return _tokens(user, data["refresh_in_cookie"])


@blp.route("/notifications")
class Mine(MethodView):
    decorators = [login_required()]

    @blp.arguments(MineQuery, location="query")
    @blp.response(200, NoticeSchema(many=True))
    def get(self, args):
        """Your notices, newest first (the Me screen's list and the banner), in the language asked (`lang`: the
        one the app shows) or your own"""
        return services.mine(principal(), args["unread"], args["limit"], args.get("lang"))


@blp.route("/notifications/<uuid:notice_id>/read")
class Read(MethodView):
    decorators = [login_required()]

    @blp.response(200, NoticeSchema)
    @blp.alt_response(404, **NOT_FOUND)
    def post(self, notice_id):
        """Mark one of your notices read"""
        return services.mark_read(principal(), notice_id)


@blp.route("/notifications/outbox")
class Outbox(MethodView):
    decorators = [login_required()]

    @blp.arguments(OutboxQuery, location="query")
    @blp.response(200, OutboxNoticeSchema(many=True))
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    def get(self, args):
        """The team's notices with their state (queued, sent, failed and why): its manager, or an admin"""
        return services.outbox(principal(), args.get("team_id"), args.get("state"), args["limit"])


@blp.route("/notifications/prefs")
class Prefs(MethodView):
    decorators = [login_required()]

    @blp.response(200, PrefsAnswerSchema)
    def get(self):
        """Your kinds of notice: each on or off, and whether also outside the team's working hours"""
        return services.get_prefs(principal())

    @blp.arguments(PrefsSchema)
    @blp.response(200, PrefsAnswerSchema)
    def put(self, data):
        """Switch kinds of notice on or off (the kinds named; the others stay)"""
        return services.set_prefs(principal(), data)


@blp.route("/teams/<uuid:team_id>/channel")
class Channel(MethodView):
    decorators = [login_required()]

    @blp.response(200, ChannelSchema)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    def get(self, team_id):
        """The team's notice channel (secrets are never answered: only whether each is set)"""
        return services.get_channel(principal(), team_id)

    @blp.arguments(ChannelEditSchema)
    @blp.response(200, ChannelSchema)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    def patch(self, data, team_id):
        """Choose the team's channel and set its credentials (write-only) and working hours"""
        return services.update_channel(principal(), team_id, data)


@blp.route("/users/<uuid:user_id>/im-links")
class ImLinks(MethodView):
    decorators = [login_required()]

    @blp.response(200, ImLinksSchema)
    @blp.alt_response(404, **NOT_FOUND)
    def get(self, user_id):
        """The user's WeCom and DingTalk user ids"""
        return services.get_links(principal(), user_id)

    @blp.arguments(ImLinksSchema)
    @blp.response(200, ImLinksSchema)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    @blp.alt_response(409, schema=ErrorSchema, description="The id is linked to another user")
    def put(self, data, user_id):
        """Link the user's WeCom / DingTalk user ids (null unlinks), in the corp of the user's team"""
        return services.set_links(principal(), user_id, data)


@blp.route("/push/key")
class PushKey(MethodView):
    decorators = [login_required()]

    @blp.response(200, PushKeyAnswerSchema)
    def get(self):
        """Whether Web Push is set up here, and the VAPID public key a browser subscribes with"""
        return services.push_key()


@blp.route("/push/subscription")
class PushSubscriptionView(MethodView):
    decorators = [login_required()]

    @blp.arguments(PushSubscriptionSchema)
    @blp.response(200, PushSubscribedSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Web Push is not set up on this server")
    @blp.alt_response(409, schema=ErrorSchema, description="The endpoint is another user's, with other keys")
    def put(self, data):
        """Keep this browser's push subscription: notices then come as Web Push too (in-app channel only)"""
        return services.subscribe_push(principal(), data)

    @blp.arguments(PushEndpointSchema)
    @blp.response(204)
    def delete(self, data):
        """Forget this browser's push subscription"""
        services.unsubscribe_push(principal(), data["endpoint"])
