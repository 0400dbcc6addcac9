"""Appointment rules: at an account in the rep's territory, ending after it starts."""

from ..field_rules import refuse_rep_change, require_order
from ..models import Appointment
from ..policy import check_rep_write, resolve_rep, writable_account
from ..resource import ScopedResource
from ..scoping import visible_to_rep_or_account


class AppointmentService(ScopedResource):
    model = Appointment
    label = "appointment"
    default_order = (Appointment.starts_at,)
    equal_filters = ("account_id", "rep_id")
    period_column = Appointment.starts_at

    def read_scope(self, principal):
        return visible_to_rep_or_account(principal, Appointment.rep_id, Appointment.account_id)

    def prepare_create(self, principal, data):
        resolve_rep(principal, data)
        writable_account(principal, data.get("account_id"))

    def check_write(self, principal, obj):
        check_rep_write(principal, obj.rep_id, "appointment")

    def check_changes(self, principal, obj, changes):
        refuse_rep_change(principal, obj, changes)
        if "account_id" in changes and changes["account_id"] != obj.account_id:
            writable_account(principal, changes["account_id"])

    def validate(self, obj):
        require_order(obj.starts_at, obj.ends_at, "starts_at", "ends_at", strict=True)


appointments = AppointmentService()
