"""Leave-by and appointment-soon from the server (the phone shows them only while the app is open): written by
the tick once per stop and leave-by time and once per appointment, from the team's minutes before until the
arrival or start, within working hours unless the rep asked otherwise, each kind switchable, sent through WeCom
within its limits, and failed rather than sent late when held past its moment."""

from sqlalchemy import select

from server.extensions import db
from server.models import Account, Appointment, Notification, RoutePlan, RouteStop, User, Visit
from server.notify.reminders import write_reminders
from server.notify.runner import wait_idle
from tests.notify.conftest import MONDAY_10, link, use_wecom
from tests.records import add_visits, statements_run, writing

NINE = MONDAY_10.replace(hour=9)


def _day(app, world):
    """r1's Monday: stop 1 at the r1 account 09:00 (20 min drive: leave 08:40), stop 2 at r1's "Second account"
    11:00 (30 min: leave 10:30); an appointment at the r1 account at 14:00 ("Sign the contract"). The second
    account's id."""
    with writing(app):
        second = Account(name="Second account", latitude=31.21, longitude=121.41, owner_id=world.users["r1"])
        plan = RoutePlan(rep_id=world.users["r1"], plan_date=NINE.date())
        db.session.add_all([second, plan])
        db.session.flush()
        for position, (account, arrive, drive) in enumerate(
            ((world.accounts["r1"], NINE, 20), (second.id, NINE.replace(hour=11), 30))
        ):
            db.session.add(
                RouteStop(
                    route_plan_id=plan.id,
                    position=position,
                    account_id=account,
                    planned_arrival=arrive,
                    travel_minutes=drive,
                )
            )
        db.session.add(
            Appointment(
                account_id=world.accounts["r1"],
                rep_id=world.users["r1"],
                starts_at=NINE.replace(hour=14),
                ends_at=NINE.replace(hour=15),
                purpose="Sign the contract",
            )
        )
        db.session.commit()
        return second.id


def _tick(app, clock, when):
    clock.freeze(when)
    with app.app_context():
        written = write_reminders()
    wait_idle(app)
    return written


def test_the_rep_is_told_to_leave_and_of_the_appointment_once_each_through_wecom(app, client, world, wecom, clock):
    use_wecom(client, world)
    link(client, world, "r1", wecom_userid="zhang.san")
    _day(app, world)
    at = NINE.replace(hour=8)
    assert _tick(app, clock, at.replace(minute=29)) == 0  # 10 minutes before 08:40 is 08:30
    assert _tick(app, clock, at.replace(minute=30)) == 1
    assert _tick(app, clock, at.replace(minute=45)) == 0  # once per stop
    first = ("该出发了", "08:40 前出发去第 1 站 Account of r1（09:00 到达）")
    assert [d[1:3] for d in wecom.to("zhang.san")] == [first]
    assert _tick(app, clock, NINE) == 0  # arrival time: the moment passed
    # r1 checks in at the first stop; the second stop's leave-by comes at 10:20.
    with writing(app):
        add_visits(Visit(account_id=world.accounts["r1"], rep_id=world.users["r1"], purpose="Demo", check_in_at=NINE))
        db.session.commit()
    assert _tick(app, clock, NINE.replace(hour=10, minute=19)) == 0
    assert _tick(app, clock, NINE.replace(hour=10, minute=20)) == 1
    assert wecom.to("zhang.san")[-1][2] == "10:30 前出发去第 2 站 Second account（11:00 到达）"
    # The appointment: 15 minutes before 14:00 (the team's default), once.
    assert _tick(app, clock, NINE.replace(hour=13, minute=44)) == 0
    assert _tick(app, clock, NINE.replace(hour=13, minute=45)) == 1
    assert _tick(app, clock, NINE.replace(hour=13, minute=50)) == 0
    assert wecom.to("zhang.san")[-1][1:3] == ("预约快到了", "14:00 与 Account of r1 有预约：Sign the contract")
    inapp = client.get("/api/notifications", headers=world.headers("r1")).get_json()
    assert [(n["kind"], n["state"]) for n in inapp] == [
        ("appointment_soon", "sent"),
        ("leave_by", "sent"),
        ("leave_by", "sent"),
    ]
    assert client.get("/api/notifications", headers=world.headers("r2")).get_json() == []


def test_a_stop_passed_by_is_not_reminded_and_the_minutes_are_the_teams(app, client, world, wecom, clock):
    """r1 visits the second stop first: the first, passed by, is never reminded of. The team sets 30 minutes
    before an appointment: the reminder comes at 13:30."""
    use_wecom(client, world)
    link(client, world, "r1", wecom_userid="zhang.san")
    second = _day(app, world)
    team_id = client.get("/api/auth/me", headers=world.headers("m1")).get_json()["team_id"]
    answer = client.patch(
        f"/api/teams/{team_id}/settings", json={"appointment_reminder_minutes": 30}, headers=world.headers("m1")
    )
    assert answer.status_code == 200, answer.get_json()
    with writing(app):
        add_visits(
            Visit(
                account_id=second,
                rep_id=world.users["r1"],
                purpose="Demo",
                check_in_at=NINE.replace(hour=8),
            )
        )
        db.session.commit()
    assert _tick(app, clock, NINE.replace(hour=8, minute=35)) == 0
    assert _tick(app, clock, NINE.replace(hour=10, minute=25)) == 0
    assert _tick(app, clock, NINE.replace(hour=13, minute=30)) == 1
    kinds = [n["kind"] for n in client.get("/api/notifications", headers=world.headers("r1")).get_json()]
    assert kinds == ["appointment_soon"]


def test_an_account_reassigned_away_during_the_day_is_not_named_nor_reminded_of(app, client, world, wecom, clock):
    """The manager gives r1's first stop to r2 at 08:00: r1 is not told at 08:30 to leave for it (nor told its
    name); the next stop still r1's comes at 10:20 as its own. A stop booked by appointment stays r1's to go to
    even when its account is given away too."""
    use_wecom(client, world)
    link(client, world, "r1", wecom_userid="zhang.san")
    second = _day(app, world)
    clock.freeze(NINE.replace(hour=8))
    for account in (world.accounts["r1"], second):
        given = client.patch(
            f"/api/accounts/{account}", json={"owner_id": str(world.users["r2"])}, headers=world.headers("m1")
        )
        assert given.status_code == 200, given.get_json()
    assert _tick(app, clock, NINE.replace(hour=8, minute=30)) == 0
    assert _tick(app, clock, NINE.replace(hour=10, minute=20)) == 0  # the second account is r2's too now
    with writing(app):
        booked = Appointment(
            account_id=second, rep_id=world.users["r1"], starts_at=NINE.replace(hour=11), ends_at=NINE.replace(hour=12)
        )
        db.session.add(booked)
        db.session.flush()
        stop = db.session.scalar(select(RouteStop).where(RouteStop.account_id == second))
        stop.appointment_id = booked.id
        db.session.commit()
    assert _tick(app, clock, NINE.replace(hour=10, minute=21)) == 1
    assert [d[2] for d in wecom.to("zhang.san")] == ["10:30 前出发去第 2 站 Second account（11:00 到达）"]


def test_off_hours_and_switched_off_kinds_are_not_written_and_a_late_one_is_not_sent(app, client, world, wecom, clock):
    use_wecom(client, world)
    link(client, world, "r1", wecom_userid="zhang.san")
    _day(app, world)
    # The team's hours begin at 09:00: the 08:30 leave-by is not written ...
    client.patch(
        f"/api/teams/{client.get('/api/auth/me', headers=world.headers('m1')).get_json()['team_id']}/channel",
        json={"hours_from": "09:00"},
        headers=world.headers("m1"),
    )
    assert _tick(app, clock, NINE.replace(hour=8, minute=30)) == 0
    # ... unless the rep asked for it at any time; appointment reminders switched off are never written.
    prefs = {"kinds": {"leave_by": {"on": True, "any_time": True}, "appointment_soon": {"on": False}}}
    assert client.put("/api/notifications/prefs", json=prefs, headers=world.headers("r1")).status_code == 200
    assert _tick(app, clock, NINE.replace(hour=8, minute=31)) == 1
    assert _tick(app, clock, NINE.replace(hour=13, minute=50)) == 0
    assert [d[2] for d in wecom.to("zhang.san")] == ["08:40 前出发去第 1 站 Account of r1（09:00 到达）"]

    # A reminder held past its moment (here: WeCom unreachable, retried) is failed, not sent late.
    with writing(app):
        add_visits(Visit(account_id=world.accounts["r1"], rep_id=world.users["r1"], purpose="Demo", check_in_at=NINE))
        db.session.commit()
    wecom.mode.add("down")
    assert _tick(app, clock, NINE.replace(hour=10, minute=20)) == 1
    wecom.mode.discard("down")
    clock.freeze(NINE.replace(hour=11))
    from server.notify.runner import dispatch

    dispatch(app)
    wait_idle(app)
    with app.app_context():
        late = db.session.scalars(
            db.select(Notification).where(Notification.kind == "leave_by").order_by(Notification.created_at)
        ).all()[-1]
        assert (late.params["leave_by"], late.attempts) == ("10:30", 1)  # tried once while WeCom was down
        assert (late.state, late.failure) == ("failed", "Its moment passed before it could be sent.")
    assert len(wecom.to("zhang.san")) == 1


def test_an_in_app_team_gets_no_server_copy_of_the_phones_reminders(app, client, world, quiet_runner, clock):
    """North has no outside channel: the open app reminds r1 itself and the server writes nothing (no second
    banner); with Web Push it would (test_web_push)."""
    _day(app, world)
    assert _tick(app, clock, NINE.replace(hour=8, minute=30)) == 0
    assert _tick(app, clock, NINE.replace(hour=13, minute=45)) == 0
    assert client.get("/api/notifications", headers=world.headers("r1")).get_json() == []


def _more_reps_with_a_day(app, world, count):
    """`count` more reps of r1's team, each with r1's Monday: a stop at an account of their own at 09:00, 20
    minutes away."""
    with writing(app):
        team_id = db.session.get(User, world.users["r1"]).team_id
        for n in range(count):
            rep = User(username=f"extra{n}", password_hash="x", role="rep", team_id=team_id)
            db.session.add(rep)
            db.session.flush()
            plan = RoutePlan(rep_id=rep.id, plan_date=NINE.date())
            account = Account(name=f"Account of extra{n}", latitude=31.2, longitude=121.4, owner_id=rep.id)
            db.session.add_all([plan, account])
            db.session.flush()
            stop = RouteStop(
                route_plan_id=plan.id,
                position=0,
                account_id=account.id,
                planned_arrival=NINE,
                travel_minutes=20,
            )
            db.session.add(stop)
        db.session.commit()


def test_the_tick_reads_a_team_in_a_few_queries_however_many_reps_it_has(app, client, world, wecom, clock):
    """The tick used to run five queries or so a rep each minute (250 a second for 3,000 reps); now a handful a
    team. Eight more reps with a day to be reminded of: each gets its leave-by, in the same number of reads."""
    use_wecom(client, world)
    _day(app, world)
    clock.freeze(NINE.replace(hour=7))  # nothing due yet: the reads alone
    with statements_run(app) as statements:
        with app.app_context():
            assert write_reminders() == 0
        few = len(statements)
        _more_reps_with_a_day(app, world, 8)
        statements.clear()
        with app.app_context():
            assert write_reminders() == 0
        many = len(statements)
    assert many == few, (few, many)
    assert _tick(app, clock, NINE.replace(hour=8, minute=31)) == 1 + 8  # r1's and each new rep's leave-by
    with writing(app):
        left = db.session.scalars(select(Notification).where(Notification.kind == "leave_by")).all()
        assert len({n.user_id for n in left}) == 9
