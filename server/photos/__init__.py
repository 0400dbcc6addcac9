"""Photos taken at visits: metadata as a synced record, bytes by PUT/GET under the photo's id."""

from ..request_json import Blueprint

blp = Blueprint(
    "photos",
    __name__,
    url_prefix="/api/photos",
    description="Photos taken at visits: metadata synced like other records, bytes uploaded apart.",
)

from . import views  # noqa: F401
