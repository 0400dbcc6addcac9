from ..request_json import Blueprint

blp = Blueprint("transfer", __name__, url_prefix="/api", description="CSV import and CSV/JSON export")

from . import views  # noqa: F401
