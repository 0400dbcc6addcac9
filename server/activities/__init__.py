"""Day-clock activities: face-to-face, travel, admin, meeting."""

from ..request_json import Blueprint

blp = Blueprint(
    "activities",
    __name__,
    url_prefix="/api/activities",
    description="Day-clock activities: face-to-face, travel, admin, meeting.",
)

from . import views  # noqa: F401
