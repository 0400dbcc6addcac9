"""Visits: purpose before, check-in/out, outcome and next step after."""

from ..request_json import Blueprint

blp = Blueprint(
    "visits",
    __name__,
    url_prefix="/api/visits",
    description="Visits: purpose before, check-in/out, outcome and next step after.",
)

from . import views  # noqa: F401
