"""Teams: their name, time zone and manager."""

from flask_smorest import Blueprint

blp = Blueprint("teams", __name__, url_prefix="/api/teams", description="Teams: name, time zone, manager")

from . import views  # noqa: F401
