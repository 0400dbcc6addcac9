from flask import current_app, jsonify, request
from flask.views import MethodView
from flask_jwt_extended import (
    current_user,
    decode_token,
    get_jwt,
    jwt_required,
    set_refresh_cookies,
    unset_refresh_cookies,
)
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt import PyJWTError

from ..errors import Forbidden, Unauthorized
from ..extensions import ErrorSchema
from . import blp
from .schemas import (
    AccessTokenSchema,
    LoginSchema,
    LogoutSchema,
    PasswordChangeSchema,
    SessionUserSchema,
    TokensSchema,
    UserSchema,
)
from .services import _family_id, authenticate, change_password, end_family, new_session, revoke, rotate


@blp.route("/login")
class Login(MethodView):
    @blp.doc(security=[])
    @blp.arguments(LoginSchema)
    @blp.response(200, TokensSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="Wrong username or password, or a deactivated user")
    @blp.alt_response(
        429,
        schema=ErrorSchema,
        description="Over LOGIN_MAX_FAILURES (10) failed logins for one username from one address within "
        "LOGIN_FAILURE_WINDOW_S (60 s), or three times as many over all usernames: wait the Retry-After seconds",
    )
    def post(self, data):
        """Exchange a username and password for an access and a refresh token"""
        user = authenticate(
            data["username"],
            data["password"],
            current_app.config["LOGIN_MAX_FAILURES"],
            current_app.config["LOGIN_FAILURE_WINDOW_S"],
            address=(request.remote_addr or "")[:64],
        )
        tokens = new_session(user)
        if not data["refresh_in_cookie"]:
            return {**tokens, "user": user}
        return _in_cookie(
            TokensSchema().dump({"access_token": tokens["access_token"], "user": user}), tokens["refresh_token"]
        )


@blp.route("/refresh")
class Refresh(MethodView):
    decorators = [jwt_required(refresh=True)]

    @blp.response(200, AccessTokenSchema)
    def post(self):
        """Trade the refresh token for a new access token and a new refresh token (the old one is spent)"""
        tokens = rotate(get_jwt(), current_user)
        if "Authorization" in request.headers:
            return tokens
        return _in_cookie({"access_token": tokens["access_token"]}, tokens["refresh_token"])  # it came in one


@blp.route("/logout")
class Logout(MethodView):
    decorators = [jwt_required(verify_type=False)]

    @blp.arguments(LogoutSchema, required=False)
    @blp.response(204)
    @blp.alt_response(
        401, schema=ErrorSchema, description="No valid access token, or the refresh token sent is no valid token"
    )
    @blp.alt_response(403, schema=ErrorSchema, description="The refresh token sent is another user's")
    def post(self, data):
        """Revoke the presented token, and the refresh token if one is sent"""
        revoke(get_jwt(), current_user.id)
        end_family(get_jwt())
        refresh_token = (data or {}).get("refresh_token") or request.cookies.get(
            current_app.config["JWT_REFRESH_COOKIE_NAME"]
        )
        if refresh_token:
            try:
                payload = decode_token(refresh_token)
            except (PyJWTError, JWTExtendedException) as exc:
                raise Unauthorized("The refresh token is invalid.", {"refresh_token": [str(exc)]}) from exc
            if payload.get("sub") != str(current_user.id):
                raise Forbidden("That refresh token is not yours.", {"refresh_token": ["Not yours."]})
            revoke(payload, current_user.id)
        response = current_app.response_class(status=204)
        unset_refresh_cookies(response)  # the browser forgets the cookie too
        return response


def _in_cookie(body, refresh_token):
    response = jsonify(body)
    set_refresh_cookies(response, refresh_token)
    return response


@blp.route("/me")
class Me(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, SessionUserSchema)
    def get(self):
        """Who the token belongs to, and what their phone may create"""
        return current_user


@blp.route("/password")
class Password(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(PasswordChangeSchema)
    @blp.response(200, UserSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="No valid access token")
    @blp.alt_response(
        429,
        schema=ErrorSchema,
        description="Over LOGIN_MAX_FAILURES wrong old passwords (with failed logins) for this user from one "
        "address within LOGIN_FAILURE_WINDOW_S: wait the Retry-After seconds",
    )
    def post(self, data):
        """Change your own password (the old one, and a new one of at least 8 characters); your other logins end"""
        return change_password(
            current_user,
            data["old_password"],
            data["new_password"],
            _family_id(get_jwt()),
            address=(request.remote_addr or "")[:64],
        )
