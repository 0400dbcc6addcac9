"""Day-clock rules: a rep's own stretches of time, each ending after it starts."""

from ..errors import Forbidden, ValidationFailed
from ..extensions import db
from ..field_rules import refuse_rep_change, require_order
from ..models import Activity, Visit
from ..policy import check_rep_write, resolve_rep
from ..resource import ScopedResource
from ..scoping import owner_scope


class ActivityService(ScopedResource):
    model = Activity
    label = "activity"
    default_order = (Activity.started_at.desc(),)
    equal_filters = ("rep_id", "category")
    period_column = Activity.started_at
    batch_creates = True

    def read_scope(self, principal):
        return owner_scope(principal, Activity.rep_id)

    def prepare_create(self, principal, data):
        if principal.is_manager:
            raise Forbidden("The day clock is kept by the rep.")
        resolve_rep(principal, data)

    def check_write(self, principal, obj):
        if principal.is_manager:
            raise Forbidden("The day clock is kept by the rep.")
        check_rep_write(principal, obj.rep_id, "activity")

    def check_changes(self, principal, obj, changes):
        refuse_rep_change(principal, obj, changes)

    def validate(self, obj):
        require_order(obj.started_at, obj.ended_at, "started_at", "ended_at")
        if obj.visit_id is not None:
            visit = db.session.get(Visit, obj.visit_id)
            if visit is None or visit.rep_id != obj.rep_id:
                raise ValidationFailed("No such visit of yours.", {"visit_id": ["Unknown visit."]})


activities = ActivityService()
