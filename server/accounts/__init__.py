"""Accounts (客户): the rep's territory."""

from ..request_json import Blueprint

blp = Blueprint("accounts", __name__, url_prefix="/api/accounts", description="Accounts in a territory")

from . import views  # noqa: F401
