"""A re-plan previewed and accepted: the plan stored is the one shown, stop for stop, or the accept is refused."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.records import writing
from tests.routing.test_planning import _more_accounts

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _order(plan):
    stops = sorted(plan["stops"], key=lambda s: s["position"])
    return [(s["account_id"], s["appointment_id"], datetime.fromisoformat(s["planned_arrival"])) for s in stops]


def test_an_accepted_preview_is_stored_as_shown_where_a_fresh_solve_differs(app, clock):
    """The solver is time-limited: a preview solved in a hurry differs from a solve given time, and the accept
    stores the preview's order and times, not a new solve."""
    from server.demo import seed
    from server.extensions import db
    from server.models import User
    from server.route_plans.planner import Start, plan_day
    from server.route_plans.schemas import RoutePlanSchema

    today = date(2026, 11, 9)
    day = today + timedelta(days=1)
    clock.freeze(datetime.combine(today, time(18), SHANGHAI).isoformat())
    with writing(app):
        seed("demo-password", reps=1, accounts_per_rep=40, weeks=2, today=today)
        rep = db.session.query(User).filter_by(role="rep").one()
        start = Start(rep.start_lat, rep.start_lng, datetime.combine(day, time(9, 30), SHANGHAI))
        hurried = plan_day(rep.id, day, time_limit_s=0.01, by=rep.id, start=start, preview=True)
        settled = plan_day(rep.id, day, time_limit_s=2.0, by=rep.id, start=start, preview=True)
        assert _order(hurried) != _order(settled)  # a fresh solve would store another day
        stored = plan_day(rep.id, day, by=rep.id, start=start, accept=hurried["preview_token"])
        kept = RoutePlanSchema().dump(stored)
        assert _order(kept) == _order(hurried)
        assert kept["total_travel_s"] == hurried["total_travel_s"] and kept["dropped"] == hurried["dropped"]


@pytest.mark.calendar
def test_a_preview_is_accepted_once_and_a_stale_one_is_refused(app, client, world, clock):
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    _more_accounts(app, world)
    here = {"latitude": 31.215, "longitude": 121.46, "at": "2026-11-10T11:00:00+08:00"}
    body = {"date": "2026-11-10", "start": here}
    rep = world.headers("r1")
    preview = client.post("/api/routes/plan", json={**body, "preview": True}, headers=rep).get_json()
    assert preview["preview_token"] and preview["stops"]
    stored = client.post("/api/routes/plan", json={**body, "accept": preview["preview_token"]}, headers=rep)
    assert stored.status_code == 200, stored.get_json()
    assert _order(stored.get_json()) == _order(preview) and stored.get_json().get("preview_token") is None
    # The same preview again: another plan of the day is stored since, and the accept is refused.
    again = client.post("/api/routes/plan", json={**body, "accept": preview["preview_token"]}, headers=rep)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "preview_stale"
    # A new preview, then the rep checks in at one of its stops: the day changed, nothing is stored.
    fresh = client.post("/api/routes/plan", json={**body, "preview": True}, headers=rep).get_json()
    visit = {
        "account_id": fresh["stops"][-1]["account_id"],
        "purpose": "Dropped by",
        "check_in_at": "2026-11-10T01:50:00+00:00",
        "check_out_at": "2026-11-10T02:30:00+00:00",
    }
    assert client.post("/api/visits", json=visit, headers=rep).status_code == 201
    kept = client.get(f"/api/routes/{world.users['r1']}/2026-11-10", headers=rep).get_json()
    stale = client.post("/api/routes/plan", json={**body, "accept": fresh["preview_token"]}, headers=rep)
    assert stale.status_code == 409, stale.get_json()
    assert stale.get_json()["error"]["code"] == "preview_stale" and "accept" in stale.get_json()["error"]["fields"]
    after = client.get(f"/api/routes/{world.users['r1']}/2026-11-10", headers=rep).get_json()
    assert after["version"] == kept["version"] and after["stops"] == kept["stops"]
    # Another day's preview, a forged token or a preview sent as both: refused as invalid.
    other = client.post("/api/routes/plan", json={"date": "2026-11-11", "accept": fresh["preview_token"]}, headers=rep)
    forged = client.post("/api/routes/plan", json={**body, "accept": fresh["preview_token"][:-2] + "xx"}, headers=rep)
    both = client.post("/api/routes/plan", json={**body, "preview": True, "accept": "x"}, headers=rep)
    assert [r.status_code for r in (other, forged, both)] == [422, 422, 422]
