"""Login, token refresh and logout."""

from flask_smorest import Blueprint

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Authentication")

from . import views  # noqa: F401
