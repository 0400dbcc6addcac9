"""Contacts at an account and their role in the purchase."""

from ..request_json import Blueprint

blp = Blueprint(
    "contacts",
    __name__,
    url_prefix="/api/contacts",
    description="Contacts at an account and their role in the purchase.",
)

from . import views  # noqa: F401
