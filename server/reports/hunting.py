"""Hunting and farming, as the method names them: hunting is for short-term orders, farming develops
accounts for the long term, and both must go on every week. A visit hunts when it works an opportunity
that stood open at D (demo) or C (proposal) when the visit began. Every other met visit farms: S, P or A,
or no opportunity at all. Visits the customer missed (not met) and cancelled ones count for neither."""

from collections import defaultdict
from datetime import datetime, time, timedelta

from sqlalchemy import String, and_, column, func, select, values

from ..extensions import db
from ..models import Opportunity, StageChange, Visit
from ..models.base import UTCDateTime
from .rows import core_rows, pct, raw_text, rep_keys, rep_row
from .timesplit import week_start

HUNTING_STAGES = ("D", "C")


def hunting_farming(scope):
    counted = (
        Visit.rep_id.in_(scope.rep_ids),
        Visit.check_in_at >= scope.start_utc,
        Visit.check_in_at < scope.end_utc,
        Visit.cancelled_at.is_(None),
        Visit.met.is_not(False),
    )
    # A visit working no opportunity farms: only its week is needed, so the database counts them per rep and
    # local week (the weeks' bounds as a table it joins: a year's visits are not read one by one).
    counts = defaultdict(lambda: defaultdict(lambda: {"farming": 0, "hunting": 0}))  # rep -> week -> counts
    keys, weeks = rep_keys(scope.rep_ids), _weeks(scope)
    if weeks is not None:
        for raw_rep, week, count in core_rows(
            select(raw_text(Visit.rep_id), weeks.c.week, func.count())
            .select_from(weeks)
            .join(Visit, and_(Visit.check_in_at >= weeks.c.since, Visit.check_in_at < weeks.c.until))
            # The period's bounds are the weeks': the visits are looked up week by week (rep, check-in).
            .where(counted[0], *counted[3:], Visit.opportunity_id.is_(None))
            .group_by(Visit.rep_id, weeks.c.week)
        ):
            counts[keys[raw_rep]][week]["farming"] += count
    visits = db.session.execute(
        select(Visit.rep_id, Visit.check_in_at, Visit.opportunity_id).where(*counted, Visit.opportunity_id.is_not(None))
    ).all()
    linked = {v.opportunity_id for v in visits if v.opportunity_id is not None}
    history = defaultdict(list)  # opportunity -> [(changed_at, to_stage, status)] in time order
    for change in db.session.scalars(
        select(StageChange)
        .where(StageChange.opportunity_id.in_(linked))
        .order_by(StageChange.changed_at, StageChange.id)
    ):
        history[change.opportunity_id].append((change.changed_at, change.to_stage, change.status))
    current = {
        o.id: (o.stage, o.status) for o in db.session.scalars(select(Opportunity).where(Opportunity.id.in_(linked)))
    }

    def hunts(opportunity_id, at):
        if opportunity_id is None:
            return False
        before = [h for h in history.get(opportunity_id, ()) if h[0] <= at]
        if before:
            stage, status = before[-1][1], before[-1][2]
        elif opportunity_id not in history:  # no history at all (written without it): as it stands
            stage, status = current.get(opportunity_id, (None, None))
        else:
            return False  # not opened yet when the visit began
        return status == "open" and stage in HUNTING_STAGES

    for rep_id, at, opportunity_id in visits:
        week = week_start(at.astimezone(scope.tz).date()).isoformat()
        counts[rep_id][week]["hunting" if hunts(opportunity_id, at) else "farming"] += 1
    rows, weeks_all = [], sorted({w for rep in counts.values() for w in rep})
    for rep in scope.reps:
        mine = counts[rep.id]
        farming = sum(c["farming"] for c in mine.values())
        hunting = sum(c["hunting"] for c in mine.values())
        rows.append(
            {
                **rep_row(rep),
                "visits": farming + hunting,
                "farming": farming,
                "hunting": hunting,
                "farming_pct": pct(farming, farming + hunting),
            }
        )
    weeks = [
        {
            "week_start": w,
            **{
                f"{kind}": sum(counts[r.id][w][kind] for r in scope.reps if w in counts[r.id])
                for kind in ("farming", "hunting")
            },
        }
        for w in weeks_all
    ]
    team_f, team_h = sum(r["farming"] for r in rows), sum(r["hunting"] for r in rows)
    team = {
        "visits": team_f + team_h,
        "farming": team_f,
        "hunting": team_h,
        "farming_pct": pct(team_f, team_f + team_h),
    }
    return {"rows": rows, "team": team, "weeks": weeks, "hunting_stages": list(HUNTING_STAGES)}


def _weeks(scope):
    """The period's local weeks as a table (week, since, until): each week's instants within the period."""
    rows, monday = [], week_start(scope.start)
    while monday <= scope.end:
        since = max(datetime.combine(monday, time(0), scope.tz), scope.start_utc)
        until = min(datetime.combine(monday + timedelta(days=7), time(0), scope.tz), scope.end_utc)
        if since < until:
            rows.append((monday.isoformat(), since, until))
        monday += timedelta(days=7)
    if not rows:
        return None
    table = values(column("week", String), column("since", UTCDateTime), column("until", UTCDateTime), name="weeks")
    return table.data(rows).cte("weeks")
