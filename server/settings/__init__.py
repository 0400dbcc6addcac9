"""A team's settings of the method (cadence, the day's timings, check-in radius, working days, visit
presets): read by the team and the phone after login, edited by its manager or an admin."""

from ..request_json import Blueprint

blp = Blueprint(
    "settings",
    __name__,
    url_prefix="/api",
    description="A team's settings of the method: the phone reads its own after login; managers and admins edit",
)

from . import views  # noqa: F401
