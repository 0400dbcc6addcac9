"""Login, token refresh and logout."""

from ..request_json import Blueprint

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Authentication")

from . import views  # noqa: F401
