"""Opportunities moving through the S-P-A-D-C-O funnel."""

from ..request_json import Blueprint

blp = Blueprint(
    "opportunities",
    __name__,
    url_prefix="/api/opportunities",
    description="Opportunities moving through the S-P-A-D-C-O funnel.",
)

from . import views  # noqa: F401
