"""Installed base (MIF): machines in field at an account, ours and competitors'."""

from ..request_json import Blueprint

blp = Blueprint(
    "devices",
    __name__,
    url_prefix="/api/devices",
    description="Installed base (MIF): machines in field at an account, ours and competitors'.",
)

from . import views  # noqa: F401
