"""The sync endpoints: they read what the protocol's decisions (the top-level `sync` package) need,
and carry them out through the resource services."""

from ..request_json import Blueprint

blp = Blueprint("sync", __name__, url_prefix="/api/sync", description="Offline sync: pull changes, push mutations")

from . import views  # noqa: F401
