"""The sync endpoints: a thin HTTP layer over the protocol in the top-level `sync` package."""
from flask_smorest import Blueprint

blp = Blueprint("sync", __name__, url_prefix="/api/sync", description="Offline sync: pull changes, push mutations")

from . import views  # noqa: E402,F401
