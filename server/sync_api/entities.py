"""Which service and schema stand behind each synced entity name."""
from dataclasses import dataclass

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
from ..route_plans.schemas import RoutePlanEditSchema, RoutePlanSchema
from ..reports.schemas import WeeklyFocusSchema
from ..reports.weekly import weekly_review_records
from ..route_plans.services import route_plans
from ..visits.schemas import VisitSchema
from ..visits.services import visits


@dataclass(frozen=True)
class Entity:
    name: str
    service: object
    schema: object
    writable: bool = True
    write_schema: object = None  # what an edit may send, when it is not the record's own schema

    @property
    def model(self):
        return self.service.model


ENTITIES = {
    e.name: e
    for e in (
        Entity("account", accounts, AccountSchema()),
        Entity("contact", contacts, ContactSchema()),
        Entity("device", devices, DeviceSchema()),
        Entity("opportunity", opportunities, OpportunitySchema()),
        Entity("appointment", appointments, AppointmentSchema()),
        Entity("visit", visits, VisitSchema()),
        Entity("activity", activities, ActivitySchema()),
        Entity("route_plan", route_plans, RoutePlanSchema(), write_schema=RoutePlanEditSchema()),
        Entity("weekly_review", weekly_review_records, WeeklyFocusSchema(), writable=False),
    )
}
