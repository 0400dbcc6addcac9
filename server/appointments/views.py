from ..crud_views import register_crud
from . import blp
from .schemas import AppointmentQuery, AppointmentSchema
from .services import appointments

register_crud(blp, appointments, path="", schema=AppointmentSchema, query_schema=AppointmentQuery, name="Appointment")
