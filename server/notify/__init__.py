"""Notices to reps and managers (in-app, WeCom application messages, DingTalk work notices), the team's
channel and its credentials, each user's kinds, and sign-in from inside WeCom and DingTalk."""

from ..request_json import Blueprint

blp = Blueprint(
    "notify",
    __name__,
    url_prefix="/api",
    description="Notices: the in-app list, each notice's state, a team's channel, sign-in from WeCom / DingTalk",
)

from . import views  # noqa: F401
