"""What the demo adds so that every report has something to show: visits that work a deal (hunting, and the
visits before a deal closed), a few customers not met and a few check-ins away from the account, the planned
days of the last two weeks (plan against done, with a stop missed now and then), monthly targets, deals
closed after 3-5 and 6 or more visits, and a few photos of recent visits.

It draws from its own random streams, so the demo's accounts, visits and times stay what they were."""

import hashlib
import io
import math
import random
from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from . import last_contact
from .extensions import db
from .models import Account, Opportunity, Photo, RoutePlan, RouteStop, SalesTarget, Visit
from .photos.services import KINDS, content_key, thumb_key, thumbnail
from .photos.storage import store as photo_store

NOT_MET = 0.06  # share of visits whose customer was not there
AWAY = 0.05  # share of check-ins made away from the account (about 670 m north)
LINKED = 0.7  # share of visits to an account with a deal open at the time that work it
PLANNED_DAYS = 10  # the last working days that were planned
MISSED = 0.3  # share of planned days with one stop left undone
TARGETS = (150_000, 200_000, 250_000, 300_000)
# Closed deals worked harder: the share that had 3-5 visits before they closed, and the share with 6-8 (won
# deals more often: the method's point that a deal needs its visits).
WORKED = {"won": (0.45, 0.35), "lost": (0.3, 0.15)}
DEAL_PURPOSES = ("跟进方案细节", "与决策人确认预算", "回答技术问题", "商务谈判")
DEAL_VISIT_MINUTES = 17 * 60 + 30  # the extra visits come at the end of a working day, after the others
PHOTOS_PER_REP = 3  # photos of each rep's latest visits


def rng_for(rng_seed, rep_number, stream=""):
    """The demo's own random stream for a rep; a named `stream` is another, so adding one moves no other."""
    if not stream:
        return random.Random(rng_seed * 7919 + rep_number)
    return random.Random(f"{rng_seed}-{rep_number}-{stream}")


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


def _slots(start, end, tz):
    """The working days' late-afternoon instants strictly between `start` and `end`, in order."""
    day, last, found = start.astimezone(tz).date(), end.astimezone(tz).date(), []
    while day <= last:
        at = datetime.combine(day, time(DEAL_VISIT_MINUTES // 60, DEAL_VISIT_MINUTES % 60), tz)
        if day.weekday() < 5 and start < at < end:
            found.append(at)
        day += timedelta(days=1)
    return found


def deal_visits(rng, rep, tz):
    """Give some closed deals the visits a deal usually takes: 3-5 or 6-8 met visits to the account before it
    closed (in the shares of WORKED), each working the deal, at the end of a working day. The
    visits come before the account's latest visit, so no account's last contact moves (nor what is due,
    overdue or planned from it). Returns how many visits."""
    deals = db.session.scalars(
        select(Opportunity)
        .where(Opportunity.owner_id == rep.id, Opportunity.status.in_(("won", "lost")))
        .order_by(Opportunity.opened_at, Opportunity.id)
    ).all()
    where = {a.id: a for a in db.session.scalars(select(Account).where(Account.owner_id == rep.id))}
    made = []
    for deal in deals:
        roll, (few, many) = rng.random(), WORKED[deal.status]
        wanted = rng.randint(3, 5) if roll < few else rng.randint(6, 8) if roll < few + many else 0
        if not wanted:
            continue
        seen = db.session.scalars(
            select(Visit.check_in_at).where(Visit.account_id == deal.account_id, Visit.met.is_not(False))
        ).all()
        if not seen:
            continue  # the account was never visited: a visit would move its last contact
        before = sum(1 for at in seen if at <= deal.closed_at)
        slots = _slots(deal.opened_at, min(deal.closed_at, max(seen)), tz)
        slots = [at for at in slots if at not in set(seen)]
        chosen = sorted(rng.sample(slots, min(len(slots), wanted - before))) if wanted > before else []
        account = where.get(deal.account_id)
        for at in chosen:
            made.append(
                Visit(
                    account_id=deal.account_id,
                    rep_id=rep.id,
                    opportunity_id=deal.id,
                    planned_start=at,
                    purpose=rng.choice(DEAL_PURPOSES),
                    check_in_at=at,
                    check_out_at=at + timedelta(minutes=rng.randint(25, 45)),
                    check_in_lat=account.latitude if account else None,
                    check_in_lng=account.longitude if account else None,
                    check_in_accuracy_m=15.0,
                    check_in_distance_m=0.0,
                    outcome=rng.choice(("客户要求再改方案", "决策人参与讨论", "约定下次见面")),
                    next_step="",
                )
            )
    db.session.add_all(made)
    db.session.flush()
    last_contact.follow(db.session, [(visit, None) for visit in made])  # as the visit service does (moves none)
    return len(made)


def demo_jpeg(lines, seed):
    """A small JPEG that looks like a site photo with the app's watermark: a shaded scene, a band at the
    foot with `lines` (ASCII) in it."""
    width, height = 480, 360
    image = Image.new("RGB", (width, height))
    base = [(seed >> shift) % 160 + 60 for shift in (0, 8, 16)]
    draw = ImageDraw.Draw(image)
    for y in range(height):  # a wall and a floor, shaded
        shade = y / height
        draw.line([(0, y), (width, y)], fill=tuple(int(c * (0.6 + 0.5 * shade)) % 256 for c in base))
    draw.rectangle([150, 110, 330, 250], fill=(225, 225, 220), outline=(80, 80, 80), width=3)  # a copier
    draw.rectangle([170, 130, 310, 150], fill=(60, 60, 70))
    draw.rectangle([0, height - 18 * len(lines) - 10, width, height], fill=(0, 0, 0))
    font = ImageFont.load_default()
    for n, line in enumerate(lines):
        draw.text((8, height - 18 * (len(lines) - n) - 4), line, fill=(255, 255, 255), font=font)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def photos(rng, rep, visits, tz):
    """Photos of the rep's latest met visits (PHOTOS_PER_REP), stored as an upload stores them: the bytes and
    the thumbnail in the app's photo store, the record marked uploaded. Returns how many."""
    latest = sorted((v for v in visits if v.met is not False), key=lambda v: v.check_in_at)[-PHOTOS_PER_REP:]
    store, made = photo_store(), 0
    for visit in latest:
        taken = visit.check_in_at + timedelta(minutes=rng.randint(5, 20))
        local = taken.astimezone(tz)
        where = f"{visit.check_in_lat or 0:.5f}, {visit.check_in_lng or 0:.5f}"
        accuracy = f"+/-{visit.check_in_accuracy_m or 0:.0f} m"
        stamp = f"Fieldday demo  {rep.username}  {local:%Y-%m-%d %H:%M} {local:%z}"
        data = demo_jpeg([stamp, f"{where}  {accuracy}"], rng.getrandbits(24))
        photo = Photo(
            visit_id=visit.id,
            account_id=visit.account_id,
            rep_id=rep.id,
            taken_at=taken,
            latitude=visit.check_in_lat,
            longitude=visit.check_in_lng,
            accuracy_m=visit.check_in_accuracy_m,
            caption=rng.choice(("现场设备", "客户办公室", "机器铭牌")),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            content_type=KINDS["jpeg"],
            uploaded_at=taken,
        )
        db.session.add(photo)
        db.session.flush()
        store.put(content_key(photo), data)
        store.put(thumb_key(photo), thumbnail(data))
        made += 1
    return made
