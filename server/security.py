"""JWT wiring and the caller's identity as a plain value for services."""

import uuid
from dataclasses import dataclass
from functools import wraps

from flask import g
from flask_jwt_extended import current_user, verify_jwt_in_request

from .errors import Forbidden, error_response
from .extensions import db, jwt
from .models import User


@dataclass(frozen=True)
class Principal:
    """Who is asking: enough for services to scope every query."""

    id: uuid.UUID
    role: str
    team_id: uuid.UUID | None

    @property
    def is_admin(self):
        return self.role == "admin"

    @property
    def is_manager(self):
        return self.role == "manager"

    @property
    def is_rep(self):
        return self.role == "rep"


def principal():
    """Return the authenticated caller of the current request."""
    user = current_user
    return Principal(id=user.id, role=user.role, team_id=user.team_id)


PASSWORD_CHANGE_REQUIRED = "password_change_required"
# Where the token check leaves the user it read (with the token's id) for the user lookup that follows.
_TOKEN_USER = "fieldday_token_user"


def login_required(*roles):
    """Require a valid access token, optionally of one of `roles`, of a user whose password is their own.

    After a reset the password is a temporary one: until its owner replaces it (POST /api/auth/password)
    every call but /api/auth's is refused with 403 `password_change_required`."""

    def decorate(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            verify_jwt_in_request()
            if current_user.must_change_password:
                raise Forbidden(
                    "Your password is a temporary one: change it first (POST /api/auth/password).",
                    code=PASSWORD_CHANGE_REQUIRED,
                )
            if roles and current_user.role not in roles:
                raise Forbidden("Your role may not do this.")
            return fn(*args, **kwargs)

        return wrapper

    return decorate


def init_app(app):
    """Map flask-jwt-extended's callbacks onto our user table and error envelope."""

    @jwt.user_identity_loader
    def _identity(user):
        return str(user.id) if isinstance(user, User) else str(user)

    @jwt.user_lookup_loader
    def _lookup(_header, payload):
        read = g.pop(_TOKEN_USER, None)
        if read is not None and read[0] == payload.get("jti"):
            user = read[1]  # read with the token's revocation, just before
        else:
            try:
                user_id = uuid.UUID(payload["sub"])
            except (KeyError, ValueError):
                return None
            user = db.session.get(User, user_id)
        return user if user is not None and user.active else None

    @jwt.token_in_blocklist_loader
    def _revoked(_header, payload):
        from .auth.services import token_state

        if not payload.get("jti") or not payload.get("exp"):
            return True  # a token that never expires or cannot be revoked is not one we issue
        if payload.get("type") == "refresh" and not payload.get("fam"):
            return True  # every refresh token belongs to a login's family
        # The token's user comes with the same query; the user lookup that follows takes it from here.
        revoked, user = token_state(payload)
        setattr(g, _TOKEN_USER, (payload["jti"], user))
        return revoked

    @jwt.additional_claims_loader
    def _claims(user):
        return {"role": user.role} if isinstance(user, User) else {}

    @jwt.expired_token_loader
    def _expired(_header, _payload):
        return error_response(401, "The token has expired; refresh it or log in again.", code="token_expired")

    @jwt.invalid_token_loader
    def _invalid(reason):
        return error_response(401, f"The token is invalid: {reason}", code="token_invalid")

    @jwt.unauthorized_loader
    def _missing(reason):
        return error_response(401, f"Authentication required: {reason}", code="unauthorized")

    @jwt.revoked_token_loader
    def _revoked_response(_header, _payload):
        return error_response(401, "The token has been revoked; log in again.", code="token_revoked")

    @jwt.needs_fresh_token_loader
    def _fresh(_header, _payload):
        return error_response(401, "A fresh login is required.", code="fresh_token_required")

    @jwt.user_lookup_error_loader
    def _no_user(_header, _payload):
        return error_response(401, "The account behind this token no longer exists.", code="token_invalid")
