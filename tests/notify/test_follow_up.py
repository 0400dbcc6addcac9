"""A visit's next step with a due date: stored, synced back, refused when it cannot be, and the rep told of the
follow-up once on the due day, from the start of the team's working hours."""

from datetime import date, timedelta

from server.extensions import db
from server.models import Notification, User, Visit
from server.notify.followup import write_follow_ups
from server.notify.runner import tick_task
from tests.notify.conftest import MONDAY_10, _team_of
from tests.records import add_visits, writing
from tests.sync.phone import Phone

TUESDAY = date(2026, 11, 10)


def _visit(world, rep, **fields):
    return Visit(
        account_id=world.accounts[rep],
        rep_id=world.users[rep],
        purpose=fields.pop("purpose", "Demo"),
        check_in_at=fields.pop("check_in_at", MONDAY_10 - timedelta(hours=1)),
        **fields,
    )


def test_the_due_date_is_stored_and_travels_through_sync(client, world, quiet_runner):
    """r1's phone creates a visit with its next step due Tuesday and later moves it to Thursday; the server
    keeps each, the REST answer says it, and r1's other phone pulls it. Null takes the date away."""
    phone = Phone(client, world.headers("r1"))
    visit_id = phone.create(
        "visit",
        {
            "account_id": str(world.accounts["r1"]),
            "purpose": "Demo the copier",
            "check_in_at": MONDAY_10.isoformat(),
            "next_step": "Send the quote",
            "next_step_due": "2026-11-10",
        },
    )
    assert [r["status"] for r in phone.push().get_json()["results"]] == ["applied"]
    stored = client.get(f"/api/visits/{visit_id}", headers=world.headers("r1")).get_json()
    assert (stored["next_step"], stored["next_step_due"]) == ("Send the quote", "2026-11-10")

    phone.queue("visit", "update", visit_id, {"next_step_due": "2026-11-12"})
    assert [r["status"] for r in phone.push().get_json()["results"]] == ["applied"]
    other = Phone(client, world.headers("r1"))
    other.pull()
    assert other.store[("visit", visit_id)]["data"]["next_step_due"] == "2026-11-12"

    answer = client.patch(f"/api/visits/{visit_id}", json={"next_step_due": None}, headers=world.headers("r1"))
    assert answer.status_code == 200 and answer.get_json()["next_step_due"] is None
    other.pull()
    assert other.store[("visit", visit_id)]["data"]["next_step_due"] is None


def test_a_bad_or_early_due_date_is_refused_with_its_code(client, world, quiet_runner):
    """World's visits were on Monday 2 November (Shanghai): a due date that is not a date, out of the years a date
    may have, or before that day is a 422 naming the field, on the REST API and as a rejected mutation."""
    visit_url = f"/api/visits/{world.visits['r1']}"
    for value, code in (
        ("2026-13-01", "not_date"),
        ("next week", "not_date"),
        (20261110, "not_date"),
        ("0001-01-01", "year_range"),
        ("2026-11-01", "not_before_visit_day"),
    ):
        answer = client.patch(visit_url, json={"next_step_due": value}, headers=world.headers("r1"))
        assert answer.status_code == 422, (value, answer.get_json())
        error = answer.get_json()["error"]
        assert [c["code"] for c in error["field_codes"]["next_step_due"]] == [code], value
    early = client.patch(visit_url, json={"next_step_due": "2026-11-01"}, headers=world.headers("r1")).get_json()
    assert early["error"]["message"] == "The next step cannot be due before the visit's day (2026-11-02)."
    assert early["error"]["field_codes"]["next_step_due"][0]["params"] == {"day": "2026-11-02"}
    # The visit's own day is fine.
    assert client.patch(visit_url, json={"next_step_due": "2026-11-02"}, headers=world.headers("r1")).status_code == 200

    phone = Phone(client, world.headers("r1"))
    body = {"account_id": str(world.accounts["r1"]), "purpose": "Demo", "check_in_at": MONDAY_10.isoformat()}
    phone.create("visit", {**body, "next_step_due": "2026-11-08"})
    phone.create("visit", {**body, "next_step_due": "soon"})
    results = phone.push().get_json()["results"]
    assert [(r["status"], r["reason"]) for r in results] == [("rejected", "validation_failed")] * 2
    assert results[0]["field_codes"]["next_step_due"] == [
        {"code": "not_before_visit_day", "params": {"day": "2026-11-09"}}
    ]
    assert results[1]["field_codes"]["next_step_due"][0]["code"] == "not_date"
    # A later check-in cannot leave the due date behind it either.
    moved = client.patch(
        visit_url,
        json={"check_in_at": "2026-11-05T01:00:00+00:00", "check_out_at": "2026-11-05T01:40:00+00:00"},
        headers=world.headers("r1"),
    ).get_json()
    assert moved["error"]["field_codes"]["next_step_due"][0]["params"] == {"day": "2026-11-05"}


def test_the_rep_hears_once_of_a_follow_up_on_its_due_day_within_the_hours(app, client, world, runner, clock):
    """Due Tuesday 10 November: r1's visit (its next step said), r1's cancelled visit, r3's visit without a next
    step, and a visit of r2, who has left. South starts its hours at 09:30. Nothing on Monday or before 08:00 on
    Tuesday; r1 hears at 08:00, r3 at 09:30; once each; nothing for the cancelled visit, for r2, or on Wednesday.
    A follow-up moved to Thursday is said again that day."""
    clock.set(MONDAY_10)
    app.config["NOTIFY_TIMER"] = False
    south = _team_of(client, world, "m2")
    hours = client.patch(f"/api/teams/{south}/channel", json={"hours_from": "09:30"}, headers=world.headers("m2"))
    assert hours.status_code == 200, hours.get_json()
    with writing(app):
        due = _visit(world, "r1", next_step="Send the quote with 3 years' toner", next_step_due=TUESDAY)
        cancelled = _visit(
            world,
            "r1",
            next_step="Call back",
            next_step_due=TUESDAY,
            cancelled_at=MONDAY_10,
            cancel_reason="Recorded twice",
        )
        bare = _visit(world, "r3", purpose="Survey the print room", next_step="", next_step_due=TUESDAY)
        gone = _visit(world, "r2", next_step="Demo again", next_step_due=TUESDAY)
        add_visits(due, cancelled, bare, gone)
        db.session.get(User, world.users["r2"]).active = False
        db.session.commit()
        due_id = due.id

    def tick(day, hour, minute=0):
        clock.set(MONDAY_10.replace(day=day, hour=hour, minute=minute))
        with app.app_context():
            return write_follow_ups()

    assert tick(9, 10) == 0  # the day before
    assert tick(9, 23, 59) == 0
    assert tick(10, 7, 59) == 0  # before the hours
    clock.set(MONDAY_10.replace(day=10, hour=8))
    ran = runner.invoke(args=["notify", "run"])
    assert ran.exit_code == 0 and "follow-ups due: 1;" in ran.output, ran.output  # r1's (North starts at 08:00)
    assert tick(10, 9) == 0
    assert tick(10, 9, 30) == 1  # r3's, from South's own start
    assert tick(10, 14) == 0  # once per visit
    clock.set(MONDAY_10.replace(day=11, hour=9))
    with app.app_context():
        tick_task()  # the periodic tick: nothing the day after
        assert db.session.query(Notification).filter_by(kind="follow_up_due").count() == 2

    r1 = client.get("/api/notifications", headers=world.headers("r1")).get_json()
    assert [(n["kind"], n["channel"], n["params"]["visit_id"], n["params"]["date"]) for n in r1] == [
        ("follow_up_due", "inapp", str(due_id), "2026-11-10")
    ]
    assert r1[0]["title"] == "今天要跟进"  # as it was said when it went out, on the day
    assert r1[0]["text"] == "Account of r1：Send the quote with 3 years' toner"
    r3 = client.get("/api/notifications", headers=world.headers("r3")).get_json()
    assert [n["text"] for n in r3] == ["Account of r3：跟进拜访（Survey the print room）"]
    for manager in ("m1", "m2"):
        assert client.get("/api/notifications", headers=world.headers(manager)).get_json() == []
    with app.app_context():  # r2 has left (and cannot sign in to look)
        assert db.session.query(Notification).filter_by(user_id=world.users["r2"]).count() == 0

    # The rep moves the follow-up to Thursday: it is said again on Thursday, once.
    moved = client.patch(f"/api/visits/{due_id}", json={"next_step_due": "2026-11-12"}, headers=world.headers("r1"))
    assert moved.status_code == 200, moved.get_json()
    assert tick(12, 7, 30) == 0
    assert tick(12, 8, 5) == 1
    assert tick(12, 12) == 0
    with app.app_context():
        keys = set(
            db.session.scalars(db.select(Notification.dedupe_key).where(Notification.user_id == world.users["r1"]))
        )
    assert keys == {f"follow_up_due:{due_id}:2026-11-10", f"follow_up_due:{due_id}:2026-11-12"}


def test_a_rep_who_switched_follow_ups_off_hears_nothing_and_an_account_moved_on_is_skipped(app, client, world, clock):
    """r3 switched the kind off; r1's account went to r2 before the due day (the visit stays r1's, the follow-up
    is no longer theirs to make): nobody hears of either."""
    clock.set(MONDAY_10)
    prefs = client.put(
        "/api/notifications/prefs", json={"kinds": {"follow_up_due": {"on": False}}}, headers=world.headers("r3")
    )
    assert prefs.status_code == 200, prefs.get_json()
    with writing(app):
        add_visits(
            _visit(world, "r1", next_step="Send the quote", next_step_due=TUESDAY),
            _visit(world, "r3", next_step="Send the quote", next_step_due=TUESDAY),
        )
        db.session.commit()
    moved = client.patch(
        f"/api/accounts/{world.accounts['r1']}", json={"owner_id": str(world.users["r2"])}, headers=world.headers("m1")
    )
    assert moved.status_code == 200, moved.get_json()
    clock.set(MONDAY_10.replace(day=10, hour=9, minute=45))
    with app.app_context():
        assert write_follow_ups() == 0
    for rep in ("r1", "r2", "r3"):
        assert client.get("/api/notifications", headers=world.headers(rep)).get_json() == []
