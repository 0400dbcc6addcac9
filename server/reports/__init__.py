from ..request_json import Blueprint

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/api/reports",
    description="The manager's numbers: time split, 8:45 habit, activity, funnel, cadence, MIF, targets",
)

from . import repdays, views  # noqa: F401  (repdays: the rep-days kept on every write)
