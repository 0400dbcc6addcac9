"""The scorecard's day figures summed by the database (server/reports/daysums.py) against the same figures
read as the time-split and first-appointment reports read them: equal on days the sums serve (plain days)
and on the days they hand to the sweep (overlaps, a visit past midnight), with open visits, a visit not met,
a cancelled one and one from the evening before the period. A zone whose offset changes in the period takes
the reports' path."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Activity, Team, User, Visit
from server.reports.daysums import exact_day_figures, fixed_offset, summed_day_figures
from server.reports.rows import rep_order
from server.reports.scope import Scope
from tests.records import add_visits, writing

SH = ZoneInfo("Asia/Shanghai")


def at(day, hh, mm=0):
    return datetime(2026, 11, day, hh, mm, tzinfo=SH)


@pytest.fixture
def november(app, world, clock):
    """On top of the world's visit (2 Nov 09:00-09:40, after 30 minutes' travel) for each rep, r1 has:
    3 Nov: a visit 08:40-09:40 and an admin hour 09:00-10:00 overlapping it (the visit wins), then a visit
    not met 10:00-10:20; 4 Nov: a visit 23:00 to 00:30 on the 5th (past midnight), then a meeting 08:00-09:00
    on the 5th; 6 Nov: a plain day, travel 08:30-08:50, visit 08:50-09:30, admin 09:30-10:00, an open visit
    at 11:00 and a cancelled one at 12:00; 31 Oct 22:00 to 1 Nov 01:00: a visit from the evening before.
    r2 has a day of two visits at the same minute (7 Nov 10:00-10:30 and 10:00-10:45)."""
    clock.set(at(30, 12))
    r1, r2 = world.users["r1"], world.users["r2"]
    account = world.accounts["r1"]
    with writing(app):
        visits = [
            Visit(purpose="Call", account_id=account, rep_id=r1, check_in_at=at(3, 8, 40), check_out_at=at(3, 9, 40)),
            Visit(
                purpose="Call",
                account_id=account,
                rep_id=r1,
                check_in_at=at(3, 10),
                check_out_at=at(3, 10, 20),
                met=False,
            ),
            Visit(purpose="Call", account_id=account, rep_id=r1, check_in_at=at(4, 23), check_out_at=at(5, 0, 30)),
            Visit(purpose="Call", account_id=account, rep_id=r1, check_in_at=at(6, 8, 50), check_out_at=at(6, 9, 30)),
            Visit(purpose="Call", account_id=account, rep_id=r1, check_in_at=at(6, 11)),
            Visit(
                purpose="Call",
                account_id=account,
                rep_id=r1,
                check_in_at=at(6, 12),
                check_out_at=at(6, 12, 30),
                cancelled_at=at(6, 13),
            ),
            Visit(
                purpose="Call",
                account_id=account,
                rep_id=r1,
                check_in_at=datetime(2026, 10, 31, 22, tzinfo=SH),
                check_out_at=datetime(2026, 11, 1, 1, tzinfo=SH),
            ),
            Visit(
                purpose="Call",
                account_id=world.accounts["r2"],
                rep_id=r2,
                check_in_at=at(7, 10),
                check_out_at=at(7, 10, 30),
            ),
            Visit(
                purpose="Call",
                account_id=world.accounts["r2"],
                rep_id=r2,
                check_in_at=at(7, 10),
                check_out_at=at(7, 10, 45),
            ),
        ]
        add_visits(*visits)
        db.session.add_all(
            [
                Activity(rep_id=r1, category="admin", started_at=at(3, 9), ended_at=at(3, 10)),
                Activity(rep_id=r1, category="meeting", started_at=at(5, 8), ended_at=at(5, 9)),
                Activity(rep_id=r1, category="travel", started_at=at(6, 8, 30), ended_at=at(6, 8, 50)),
                Activity(rep_id=r1, category="admin", started_at=at(6, 9, 30), ended_at=at(6, 10)),
            ]
        )
        db.session.commit()
    return world


def _scope(world, tz=SH, start=date(2026, 11, 1), end=date(2026, 11, 30)):
    north = db.session.get(User, world.users["m1"]).team_id
    reps = sorted(db.session.scalars(select(User).where(User.team_id == north, User.role == "rep")), key=rep_order)
    return Scope(db.session.get(Team, north), reps, tz, start, end)


def test_the_sums_equal_the_reports_reading_on_plain_and_swept_days(app, november):
    with app.app_context():
        scope = _scope(november)
        summed, exact = summed_day_figures(scope), exact_day_figures(_scope(november))
    r1, r2 = november.users["r1"], november.users["r2"]
    for rep in (r1, r2):
        for key in ("visits", "not_met", "face_to_face_visits", "working_days", "on_time_days"):
            assert summed[rep][key] == exact[rep][key], (rep, key)
        for key in ("face_min", "span_min"):
            assert summed[rep][key] == pytest.approx(exact[rep][key], abs=0.06), (rep, key)
    # Counted by hand for r1: days 1 (the evening's visit, past midnight), 2, 3, 4, 5, 6 worked.
    assert summed[r1]["working_days"] == 6
    # Visits checked in within the period: 2, 3 (two), 4, 6 (the plain one and the open one): 6; not met 1;
    # face to face (met, checked out) 4.
    assert (summed[r1]["visits"], summed[r1]["not_met"], summed[r1]["face_to_face_visits"]) == (6, 1, 4)
    # First visits by 8:55: 2 Nov 09:00 no, 3 Nov 08:40 yes, 4 Nov 23:00 no, 6 Nov 08:50 yes.
    assert summed[r1]["on_time_days"] == 2
    # Face to face: 1 Nov 60 min (00:00-01:00), 2 Nov 40, 3 Nov 60 (the visit beats the admin hour),
    # 4 Nov 60 and 5 Nov 30 (cut at midnight), 6 Nov 40.
    assert summed[r1]["face_min"] == pytest.approx(60 + 40 + 60 + 60 + 30 + 40)
    # r2's two visits at the same minute are one 45-minute stretch face to face, after the world's day.
    assert summed[r2]["face_min"] == pytest.approx(40 + 45)


def test_a_zone_whose_offset_changes_takes_the_reports_path(app, november):
    berlin = ZoneInfo("Europe/Berlin")  # summer time ends on 25 October 2026
    with app.app_context():
        assert fixed_offset(_scope(november)) == 8 * 3600
        assert fixed_offset(_scope(november, berlin, date(2026, 10, 1), date(2026, 10, 31))) is None
        assert summed_day_figures(_scope(november, berlin, date(2026, 10, 1), date(2026, 10, 31))) is None
        assert fixed_offset(_scope(november, berlin)) == 3600  # November: winter time throughout
