"""Password checks, login throttling and token revocation."""

import uuid
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy import bindparam, delete, func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from .. import clock
from ..errors import TooManyRequests, Unauthorized, ValidationFailed
from ..extensions import db
from ..models import LoginFailure, RevokedToken, Team, TokenFamily, User, utcnow

# Compared against when the username is unknown, so both paths cost the same.
_DUMMY_HASH = generate_password_hash("not-a-password")


def hash_password(password):
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def holder_of(username):
    """The user whose username is this one but for case, or None: "REP1" beside "rep1" is refused, since the
    WeCom / DingTalk sign-in matches an id to a username whatever its case."""
    # The exact name first: a database from before the rule may hold two users differing only in case.
    return db.session.scalar(
        select(User).where(func.lower(User.username) == username.lower()).order_by(User.username != username).limit(1)
    )


def authenticate(username, password, max_failures, window_s, now=None, address="", max_per_address=None):
    """Return the user for valid credentials, throttling guesses.

    Limits are per client address: `max_failures` for one username from one address (a stranger
    who guesses locks out only their own address, never the rep in the field) and `max_per_address`
    (default 3 x max_failures) over all usernames (spraying one password over many). The attempt is
    written and committed before it is counted, so concurrent guesses cannot slip past the limit."""
    now = now or utcnow()
    _count_attempt(username, address, max_failures, window_s, now, max_per_address)
    user = db.session.scalar(select(User).where(User.username == username))
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        _keep_failure(now)
        raise Unauthorized("Wrong username or password.", code="invalid_credentials")
    _forget_failures(username, address)
    return user


def _count_attempt(username, address, max_failures, window_s, now, max_per_address=None):
    """Write a password guess for `username` from `address` and refuse it (429) past the limits."""
    since = now - timedelta(seconds=window_s)
    max_per_address = max_per_address or 3 * max_failures
    attempt = LoginFailure(username=username, address=address, at=now)
    db.session.add(attempt)
    db.session.commit()
    recent = (LoginFailure.address == address, LoginFailure.at > since)
    by_pair = db.session.scalar(
        select(func.count()).select_from(LoginFailure).where(*recent, LoginFailure.username == username)
    )
    by_address = db.session.scalar(select(func.count()).select_from(LoginFailure).where(*recent))
    if by_pair > max_failures or by_address > max_per_address:
        oldest = db.session.scalar(select(func.min(LoginFailure.at)).where(*recent))
        wait = max(1, int((oldest + timedelta(seconds=window_s) - now).total_seconds()) + 1) if oldest else window_s
        raise TooManyRequests("Too many failed logins from here; wait and try again.", extra={"retry_after_s": wait})


def _keep_failure(now):
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - timedelta(days=1)))
    db.session.commit()  # the attempt stays: it was a failure


def _forget_failures(username, address):
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username, LoginFailure.address == address))
    db.session.commit()


# Two tabs of one app may refresh at the same moment with the same token: the one that comes second
# within this many seconds is told to read the new token, not taken for a thief.
ROTATION_GRACE_S = 30


def new_session(user):
    """Tokens for a fresh login: a new family, its first refresh token and an access token."""
    family = TokenFamily(user_id=user.id, current_jti="")
    db.session.add(family)
    db.session.flush()
    claims = {"fam": str(family.id)}
    refresh = create_refresh_token(identity=user, additional_claims=claims)
    family.current_jti = decode_token(refresh)["jti"]
    db.session.commit()
    return {"access_token": create_access_token(identity=user, additional_claims=claims), "refresh_token": refresh}


def rotate(payload, user):
    """Trade a refresh token for a new access token and a new refresh token; the old one is spent.

    Presenting a spent refresh token ends the family (every token of that login), except the one
    spent a moment ago by another tab of the same app, which is told to read the new one."""
    family = db.session.scalars(
        select(TokenFamily).where(TokenFamily.id == _family_id(payload)).with_for_update()
    ).first()
    now = clock.real_now()
    if family is None or family.revoked_at is not None or family.user_id != user.id:
        raise Unauthorized("This login has ended; log in again.", code="session_ended")
    if payload["jti"] != family.current_jti:
        recent = family.rotated_at is not None and (now - family.rotated_at).total_seconds() < ROTATION_GRACE_S
        if payload["jti"] == family.previous_jti and recent:
            raise Unauthorized("This refresh token was just replaced; use the new one.", code="refresh_rotated")
        family.revoked_at = now  # a spent token came back: someone else holds a copy
        db.session.commit()
        raise Unauthorized(
            "This refresh token was already used; the login has been ended for safety.", code="refresh_reused"
        )
    claims = {"fam": str(family.id)}
    refresh = create_refresh_token(identity=user, additional_claims=claims)
    family.previous_jti, family.current_jti, family.rotated_at = family.current_jti, decode_token(refresh)["jti"], now
    db.session.commit()
    return {"access_token": create_access_token(identity=user, additional_claims=claims), "refresh_token": refresh}


def end_family(payload):
    """Logout: every token of this login stops working, the refresh token too, sent or not."""
    family_id = _family_id(payload)
    if family_id is not None:
        db.session.execute(
            update(TokenFamily)
            .where(TokenFamily.id == family_id, TokenFamily.revoked_at.is_(None))
            .values(revoked_at=clock.real_now())
        )
        db.session.commit()


def token_revoked(payload):
    """Whether this token may no longer be used: revoked itself (`revoke`), or its login's family ended or gone.
    One query."""
    return bool(db.session.scalar(select(_revoked(payload))))


def token_state(payload):
    """(whether the token is revoked, as `token_revoked` says; its user, or None when there is no such user),
    read in one query: every authenticated request asks both. A token whose user is gone is asked once more
    by `token_revoked` alone, so it gets the answer it got before."""
    try:
        user_id = uuid.UUID(str(payload.get("sub")))
    except ValueError:
        return token_revoked(payload), None
    family_id = _family_id(payload)
    statement = _TOKEN_STATE[family_id is not None]
    row = db.session.execute(statement, {"sub": user_id, "jti": payload["jti"], "fam": family_id}).first()
    if row is None:
        return token_revoked(payload), None
    return bool(row[1]), row[0]


def _revoked(payload):
    """A boolean expression: the token was revoked itself, or its login's family ended or is gone."""
    return _revoked_by(payload["jti"], _family_id(payload))


def _revoked_by(jti, family_id):
    revoked = select(RevokedToken.jti).where(RevokedToken.jti == jti).exists()
    if family_id is None:
        return revoked
    live = select(TokenFamily.id).where(TokenFamily.id == family_id, TokenFamily.revoked_at.is_(None)).exists()
    return or_(revoked, ~live)


# token_state's query, without and with a family, built once (values bound per request): building a
# statement and its cache key anew costs a tenth of a millisecond on every authenticated request.
_TOKEN_STATE = {
    with_family: select(User, _revoked_by(bindparam("jti"), bindparam("fam") if with_family else None)).where(
        User.id == bindparam("sub")
    )
    for with_family in (False, True)
}


def _family_id(payload):
    try:
        return uuid.UUID(str(payload.get("fam")))
    except ValueError:
        return None


def revoke(payload, user_id):
    """Record a token as revoked until it would have expired anyway."""
    if db.session.get(RevokedToken, payload["jti"]) is not None:
        return
    db.session.add(
        RevokedToken(
            jti=payload["jti"],
            token_type=payload.get("type", "access"),
            user_id=user_id,
            expires_at=datetime.fromtimestamp(payload["exp"], UTC),
        )
    )
    # Token lifetimes run on the machine's real clock (as JWT expiry does), not the business clock.
    db.session.execute(delete(RevokedToken).where(RevokedToken.expires_at < clock.real_now()))
    db.session.commit()


def change_password(user, old_password, new_password, family_id=None, address=""):
    """The user replaces their own password (a temporary one too); their other logins end. A guess of the old
    password counts as a login's does (the same limits, per username and `address`): a token alone, stolen for its
    few minutes, must not get unlimited guesses at the password, whose change then ends every other login."""
    config, username, now = current_app.config, user.username, utcnow()
    _count_attempt(username, address, config["LOGIN_MAX_FAILURES"], config["LOGIN_FAILURE_WINDOW_S"], now)
    if not check_password_hash(user.password_hash, old_password):
        _keep_failure(now)
        raise ValidationFailed("The old password is wrong.", {"old_password": ["Wrong password."]})
    _forget_failures(username, address)
    if old_password == new_password:
        raise ValidationFailed(
            "The new password must differ from the old one.", {"new_password": ["Must differ from the old password."]}
        )
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    db.session.execute(
        update(TokenFamily)
        .where(TokenFamily.user_id == user.id, TokenFamily.revoked_at.is_(None), TokenFamily.id != family_id)
        .values(revoked_at=clock.real_now())
    )
    db.session.commit()
    return user


def create_user(username, password, role, team_name=None, display_name="", **fields):
    """Create a user, and their team if it does not exist yet."""
    team = None
    if team_name:
        team = db.session.scalar(select(Team).where(Team.name == team_name))
        if team is None:
            team = Team(name=team_name)
            db.session.add(team)
            db.session.flush()
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        team_id=team.id if team else None,
        display_name=display_name or username,
        **fields,
    )
    db.session.add(user)
    db.session.flush()
    if team is not None and role == "manager" and team.manager_id is None:
        team.manager_id = user.id
    db.session.commit()
    return user
