from ..crud_views import register_crud
from . import blp
from .schemas import ContactQuery, ContactSchema
from .services import contacts

register_crud(blp, contacts, path="", schema=ContactSchema, query_schema=ContactQuery, name="Contact")
