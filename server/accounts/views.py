from ..crud_views import register_crud
from . import blp
from .schemas import AccountQuery, AccountSchema
from .services import accounts

register_crud(blp, accounts, path="", schema=AccountSchema, query_schema=AccountQuery, name="Account")
