from ..crud_views import register_crud
from . import blp
from .schemas import RoutePlanQuery, RoutePlanSchema
from .services import route_plans

register_crud(
    blp, route_plans, path="", schema=RoutePlanSchema, query_schema=RoutePlanQuery, name="RoutePlan",
    read_only=True,
)
