"""Opportunities moving through the S-P-A-D-C-O funnel."""

from flask_smorest import Blueprint

blp = Blueprint(
    "opportunities",
    __name__,
    url_prefix="/api/opportunities",
    description="Opportunities moving through the S-P-A-D-C-O funnel.",
)

from . import views  # noqa: F401
