"""Fixed-time appointments at accounts."""

from ..request_json import Blueprint

blp = Blueprint(
    "appointments", __name__, url_prefix="/api/appointments", description="Fixed-time appointments at accounts."
)

from . import views  # noqa: F401
