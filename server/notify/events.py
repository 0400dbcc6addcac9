"""Where notices come from: called by the services in the transaction of the change they tell about."""

from datetime import timedelta

from ..extensions import db
from ..models import User
from .queue import enqueue


def _leave_at(plan, tz):
    """When the rep leaves for the first stop ("08:21"): its arrival less the drive to it."""
    if not plan.stops:
        return None
    first = min(plan.stops, key=lambda stop: stop.position)
    return (first.planned_arrival - timedelta(minutes=first.travel_minutes or 0)).astimezone(tz).strftime("%H:%M")


def plan_stored(plan, by, tz):
    """A day planned by the evening batch (`by` None) or changed by someone other than the rep."""
    rep = db.session.get(User, plan.rep_id)
    if rep is None or by == rep.id:
        return None
    params = {"date": plan.plan_date.isoformat(), "stops": len(plan.stops), "leave_at": _leave_at(plan, tz)}
    if by is None:
        return enqueue(rep, "plan_ready", params)
    who = db.session.get(User, by)
    params["by"] = (who.display_name or who.username) if who else ""
    return enqueue(rep, "plan_changed", params)
