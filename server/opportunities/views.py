from ..crud_views import register_crud
from . import blp
from .schemas import OpportunityQuery, OpportunitySchema
from .services import opportunities

register_crud(blp, opportunities, path="", schema=OpportunitySchema, query_schema=OpportunityQuery, name="Opportunity")
