"""References the database would clear by itself when their target is deleted (ON DELETE SET NULL):
an activity's visit, a visit's opportunity, an opportunity's machine. The services clear them first,
as edits, so the change log records them and the phones stop pointing at a record that is gone."""

from sqlalchemy import select

from .models import Account, Activity, Device, Opportunity, Visit


def clear_before_delete(session, obj):
    """Clear what points at `obj`, or at the visits and opportunities its delete cascades away."""
    gone_visits = {obj.id} if isinstance(obj, Visit) else set()
    gone_opportunities = {obj.id} if isinstance(obj, Opportunity) else set()
    gone_devices = {obj.id} if isinstance(obj, Device) else set()
    if isinstance(obj, Account):  # the database cascades its visits and opportunities away
        gone_visits.update(session.scalars(select(Visit.id).where(Visit.account_id == obj.id)))
        gone_opportunities.update(session.scalars(select(Opportunity.id).where(Opportunity.account_id == obj.id)))
    if gone_visits:
        for activity in session.scalars(select(Activity).where(Activity.visit_id.in_(gone_visits))):
            activity.visit_id = None
    if gone_devices:
        for opportunity in session.scalars(select(Opportunity).where(Opportunity.device_id.in_(gone_devices))):
            if opportunity.id not in gone_opportunities:
                opportunity.device_id = None
    if gone_opportunities:
        for visit in session.scalars(select(Visit).where(Visit.opportunity_id.in_(gone_opportunities))):
            if visit.id not in gone_visits:
                visit.opportunity_id = None
