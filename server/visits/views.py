from ..crud_views import register_crud
from . import blp
from .schemas import VisitQuery, VisitSchema
from .services import visits

register_crud(blp, visits, path="", schema=VisitSchema, query_schema=VisitQuery, name="Visit")
