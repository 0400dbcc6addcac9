from ..crud_views import register_crud
from . import blp
from .schemas import DeviceQuery, DeviceSchema
from .services import devices

register_crud(blp, devices, path="", schema=DeviceSchema, query_schema=DeviceQuery, name="Device")
