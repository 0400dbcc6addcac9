"""Users (reps, managers, admins): administration through the API."""

from ..request_json import Blueprint

blp = Blueprint("users", __name__, url_prefix="/api/users", description="People: create, edit, reset, deactivate")

from . import views  # noqa: F401
