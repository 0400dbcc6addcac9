from ..crud_views import register_crud
from . import blp
from .schemas import ActivityQuery, ActivitySchema
from .services import activities

register_crud(blp, activities, path="", schema=ActivitySchema, query_schema=ActivityQuery, name="Activity")
