"""Plan completion counts a day's planned stops once the day is over (the team's `day_end`, 19:00): planning
today in the morning leaves the week's figure where it was, and the day counts after 19:00."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from server.extensions import db
from server.models import Account, RoutePlan, RouteStop, Visit
from server.reports import activity
from tests.records import add_visits, writing
from tests.reports.test_reports_api import get

SH = ZoneInfo("Asia/Shanghai")
MONDAY, WEDNESDAY = date(2026, 11, 16), date(2026, 11, 18)


def at(day, hh, mm=0):
    return datetime(2026, 11, day, hh, mm, tzinfo=SH)


def plan(r1, day, account_ids):
    route = RoutePlan(rep_id=r1, plan_date=day, status="planned", total_travel_s=600, dropped=[])
    route.stops = [
        RouteStop(account_id=a, position=i, planned_arrival=at(day.day, 9 + i)) for i, a in enumerate(account_ids)
    ]
    db.session.add(route)


@pytest.fixture(params=["kept", "read"])
def monday_done(request, monkeypatch, app, world, clock):
    """r1 planned Monday's two stops and visited both; Wednesday 07:00 now, not yet planned. The activity
    counts come from the rep-days kept on write, or (`read`) from the visits and plans themselves."""
    if request.param == "read":
        monkeypatch.setattr(activity, "rep_days", lambda scope: None)
    clock.set(at(18, 7))
    r1 = world.users["r1"]
    with writing(app):
        accounts = [
            Account(name=f"Plan {i}", account_class="B", owner_id=r1, latitude=31.2 + i / 100, longitude=121.4)
            for i in range(2)
        ]
        db.session.add_all(accounts)
        db.session.flush()
        ids = [a.id for a in accounts]
        plan(r1, MONDAY, ids)
        add_visits(
            *(
                Visit(
                    account_id=a.id,
                    rep_id=r1,
                    purpose="Call",
                    check_in_at=at(16, 9 + i),
                    check_out_at=at(16, 9 + i, 30),
                )
                for i, a in enumerate(accounts)
            )
        )
        db.session.commit()
    return ids


def completion(client, world):
    [review] = get(client, world, "r1", "/api/reports/weekly-review?week=2026-11-16")["reviews"]
    [row] = [
        r
        for r in get(client, world, "m1", "/api/reports/activity?from=2026-11-16&to=2026-11-22")["rows"]
        if r["rep_id"] == str(world.users["r1"])
    ]
    assert (review["do"]["planned_done"], review["do"]["plan_done_pct"]) == (row["planned_done"], row["plan_done_pct"])
    return review, row


def test_todays_plan_counts_for_completion_only_once_the_day_is_over(app, client, world, clock, monday_done):
    before, _ = completion(client, world)
    assert before["do"]["plan_done_pct"] == 100.0
    r1 = world.users["r1"]
    with writing(app):
        plan(r1, WEDNESDAY, monday_done)  # today, planned at 07:00
        db.session.commit()
    morning, row = completion(client, world)
    assert morning["do"]["plan_done_pct"] == before["do"]["plan_done_pct"]  # today's stops are not due yet
    assert morning["plan"] == {"planned_days": 2, "planned_stops": 4, "target": None}  # the plan is the week's
    assert (morning["do"]["planned_due"], morning["do"]["planned_done"], morning["do"]["plan_done_pct"]) == (
        2,
        2,
        100.0,
    )
    assert (row["planned"], row["planned_due"]) == (4, 2)
    daily = get(client, world, "r1", "/api/reports/daily?date=2026-11-18")["reports"][0]["plan"]
    assert daily == {"planned": 2, "done": 0, "plan_done_pct": None}  # not due yet: no failing figure

    with writing(app):  # one of today's two stops visited
        add_visits(
            Visit(
                account_id=monday_done[0],
                rep_id=r1,
                purpose="Call",
                check_in_at=at(18, 9),
                check_out_at=at(18, 9, 30),
            )
        )
        db.session.commit()
    clock.set(at(18, 18, 59))
    assert completion(client, world)[0]["do"]["plan_done_pct"] == 100.0  # the working day is not over yet
    assert (
        get(client, world, "r1", "/api/reports/daily?date=2026-11-18")["reports"][0]["plan"]["done"] == 1
    )  # visited so far

    clock.set(at(18, 19))  # day_end: today counts, its missed stop with it
    evening, row = completion(client, world)
    assert (evening["do"]["planned_due"], evening["do"]["planned_done"], evening["do"]["plan_done_pct"]) == (4, 3, 75.0)
    assert (row["planned"], row["planned_due"]) == (4, 4)
    daily = get(client, world, "r1", "/api/reports/daily?date=2026-11-18")["reports"][0]["plan"]
    assert daily == {"planned": 2, "done": 1, "plan_done_pct": 50.0}


def test_a_future_days_plan_never_counts(app, client, world, clock, monday_done):
    with writing(app):
        plan(world.users["r1"], date(2026, 11, 20), monday_done)  # Friday's, planned ahead
        db.session.commit()
    clock.set(at(18, 21))
    review, row = completion(client, world)
    assert review["do"]["plan_done_pct"] == 100.0
    assert review["do"]["planned_due"] == 2
    assert (row["planned"], row["planned_due"]) == (4, 2)
