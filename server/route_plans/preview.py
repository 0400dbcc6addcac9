"""A re-plan previewed, then accepted as shown. The preview's answer carries `preview_token`: what was solved (the
stops in order, what was dropped and why, lunch skipped or not), the day's inputs (a digest of the candidate stops,
the start, the visits and leave-outs they were made from) and the stored plan's version then, signed by the server.
The accept (`accept`: that token, with the preview's own request) stores exactly that order, timed again, without
solving the day again; when the day changed since (an account gone, an appointment added, a stop visited, another
plan stored) or the order no longer fits, it is refused with 409 `preview_stale` and nothing is stored."""

import hashlib
from dataclasses import replace

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from routing.solver import timed_order

from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..models import RoutePlan

SALT = "route-plan-preview"
STALE = "preview_stale"


def _signer():
    return URLSafeSerializer(current_app.config["JWT_SECRET_KEY"], salt=SALT)


def stored_version(rep_id, day):
    """The version of the rep's stored plan for `day` (None: no plan)."""
    return db.session.scalar(select(RoutePlan.version).where(RoutePlan.rep_id == rep_id, RoutePlan.plan_date == day))


def inputs_digest(job):
    """What the day was solved from: the candidate stops (ids, places, windows, service, priority), start, end,
    lunch, the visits so far and the rep's leave-outs."""
    facts = repr((job.day_model, sorted(job.visited), sorted(job.excluded), job.start))
    return hashlib.sha256(facts.encode()).hexdigest()


def preview_token(job, day, plan, version):
    """The signed token of a previewed `plan` (routing's Plan) of `job`'s day, the stored plan at `version`."""
    return _signer().dumps(
        {
            "rep": str(job.rep_id),
            "day": day.isoformat(),
            "inputs": inputs_digest(job),
            "version": version,
            "order": [s.stop_id for s in plan.stops],
            "dropped": [list(d) for d in plan.dropped],
            "lunch_skipped": plan.lunch_skipped,
            "empty_reason": plan.empty_reason,
        }
    )


def _stale(why):
    return Conflict(
        f"The day changed since this preview ({why}); plan it again to see the new one. Nothing was stored.",
        {"accept": [f"Stale preview: {why}."]},
        code=STALE,
    )


def accepted_plan(job, day, token, version):
    """The plan the preview `token` showed, timed again for `job` (the day as it is now, the stored plan at
    `version`); 409 `preview_stale` when it can no longer be kept as shown, 422 when the token is not one."""
    try:
        shown = _signer().loads(token)
    except BadSignature:
        raise ValidationFailed("Not a preview of this server.", {"accept": ["Invalid preview token."]}) from None
    if shown.get("rep") != str(job.rep_id) or shown.get("day") != day.isoformat():
        raise ValidationFailed("The preview is of another day or rep.", {"accept": ["Another day's preview."]})
    if shown["version"] != version:
        raise _stale("another plan of the day was stored meanwhile")
    if shown["inputs"] != inputs_digest(job):
        raise _stale("its stops, appointments or visits changed")
    dropped = [tuple(d) for d in shown["dropped"]]
    timed = timed_order(
        job.day_model, job.matrix, shown["order"], [d[0] for d in dropped], without_lunch=bool(shown["lunch_skipped"])
    )
    if timed is None:
        raise _stale("its order no longer fits the day")
    return replace(timed, dropped=dropped, lunch_skipped=shown["lunch_skipped"], empty_reason=shown["empty_reason"])
