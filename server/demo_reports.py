"""What the demo adds so that every report has something to show: visits that work a deal (hunting, and the
visits before a deal closed), a few customers not met and a few check-ins away from the account, the planned
days of the last two weeks (plan against done, with a stop missed now and then), and monthly targets.

It draws from its own random stream, so the demo's accounts, visits and times stay what they were."""

import math
import random
from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from .extensions import db
from .models import Opportunity, RoutePlan, RouteStop, SalesTarget

NOT_MET = 0.06  # share of visits whose customer was not there
AWAY = 0.05  # share of check-ins made away from the account (about 670 m north)
LINKED = 0.7  # share of visits to an account with a deal open at the time that work it
PLANNED_DAYS = 10  # the last working days that were planned
MISSED = 0.3  # share of planned days with one stop left undone
TARGETS = (150_000, 200_000, 250_000, 300_000)


def rng_for(rng_seed, rep_number):
    return random.Random(rng_seed * 7919 + rep_number)


def _metres(lat1, lng1, lat2, lng2):
    dy = (lat2 - lat1) * 111_320
    dx = (lng2 - lng1) * 111_320 * math.cos(math.radians((lat1 + lat2) / 2))
    return round(math.hypot(dx, dy), 1)


def vary_visits(rng, rep, accounts, visits):
    """Link visits to the deal open on their account at the time, and make a few not met or away.
    Called before the visits move their accounts' last contact, so that a visit not met moves none."""
    where = {a.id: (a.latitude, a.longitude) for a in accounts}
    open_deals = defaultdict(list)
    for deal in db.session.scalars(select(Opportunity).where(Opportunity.owner_id == rep.id)):
        open_deals[deal.account_id].append(deal)
    for visit in visits:
        deals = [
            d
            for d in open_deals.get(visit.account_id, ())
            if d.opened_at <= visit.check_in_at and (d.closed_at is None or visit.check_in_at <= d.closed_at)
        ]
        if deals and rng.random() < LINKED:
            visit.opportunity_id = rng.choice(deals).id
        visit.check_in_distance_m = 0.0
        roll = rng.random()
        if roll < NOT_MET:
            visit.met = False
            visit.outcome, visit.next_step = "客户不在，留下名片", "电话约下次拜访时间"
            visit.check_out_at = visit.check_in_at + timedelta(minutes=10)
        elif roll < NOT_MET + AWAY and visit.check_in_lat is not None:
            visit.check_in_lat = round(visit.check_in_lat + 0.006, 6)
            lat, lng = where[visit.account_id]
            visit.check_in_distance_m = _metres(lat, lng, visit.check_in_lat, visit.check_in_lng)


def planned_days(rng, rep, accounts, visits, tz):
    """The plans of the last PLANNED_DAYS working days: each day's visits in their order, sometimes with one
    stop more that was not done. Returns how many plans."""
    by_day = defaultdict(list)
    for visit in visits:
        by_day[visit.check_in_at.astimezone(tz).date()].append(visit)
    plans = 0
    for day in sorted(by_day)[-PLANNED_DAYS:]:
        done = sorted(by_day[day], key=lambda v: v.check_in_at)
        plan = RoutePlan(rep_id=rep.id, plan_date=day, status="planned", total_travel_s=20 * 60 * len(done))
        for position, visit in enumerate(done):
            plan.stops.append(
                RouteStop(
                    position=position,
                    account_id=visit.account_id,
                    planned_arrival=visit.planned_start or visit.check_in_at,
                    service_minutes=30,
                    travel_minutes=20,
                )
            )
        seen = {v.account_id for v in done}
        if rng.random() < MISSED:
            missed = rng.choice([a for a in accounts if a.id not in seen])
            plan.stops.append(
                RouteStop(
                    position=len(done),
                    account_id=missed.id,
                    planned_arrival=done[-1].check_in_at + timedelta(hours=1),
                    service_minutes=30,
                    travel_minutes=20,
                    reason="cadence_due",
                )
            )
        db.session.add(plan)
        plans += 1
    return plans


def targets(rng, rep, manager, today, tz):
    """A monthly sales target for this month and the two before it, set by the manager on their first day."""
    month = today.replace(day=1)
    months = [month]
    for _ in range(2):
        month = (month - timedelta(days=1)).replace(day=1)
        months.append(month)
    for first in months:
        set_at = datetime.combine(first, time(9), tz)
        db.session.add(
            SalesTarget(
                rep_id=rep.id,
                month=first,
                amount=Decimal(rng.choice(TARGETS)),
                set_by=manager.id,
                set_at=set_at,
            )
        )
    return len(months)
