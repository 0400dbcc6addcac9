"""Addresses from positions: the phone asks for a new prospect's address at its GPS position when
online; a prospect created offline without one gets it on the server at sync (services.py)."""

from ..request_json import Blueprint

blp = Blueprint(
    "geocode",
    __name__,
    url_prefix="/api",
    description="The address at a position, from the configured geocoder (高德, 百度 or Nominatim)",
)

from . import views  # noqa: F401
