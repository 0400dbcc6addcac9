"""Teams: their name, time zone and manager."""

from ..request_json import Blueprint

blp = Blueprint("teams", __name__, url_prefix="/api/teams", description="Teams: name, time zone, manager")

from . import views  # noqa: F401
