"""Sign-in from inside WeCom or DingTalk: the code the provider gives the page (WeCom OAuth2
snsapi_base; DingTalk's 免登 auth code) is exchanged, with the credentials of a team on that corp, for
the user's id there, and the Fieldday user linked to that id is signed in.

A user not linked yet whose username is that id is offered the link: the answer is 409 with a short-lived
ticket, and the user confirms it once with their Fieldday password (`confirm`). Anyone else is told to
ask an admin to link them (users API). The app's own login stays as it is.
"""

import uuid

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from ..auth.services import authenticate
from ..errors import AppError, Conflict, NotFound, Unauthorized
from ..extensions import db
from ..models import ImLink, TeamChannel, User
from .providers import ProviderError, client_for
from .queue import PROVIDER_NAMES

TICKET_MAX_AGE_S = 600


class ProviderUnavailable(AppError):
    status = 503
    code = "provider_unavailable"


def _corp_column(provider):
    return TeamChannel.wecom_corp_id if provider == "wecom" else TeamChannel.dingtalk_corp_id


def _signer():
    return URLSafeTimedSerializer(current_app.config["JWT_SECRET_KEY"], salt="fieldday-im-link")


def teams_on(provider, corp_id):
    """The channel rows of the teams on this corp that can exchange a code (credentials set)."""
    rows = db.session.scalars(select(TeamChannel).where(_corp_column(provider) == corp_id)).all()
    if provider == "wecom":
        return [r for r in rows if r.wecom_secret]
    return [r for r in rows if r.dingtalk_app_key and r.dingtalk_app_secret]


def external_id_for(provider, corp_id, code):
    name = PROVIDER_NAMES[provider]
    rows = teams_on(provider, corp_id)
    if not rows:
        raise NotFound(f"No team signs in with this {name} company.", {"corp_id": ["Unknown."]}, code="unknown_corp")
    try:
        userid = client_for(current_app.config, rows[0], provider).user_id(code)
    except ProviderError as exc:
        if exc.retry:
            raise ProviderUnavailable(f"{name} could not be reached; try again.") from None
        raise AppError(f"{name} refused the team's credentials ({exc}).", code="provider_refused") from None
    if not userid:
        raise Unauthorized(f"{name} did not accept the sign-in code; open the app from {name} again.", code="bad_code")
    return userid


def sign_in(provider, corp_id, code):
    """The linked user for this code; else Conflict with a ticket (a username match) or NotFound."""
    userid = external_id_for(provider, corp_id, code)
    link = db.session.scalar(
        select(ImLink).where(ImLink.provider == provider, ImLink.corp_id == corp_id, ImLink.external_id == userid)
    )
    if link is not None:
        user = db.session.get(User, link.user_id)
        if user is None or not user.active:
            raise Unauthorized("This account is switched off.", code="inactive")
        return user
    candidate = db.session.scalar(
        select(User).where(func.lower(User.username) == userid.lower(), User.active.is_(True))
    )
    team_ids = {row.team_id for row in teams_on(provider, corp_id)}
    already = candidate and db.session.scalar(
        select(ImLink.id).where(ImLink.user_id == candidate.id, ImLink.provider == provider)
    )
    if candidate is not None and candidate.team_id in team_ids and not already:
        ticket = _signer().dumps({"p": provider, "c": corp_id, "e": userid, "u": str(candidate.id)})
        raise Conflict(
            f"Sign in once with your Fieldday password to link {candidate.username} to this {PROVIDER_NAMES[provider]} "
            "account.",
            code="confirm_link",
            extra={"ticket": ticket, "username": candidate.username},
        )
    raise NotFound(
        f"No Fieldday user is linked to this {PROVIDER_NAMES[provider]} account; ask your admin to link it.",
        code="not_linked",
    )


def confirm(ticket, password, address=""):
    """Link the user the ticket names after their password, and sign them in."""
    try:
        data = _signer().loads(ticket, max_age=TICKET_MAX_AGE_S)
    except SignatureExpired:
        raise Unauthorized("The link offer has expired; open the app again.", code="ticket_expired") from None
    except BadSignature:
        raise Unauthorized("The link offer is not valid.", {"ticket": ["Invalid value."]}, code="bad_ticket") from None
    try:
        user = db.session.get(User, uuid.UUID(data["u"]))
    except (TypeError, KeyError, ValueError):
        user = None
    if user is None:
        raise Unauthorized("The link offer is not valid.", {"ticket": ["Invalid value."]}, code="bad_ticket")
    user = authenticate(
        user.username,
        password,
        current_app.config["LOGIN_MAX_FAILURES"],
        current_app.config["LOGIN_FAILURE_WINDOW_S"],
        address=address,
    )
    link(user, data["p"], data["c"], data["e"])
    db.session.commit()
    return user


def link(user, provider, corp_id, external_id):
    """Link (or re-link) the user's id in a provider's corp; another user's link to the same id is refused."""
    taken = db.session.scalar(
        select(ImLink).where(ImLink.provider == provider, ImLink.corp_id == corp_id, ImLink.external_id == external_id)
    )
    if taken is not None and taken.user_id != user.id:
        raise Conflict(
            f"Another user is linked to the {PROVIDER_NAMES[provider]} id {external_id}.",
            {f"{provider}_userid": ["Already exists."]},
        )
    mine = db.session.scalar(select(ImLink).where(ImLink.user_id == user.id, ImLink.provider == provider))
    if mine is None:
        mine = ImLink(user_id=user.id, provider=provider)
        db.session.add(mine)
    mine.corp_id, mine.external_id = corp_id, external_id
    db.session.flush()
    return mine
