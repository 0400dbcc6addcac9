"""The manager's numbers, computed from recorded visits, activities, plans and opportunities.

Every function takes a resolved `Scope` (reps, period, time zone) and returns plain data:
`rows` (one per rep), `team` (the same figures for all of them) and report-specific extras.
"""
import statistics
import uuid
from collections import Counter, defaultdict, namedtuple
from datetime import datetime, time, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import or_, select

from ..extensions import db
from ..models import (Account, Activity, Device, Opportunity, RoutePlan, RouteStop, SalesTarget, StageChange, User,
                      Visit, utcnow)
from ..cadence import days_since, is_overdue
from ..models.vocab import CADENCE_DAYS, FUNNEL_STAGES
from .coverage import coverage
from .hunting import hunting_farming
from .qualification import qualification
from .ratios import method_ratios
from .winloss import win_loss
from ..fastpaths import epoch as _epoch
from .rows import core_rows as _rows, raw_text as _raw, rep_keys, rep_name, rep_row as _rep_row
from .timesplit import (BASELINE_PCT, CATEGORIES, Interval, LocalDays, add, by_local_day, day_minutes, shares,
                        week_start)

VOLUME_BANDS = (("<1K", 0), ("1-3K", 1000), ("3-5K", 3000), ("5-10K", 5000), ("10-20K", 10000), ("20K+", 20000))
AGE_BANDS = ("<1", "1-2", "2-3", "3-4", "4-5", "5+")
HIGH_VOLUME = {"5-10K", "10-20K", "20K+"}


def _visit_rows(scope):
    """The period's visits as (rep, check-in, check-out, met, account, purpose, distance), read once per scope.
    From the evening before: a visit that started then can end inside the period. A cancelled visit
    (recorded by mistake) counts for nothing."""
    since = scope.start_utc - timedelta(days=1)
    return scope.once("visits", lambda: _rows(
        select(_raw(Visit.rep_id), _epoch(Visit.check_in_at), _epoch(Visit.check_out_at), Visit.met,
               _raw(Visit.account_id), Visit.purpose, Visit.check_in_distance_m)
        .where(Visit.rep_id.in_(scope.rep_ids), Visit.check_in_at >= since, Visit.check_in_at < scope.end_utc,
               Visit.cancelled_at.is_(None))))


def _activity_rows(scope):
    """The period's activities as (rep, start, end, category), from the evening before, read once per scope."""
    return scope.once("activities", lambda: _rows(
        select(_raw(Activity.rep_id), _epoch(Activity.started_at), _epoch(Activity.ended_at), Activity.category)
        .where(Activity.rep_id.in_(scope.rep_ids), Activity.started_at >= scope.start_utc - timedelta(days=1),
               Activity.started_at < scope.end_utc)))


def _recorded(scope):
    """Per rep: {local date: [Interval]} plus counts of records still open (no check-out or end)."""
    keys = rep_keys(scope.rep_ids)
    first = scope.start_utc.timestamp()
    per_rep = defaultdict(list)
    open_visits, open_activities = Counter(), Counter()
    for raw_rep, start, end, met, *_ in _visit_rows(scope):
        rep_id = keys[raw_rep]
        if end is None:
            open_visits[rep_id] += start >= first
        elif end > start and met is False:
            per_rep[rep_id].append(Interval(start, end, "travel"))  # the customer was absent: no face time
        elif end > start:
            per_rep[rep_id].append(Interval(start, end, "face_to_face", True))
    for raw_rep, start, end, category in _activity_rows(scope):
        rep_id = keys[raw_rep]
        if end is None:
            open_activities[rep_id] += start >= first
        elif end > start:
            per_rep[rep_id].append(Interval(start, end, category))
    local_day = LocalDays(scope.tz)
    days = {rep_id: {d: v for d, v in by_local_day(items, scope.tz, local_day).items() if scope.start <= d <= scope.end}
            for rep_id, items in per_rep.items()}
    return days, open_visits, open_activities


def _worked_days(scope):
    """{rep id: set of local dates with any visit or activity}: cheaper than the full time split."""
    return scope.once("worked_days", lambda: _read_worked_days(scope))


def _read_worked_days(scope):
    keys = rep_keys(scope.rep_ids)
    local_day = LocalDays(scope.tz)
    seen = set()
    for raw_rep, start, end, *_ in (*_visit_rows(scope), *_activity_rows(scope)):
        seen.add((raw_rep, local_day(start)))
        if end is not None:
            seen.add((raw_rep, local_day(end)))
    days = defaultdict(set)
    for raw_rep, day in seen:
        if scope.start <= day <= scope.end:
            days[keys[raw_rep]].add(day)
    return days


def _ratio_fields(minutes):
    out = {f"{k}_min": round(minutes.get(k, 0.0), 1) for k in (*CATEGORIES, "unrecorded", "span")}
    out.update({f"{k}_pct": v for k, v in shares(minutes).items()})
    return out


def time_ratios(scope):
    """Share of the working day face-to-face, travelling, on admin, in meetings and unrecorded."""
    days, open_visits, open_activities = _recorded(scope)
    target = scope.team.face_time_target_pct if scope.team else 30.0
    rows, team_total, weekly = [], {}, defaultdict(dict)
    for rep in scope.reps:
        total = {}
        for day, intervals in days.get(rep.id, {}).items():
            minutes = day_minutes(intervals)
            add(total, minutes)
            add(weekly[week_start(day)], minutes)
        add(team_total, total)
        row = {**_rep_row(rep), "working_days": len(days.get(rep.id, {})), **_ratio_fields(total),
               "open_visits": open_visits[rep.id], "open_activities": open_activities[rep.id]}
        row["meets_target"] = row["face_to_face_pct"] is not None and row["face_to_face_pct"] >= target
        rows.append(row)
    team = {"working_days": sum(r["working_days"] for r in rows), **_ratio_fields(team_total),
            "open_visits": sum(open_visits.values()), "open_activities": sum(open_activities.values())}
    trend = [{"week_start": w.isoformat(), **_ratio_fields(m)} for w, m in sorted(weekly.items())]
    goal = _set_by(scope.team, "face_time_target_set_by", "face_time_target_set_at")
    return {"rows": rows, "team": team, "baseline_pct": BASELINE_PCT, "face_time_target_pct": target, "weeks": trend,
            "face_time_target_set_by_name": goal["set_by_name"], "face_time_target_set_at": goal["set_at"]}


def _first_check_ins(scope):
    """{rep id: {local date: minutes after local midnight of the first check-in}} in the period,
    worked out once per scope."""
    return scope.once("first_check_ins", lambda: _read_first_check_ins(scope))


def _read_first_check_ins(scope):
    keys = rep_keys(scope.rep_ids)
    first = defaultdict(dict)
    period_start = scope.start_utc.timestamp()
    for raw_rep, start, *_ in _visit_rows(scope):
        if start < period_start:
            continue  # the evening before: read for working days only
        local = datetime.fromtimestamp(start, scope.tz)
        minutes = local.hour * 60 + local.minute + local.second / 60
        per_day = first[keys[raw_rep]]
        if per_day.get(local.date(), 24 * 60) > minutes:
            per_day[local.date()] = minutes
    return first


def _hhmm(minutes):
    if minutes is None:
        return None
    whole = int(round(minutes))  # hours and minutes from one rounding: 8:59:40 is 09:00, not 08:00
    return f"{whole // 60:02d}:{whole % 60:02d}"


def first_appointment(scope, tolerance_min=10):
    """Per rep: the share of working days whose first visit started by their first-appointment time."""
    days = _worked_days(scope)
    first = _first_check_ins(scope)
    rows = []
    for rep in scope.reps:
        worked = days.get(rep.id, set())
        target = rep.first_appointment_time or time(8, 45)
        limit = target.hour * 60 + target.minute + tolerance_min
        starts = list(first.get(rep.id, {}).values())
        on_time = sum(1 for m in starts if m <= limit)
        rows.append({**_rep_row(rep), "first_appointment_time": target.strftime("%H:%M"), "tolerance_min": tolerance_min,
                     "working_days": len(worked), "days_with_visit": len(starts), "on_time_days": on_time,
                     "on_time_pct": round(on_time / len(worked) * 100, 1) if worked else None,
                     "median_first_visit": _hhmm(statistics.median(starts)) if starts else None})
    worked = sum(r["working_days"] for r in rows)
    on_time = sum(r["on_time_days"] for r in rows)
    all_starts = [m for rep in first.values() for m in rep.values()]
    team = {"working_days": worked, "on_time_days": on_time,
            "on_time_pct": round(on_time / worked * 100, 1) if worked else None,
            "median_first_visit": _hhmm(statistics.median(all_starts)) if all_starts else None}
    return {"rows": rows, "team": team}


def activity(scope):
    """Visits per working day, effective (face-to-face) visits, visits with a purpose, plan vs actual."""
    visits = _visit_rows(scope)
    radius = current_app.config["CHECKIN_RADIUS_M"]
    days = _worked_days(scope)
    counts = defaultdict(Counter)
    done = set()
    keys = rep_keys(scope.rep_ids)
    local_day = LocalDays(scope.tz)
    first = scope.start_utc.timestamp()
    for raw_rep, check_in, check_out, met, account_id, purpose, distance in visits:
        if check_in < first:
            continue  # read for working days only: it started the evening before the period
        rep_id = keys[raw_rep]
        c = counts[rep_id]
        c["visits"] += 1
        c["not_met"] += met is False  # an unsuccessful call: counted apart, never face-to-face
        c["away"] += distance is not None and distance > radius  # checked in away from the account
        c["face_to_face_visits"] += check_out is not None and met is not False
        c["with_purpose"] += bool((purpose or "").strip())
        done.add((rep_id, account_id, local_day(check_in)))
    # A day's plan as it stood at its first check-in (the snapshot), else as it stands.
    in_period = (RoutePlan.rep_id.in_(scope.rep_ids), RoutePlan.plan_date >= scope.start, RoutePlan.plan_date <= scope.end)
    frozen = {}
    for raw_rep, plan_date, snapshot in _rows(select(_raw(RoutePlan.rep_id), RoutePlan.plan_date, RoutePlan.snapshot)
                                              .where(*in_period, RoutePlan.snapshot.is_not(None))):
        frozen[(raw_rep, plan_date)] = snapshot
    stops = [row for row in _rows(select(_raw(RoutePlan.rep_id), RoutePlan.plan_date, _raw(RouteStop.account_id))
                                  .join(RouteStop, RouteStop.route_plan_id == RoutePlan.id).where(*in_period))
             if (row[0], row[1]) not in frozen]
    as_raw = (lambda i: uuid.UUID(i).hex) if db.session.get_bind().dialect.name == "sqlite" else str  # as _raw reads ids
    stops += [(raw_rep, plan_date, as_raw(account_id)) for (raw_rep, plan_date), ids in frozen.items() for account_id in ids]
    for raw_rep, plan_date, account_id in stops:
        rep_id = keys[raw_rep]
        counts[rep_id]["planned"] += 1
        counts[rep_id]["planned_done"] += (rep_id, account_id, plan_date) in done
    rows = []
    for rep in scope.reps:
        c = counts[rep.id]
        worked = len(days.get(rep.id, ()))
        rows.append({**_rep_row(rep), "working_days": worked, **_activity_figures(c, worked)})
    team_counts = sum(counts.values(), Counter())
    team = {"working_days": sum(r["working_days"] for r in rows),
            **_activity_figures(team_counts, sum(r["working_days"] for r in rows))}
    return {"rows": rows, "team": team}


def _activity_figures(c, worked):
    return {"visits": c["visits"], "face_to_face_visits": c["face_to_face_visits"], "not_met": c["not_met"],
            "away_from_account": c["away"],
            "with_purpose": c["with_purpose"],
            "visits_per_day": round(c["visits"] / worked, 2) if worked else None,
            "planned": c["planned"], "planned_done": c["planned_done"],
            "plan_done_pct": round(c["planned_done"] / c["planned"] * 100, 1) if c["planned"] else None}


_Opp = namedtuple("_Opp", "id owner_id stage status closed_at loss_reason amount")


def funnel(scope):
    """Opportunities per stage, stage-to-stage conversion, median days in stage, won/lost and why."""
    in_period = (Opportunity.owner_id.in_(scope.rep_ids), Opportunity.opened_at < scope.end_utc,
                 or_(Opportunity.closed_at.is_(None), Opportunity.closed_at >= scope.start_utc))
    keys = rep_keys(scope.rep_ids)
    opps = [_Opp(o[0], keys[o[1]], *o[2:]) for o in db.session.execute(
        select(_raw(Opportunity.id), _raw(Opportunity.owner_id), Opportunity.stage, Opportunity.status,
               _epoch(Opportunity.closed_at), Opportunity.loss_reason, Opportunity.amount).where(*in_period))]
    history = defaultdict(list)
    for opp_id, to_stage, at in db.session.execute(
            select(_raw(StageChange.opportunity_id), StageChange.to_stage, _epoch(StageChange.changed_at))
            .join(Opportunity, Opportunity.id == StageChange.opportunity_id).where(*in_period)):
        history[opp_id].append((at, to_stage))
    per_rep = defaultdict(lambda: {"opps": [], "stays": defaultdict(list)})
    for o in opps:
        entry = per_rep[o.owner_id]
        entry["opps"].append(o)
        changes = sorted(history.get(o.id, []))
        for (at, stage), (next_at, next_stage) in zip(changes, changes[1:]):
            if next_stage != stage:
                entry["stays"][stage].append((next_at - at) / 86400)
    rows = [{**_rep_row(rep), **_funnel_figures(per_rep[rep.id], history, scope)} for rep in scope.reps]
    merged = {"opps": [o for e in per_rep.values() for o in e["opps"]], "stays": defaultdict(list)}
    for e in per_rep.values():
        for stage, stays in e["stays"].items():
            merged["stays"][stage].extend(stays)
    return {"rows": rows, "team": _funnel_figures(merged, history, scope), "stages": list(FUNNEL_STAGES)}


def _funnel_figures(entry, history, scope):
    index = {s: i for i, s in enumerate(FUNNEL_STAGES)}
    reached = Counter()
    open_by_stage = Counter()
    won = lost = 0
    won_amount = Decimal(0)
    reasons = Counter()
    for o in entry["opps"]:
        furthest = max([index[o.stage]] + [index[s] for _, s in history.get(o.id, [])])
        for i in range(furthest + 1):
            reached[FUNNEL_STAGES[i]] += 1
        if o.status == "open":
            open_by_stage[o.stage] += 1
        elif o.closed_at is not None and scope.start_utc.timestamp() <= o.closed_at < scope.end_utc.timestamp():
            if o.status == "won":
                won += 1
                won_amount += o.amount or 0
            else:
                lost += 1
                reasons[o.loss_reason or "other"] += 1
    conversion = {f"{a}>{b}": (round(reached[b] / reached[a] * 100, 1) if reached[a] else None)
                  for a, b in zip(FUNNEL_STAGES, FUNNEL_STAGES[1:])}
    median_days = {s: (round(statistics.median(entry["stays"][s]), 1) if entry["stays"].get(s) else None)
                   for s in FUNNEL_STAGES[:-1]}
    return {"open_by_stage": {s: open_by_stage[s] for s in FUNNEL_STAGES}, "reached": {s: reached[s] for s in FUNNEL_STAGES},
            "conversion_pct": conversion, "median_days_in_stage": median_days, "won": won, "lost": lost,
            "won_amount": float(won_amount), "win_rate_pct": round(won / (won + lost) * 100, 1) if won + lost else None,
            "loss_reasons": dict(reasons)}


def _as_of(scope):
    return min(scope.end_utc, utcnow())


def cadence(scope):
    """A/B/C accounts past their 7/14/30-day cadence at the end of the period, per rep, with the list."""
    as_of = _as_of(scope)
    accounts = db.session.execute(select(Account.id, Account.name, Account.owner_id, Account.account_class,
                                         Account.last_contact_at).where(Account.owner_id.in_(scope.rep_ids))
                                  .order_by(Account.name)).all()
    per_rep = defaultdict(lambda: {c: {"total": 0, "overdue": 0} for c in CADENCE_DAYS})
    owners = {rep.id: rep for rep in scope.reps}
    overdue = []
    for a in accounts:
        cell = per_rep[a.owner_id][a.account_class]
        cell["total"] += 1
        days = days_since(a.last_contact_at, as_of)
        if is_overdue(a.last_contact_at, a.account_class, as_of):
            cell["overdue"] += 1
            rep = owners.get(a.owner_id)
            overdue.append({"account_id": str(a.id), "name": a.name, "account_class": a.account_class,
                            "rep_id": str(a.owner_id), "rep_name": rep_name(rep),
                            "days_since_contact": days, "cadence_days": CADENCE_DAYS[a.account_class],
                            "days_overdue": None if days is None else days - CADENCE_DAYS[a.account_class]})
    rows = []
    for rep in scope.reps:
        cells = per_rep[rep.id]
        rows.append({**_rep_row(rep), **{f"{c}_{k}": cells[c][k] for c in CADENCE_DAYS for k in ("total", "overdue")},
                     "overdue": sum(cells[c]["overdue"] for c in CADENCE_DAYS)})
    team = {f"{c}_{k}": sum(r[f"{c}_{k}"] for r in rows) for c in CADENCE_DAYS for k in ("total", "overdue")}
    team["overdue"] = sum(r["overdue"] for r in rows)
    overdue.sort(key=lambda o: (-(o["days_since_contact"] if o["days_since_contact"] is not None else 10**6), o["name"]))
    return {"rows": rows, "team": team, "as_of": as_of.isoformat(), "overdue_accounts": overdue}


def volume_band(volume):
    band = VOLUME_BANDS[0][0]
    for name, floor in VOLUME_BANDS:
        if (volume or 0) >= floor:
            band = name
    return band


def age_band(installed_on, as_of):
    if installed_on is None:
        return "unknown"
    years = (as_of - installed_on).days / 365.25
    return AGE_BANDS[min(max(int(years), 0), 5)]


def installed_base(scope):
    """The MIF matrix: monthly volume band x machine age, ours and competitors', with each cell's accounts."""
    as_of = _as_of(scope).astimezone(scope.tz).date()
    devices = db.session.execute(select(Device.ownership, Device.monthly_volume, Device.installed_on, Device.account_id,
                                        Account.name)
                                 .join(Account, Account.id == Device.account_id)
                                 .where(Account.owner_id.in_(scope.rep_ids))).all()
    cells = defaultdict(lambda: {"devices": 0, "accounts": set()})
    names = {}
    for ownership, volume, installed_on, account_id, name in devices:
        cell = cells[(ownership, volume_band(volume), age_band(installed_on, as_of))]
        cell["devices"] += 1
        cell["accounts"].add(str(account_id))
        names[str(account_id)] = name
    rows = []
    for (ownership, vband, aband), cell in sorted(cells.items()):
        rows.append({"ownership": ownership, "volume_band": vband, "age_band": aband, "devices": cell["devices"],
                     "accounts": len(cell["accounts"]), "account_ids": sorted(cell["accounts"]),
                     "account_names": [names[i] for i in sorted(cell["accounts"])],
                     "replacement_opportunity": aband == "5+" and vband in HIGH_VOLUME})
    return {"rows": rows, "volume_bands": [b for b, _ in VOLUME_BANDS], "age_bands": [*AGE_BANDS, "unknown"],
            "as_of": as_of.isoformat(), "team": {"devices": sum(r["devices"] for r in rows)}}


def _months(start, end):
    month = start.replace(day=1)
    while month <= end:
        yield month
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _working_days(first, last):
    return [first + timedelta(days=i) for i in range((last - first).days + 1)
            if (first + timedelta(days=i)).weekday() < 5]


def targets(scope):
    """Each rep's monthly target, broken down to weeks and working days, against orders won."""
    months = list(_months(scope.start, scope.end))
    records = {(t.rep_id, t.month): t for t in db.session.scalars(select(SalesTarget).where(
        SalesTarget.rep_id.in_(scope.rep_ids), SalesTarget.month.in_(months)))}
    stored = {key: t.amount for key, t in records.items()}
    first_utc = datetime.combine(months[0], time(0), scope.tz)
    last_utc = datetime.combine(_next_month(months[-1]), time(0), scope.tz)
    won = defaultdict(lambda: defaultdict(Decimal))  # rep -> local date -> amount
    for owner_id, closed_at, amount in db.session.execute(select(Opportunity.owner_id, Opportunity.closed_at, Opportunity.amount)
                                                          .where(Opportunity.owner_id.in_(scope.rep_ids),
                                                                 Opportunity.status == "won",
                                                                 Opportunity.closed_at >= first_utc,
                                                                 Opportunity.closed_at < last_utc)):
        won[owner_id][closed_at.astimezone(scope.tz).date()] += amount or 0
    rows = []
    for rep in scope.reps:
        for month in months:
            last = _next_month(month) - timedelta(days=1)
            working = _working_days(month, last)
            target = stored.get((rep.id, month))
            per_day = (target / len(working)) if target is not None and working else None
            weeks = []
            for monday in sorted({week_start(d) for d in working}):
                in_week = [d for d in working if week_start(d) == monday]
                won_week = sum((a for d, a in won[rep.id].items() if monday <= d < monday + timedelta(days=7)
                                and month <= d <= last), Decimal(0))
                weeks.append({"week_start": monday.isoformat(), "working_days": len(in_week),
                              "target": _money(per_day * len(in_week)) if per_day is not None else None,
                              "won": _money(won_week)})
            won_month = sum((a for d, a in won[rep.id].items() if month <= d <= last), Decimal(0))
            rows.append({**_rep_row(rep), "month": month.strftime("%Y-%m"), "target": _money(target),
                         "working_days": len(working), "target_per_day": _money(per_day), "won": _money(won_month),
                         "attainment_pct": round(float(won_month / target * 100), 1) if target else None,
                         **_set_by(records.get((rep.id, month))), "weeks": weeks})
    team = {"target": _money(sum((stored.get((r.id, m)) or 0 for r in scope.reps for m in months), Decimal(0))),
            "won": sum(r["won"] for r in rows)}
    return {"rows": rows, "team": team}


def _set_by(record, by_field="set_by", at_field="set_at"):
    """Who set a figure and when, by name."""
    by = getattr(record, by_field, None) if record is not None else None
    user = db.session.get(User, by) if by is not None else None
    at = getattr(record, at_field, None) if record is not None else None
    return {"set_by_name": rep_name(user),
            "set_at": at.isoformat() if at else None}


def _next_month(month):
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _money(value):
    return None if value is None else round(float(value), 2)


def set_target(rep, month, amount, by=None):
    """Store (or replace) a rep's target for a month, noting who set it and when."""
    target = db.session.scalar(select(SalesTarget).where(SalesTarget.rep_id == rep.id, SalesTarget.month == month))
    if target is None:
        target = SalesTarget(rep_id=rep.id, month=month, amount=amount)
        db.session.add(target)
    target.amount = amount
    target.set_by, target.set_at = by, utcnow()
    db.session.commit()
    return target


def set_face_time_target(team, pct, by=None):
    """Store a team's goal for the face-to-face share of the day, noting who set it and when."""
    team.face_time_target_pct = pct
    team.face_time_target_set_by, team.face_time_target_set_at = by, utcnow()
    db.session.commit()
    return team


REPORTS = {
    "time-ratios": time_ratios, "first-appointment": first_appointment, "activity": activity, "funnel": funnel,
    "cadence": cadence, "installed-base": installed_base, "targets": targets, "qualification": qualification,
    "hunting-farming": hunting_farming, "win-loss": win_loss,
    "coverage": coverage, "method-ratios": method_ratios,
}
