"""Which service and schema stand behind each synced entity that sync/entities.py declares."""

from dataclasses import dataclass

from sync import entities as declared

from ..accounts.schemas import AccountSchema
from ..accounts.services import accounts
from ..activities.schemas import ActivitySchema
from ..activities.services import activities
from ..appointments.schemas import AppointmentSchema
from ..appointments.services import appointments
from ..contacts.schemas import ContactSchema
from ..contacts.services import contacts
from ..devices.schemas import DeviceSchema
from ..devices.services import devices
from ..opportunities.schemas import OpportunitySchema
from ..opportunities.services import opportunities
from ..photos.schemas import PhotoSchema
from ..photos.services import photos
from ..reports.schemas import WeeklyFocusSchema
from ..reports.weekly import weekly_review_records
from ..route_plans.schemas import RoutePlanEditSchema, RoutePlanSchema
from ..route_plans.services import route_plans
from ..visits.schemas import VisitSchema
from ..visits.services import visits


@dataclass(frozen=True)
class Entity:
    declared: declared.Entity
    service: object
    schema: object
    write_schema: object = None  # what an edit may send, when it is not the record's own schema

    @property
    def name(self):
        return self.declared.name

    @property
    def writable(self):
        return self.declared.writable

    @property
    def model(self):
        return self.service.model


# name -> (service, schema[, write schema]): the server's half of each declaration.
BOUND = {
    "account": (accounts, AccountSchema()),
    "contact": (contacts, ContactSchema()),
    "device": (devices, DeviceSchema()),
    "opportunity": (opportunities, OpportunitySchema()),
    "appointment": (appointments, AppointmentSchema()),
    "visit": (visits, VisitSchema()),
    "activity": (activities, ActivitySchema()),
    "route_plan": (route_plans, RoutePlanSchema(), RoutePlanEditSchema()),
    "weekly_review": (weekly_review_records, WeeklyFocusSchema()),
    "photo": (photos, PhotoSchema()),
}

ENTITIES = {e.name: Entity(e, *BOUND[e.name]) for e in declared.DECLARED}
