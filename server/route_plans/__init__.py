"""Route plans: a rep's ordered stops for a day."""

from ..request_json import Blueprint

blp = Blueprint(
    "route_plans",
    __name__,
    url_prefix="/api",
    description="Route plans: a rep's ordered stops for a day, in the least travel time the rules allow",
)

from . import views  # noqa: F401
