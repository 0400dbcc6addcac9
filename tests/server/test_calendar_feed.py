"""The rep's day in the phone's calendar: a private feed URL per user (its own token, kept hashed, rotated and
revoked), the coming 14 days of the rep's own stops and appointments as RFC 5545 events parsed back here with
the `icalendar` library field by field, before and after a plan change, and one appointment as a `.ics`."""

import hashlib
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest

from server.extensions import db
from server.models import Account, Appointment, CalendarEvent, CalendarFeed, RoutePlan, RouteStop, Team, User
from tests.records import writing

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
DAY = date(2026, 11, 3)  # the planned day: tomorrow


@pytest.fixture
def planned(app, world, clock):
    """r1's plan for tomorrow: three stops, the second one kept for the world's 9:00 appointment; r2's and
    r3's plans and appointments the same day (none of which r1's feed may show)."""
    clock.set(NOW)
    with writing(app):
        extra = []
        for i, (lat, lng) in enumerate(((31.21, 121.44), (31.25, 121.5))):
            account = Account(
                name=f"上海第{i + 1}印刷厂",
                address=f"徐汇区 {i + 1} 号",
                latitude=lat,
                longitude=lng,
                account_class="B",
                owner_id=world.users["r1"],
            )
            db.session.add(account)
            db.session.flush()
            extra.append(account.id)
        db.session.add(
            Appointment(
                account_id=extra[0],
                rep_id=world.users["r1"],
                starts_at=datetime(2026, 11, 25, 2, 0, tzinfo=UTC),  # past the 14 days
                ends_at=datetime(2026, 11, 25, 3, 0, tzinfo=UTC),
                purpose="Too far ahead",
            )
        )
        stops = [
            (extra[0], None, datetime(2026, 11, 3, 0, 20, tzinfo=UTC), "cadence_due,opportunity_D"),
            (world.accounts["r1"], world.appointments["r1"], datetime(2026, 11, 3, 1, 0, tzinfo=UTC), "appointment"),
            (extra[1], None, datetime(2026, 11, 3, 2, 30, tzinfo=UTC), "first_visit"),
        ]
        plan = RoutePlan(rep_id=world.users["r1"], plan_date=DAY)
        for position, (account_id, appointment_id, at, reason) in enumerate(stops):
            plan.stops.append(
                RouteStop(
                    position=position,
                    account_id=account_id,
                    appointment_id=appointment_id,
                    planned_arrival=at,
                    service_minutes=45,
                    travel_minutes=20,
                    reason=reason,
                )
            )
        db.session.add(plan)
        for rep in ("r2", "r3"):
            other = RoutePlan(rep_id=world.users[rep], plan_date=DAY)
            other.stops.append(
                RouteStop(
                    position=0,
                    account_id=world.accounts[rep],
                    planned_arrival=datetime(2026, 11, 3, 3, 0, tzinfo=UTC),
                    reason="cadence_due",
                )
            )
            db.session.add(other)
        db.session.commit()
    return {"extra": extra}


def make_feed(client, world, username):
    answer = client.post("/api/calendar/feed", headers=world.headers(username))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def read(client, url):
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 200, response.data[:300]
    assert response.content_type == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.data)


def by_uid(cal):
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_the_feed_is_the_reps_plan_field_by_field_and_follows_a_change(app, client, world, planned):
    feed = make_feed(client, world, "r1")
    assert feed["active"] and feed["url"].startswith("http://localhost/api/calendar/")
    assert feed["webcal_url"] == "webcal" + feed["url"][4:]
    token = feed["url"].rsplit("/", 1)[1].removesuffix(".ics")
    with app.app_context():
        stored = db.session.get(CalendarFeed, world.users["r1"])
        # Only the token's hash is kept, and it is not the login token.
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in stored.token_hash
    cal = read(client, feed["url"])
    assert cal["VERSION"] == "2.0" and cal["METHOD"] == "PUBLISH" and str(cal["PRODID"]).startswith("-//Fieldday")
    # The team's time zone, with its VTIMEZONE, for every time.
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    events = by_uid(cal)
    r1, (first, third) = world.users["r1"], planned["extra"]
    appointment_uid = f"appointment-{world.appointments['r1']}@fieldday"
    first_uid, third_uid = (f"stop-2026-11-03-{first}-{r1}@fieldday", f"stop-2026-11-03-{third}-{r1}@fieldday")
    # The appointment's stop is the appointment's own event; the appointment past 14 days is not there.
    assert set(events) == {first_uid, appointment_uid, third_uid}
    stop = events[first_uid]
    assert stop["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert stop.DTSTART == datetime(2026, 11, 3, 8, 20, tzinfo=stop.DTSTART.tzinfo)
    assert stop.DTSTART.utcoffset() == timedelta(hours=8)
    assert stop.DTEND - stop.DTSTART == timedelta(minutes=45)
    assert str(stop["SUMMARY"]) == "上海第1印刷厂" and str(stop["LOCATION"]) == "徐汇区 1 号"
    assert str(stop["DESCRIPTION"]) == "当天第 1站\n拜访目的：到期拜访, 商机 D"
    assert (stop["GEO"].latitude, stop["GEO"].longitude) == (31.21, 121.44)
    assert stop["SEQUENCE"] == 0 and stop["DTSTAMP"].dt.tzinfo is not None
    meeting = events[appointment_uid]
    assert meeting.DTSTART.astimezone(UTC) == datetime(2026, 11, 3, 1, 0, tzinfo=UTC)
    assert meeting.DTEND.astimezone(UTC) == datetime(2026, 11, 3, 1, 45, tzinfo=UTC)
    assert str(meeting["SUMMARY"]) == "Account of r1" and str(meeting["LOCATION"]) == "r1 road 1"
    assert str(meeting["DESCRIPTION"]) == "拜访目的：Demo"
    assert (meeting["GEO"].latitude, meeting["GEO"].longitude) == (31.2, 121.4)

    # Read again with nothing changed: the same numbers (reading is no change).
    assert {uid: e["SEQUENCE"] for uid, e in by_uid(read(client, feed["url"])).items()} == dict.fromkeys(events, 0)

    # The plan changes: the appointment moves and gets a new purpose; the rep leaves the third stop out.
    headers = world.headers("r1")
    moved = client.patch(
        f"/api/appointments/{world.appointments['r1']}",
        json={"starts_at": "2026-11-03T02:00:00+00:00", "ends_at": "2026-11-03T03:00:00+00:00", "purpose": "Contract"},
        headers=headers,
    )
    assert moved.status_code == 200, moved.get_json()
    with writing(app):
        plan = db.session.scalar(db.select(RoutePlan).where(RoutePlan.rep_id == r1))
        stop_row = next(s for s in plan.stops if s.account_id == first)
        stop_row.planned_arrival = datetime(2026, 11, 3, 0, 40, tzinfo=UTC)
        plan.stops.remove(next(s for s in plan.stops if s.account_id == third))
        db.session.commit()
    after = by_uid(read(client, feed["url"]))
    assert set(after) == {first_uid, appointment_uid}  # the same UIDs; the one left out is gone
    assert after[appointment_uid]["SEQUENCE"] == 1 and after[first_uid]["SEQUENCE"] == 1
    assert after[appointment_uid].DTSTART.astimezone(UTC) == datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
    assert str(after[appointment_uid]["DESCRIPTION"]) == "拜访目的：Contract"
    assert after[first_uid].DTSTART == datetime(2026, 11, 3, 8, 40, tzinfo=after[first_uid].DTSTART.tzinfo)
    assert after[first_uid]["DTSTAMP"].dt >= stop["DTSTAMP"].dt  # when it changed
    # Read once more: nothing new, nothing numbered up.
    again = by_uid(read(client, feed["url"]))
    assert {uid: e["SEQUENCE"] for uid, e in again.items()} == {first_uid: 1, appointment_uid: 1}


def test_the_feed_speaks_the_reps_language_and_the_teams_time_zone(app, client, world, planned):
    with writing(app):
        db.session.get(User, world.users["r1"]).locale = "en"
        south = db.session.scalar(db.select(Team).where(Team.name == "South"))
        south.timezone = "Asia/Urumqi"
        db.session.commit()
    stop = by_uid(read(client, make_feed(client, world, "r1")["url"]))
    first = stop[f"stop-2026-11-03-{planned['extra'][0]}-{world.users['r1']}@fieldday"]
    assert str(first["DESCRIPTION"]) == "Stop 1 of the day\nPurpose: Cadence due, Opportunity D"
    south_cal = read(client, make_feed(client, world, "r3")["url"])
    assert [str(tz["TZID"]) for tz in south_cal.walk("VTIMEZONE")] == ["Asia/Urumqi"]
    (event,) = south_cal.walk("VEVENT")[:1]
    assert event["DTSTART"].params["TZID"] == "Asia/Urumqi" and event.DTSTART.utcoffset() == timedelta(hours=6)


def test_each_feed_shows_only_its_owners_plan(client, world, planned):
    names = {}
    for username in ("r1", "r2", "r3", "m1"):
        cal = read(client, make_feed(client, world, username)["url"])
        names[username] = {str(e["SUMMARY"]) for e in cal.walk("VEVENT")}
    assert names["r1"] == {"上海第1印刷厂", "上海第2印刷厂", "Account of r1"}
    # r2 (same team) and r3 (another team) see their own stop and appointment, never r1's.
    assert names["r2"] == {"Account of r2"} and names["r3"] == {"Account of r3"}
    assert names["m1"] == set()  # a manager's own feed is the manager's own plan, not the team's


def test_a_stop_of_an_account_given_to_another_team_leaves_the_feed(client, world, planned):
    """The account is r3's now (South): r1 may no longer read it, and r1's feed stops naming it or its address,
    though tomorrow's stored plan still holds its stop."""
    feed = make_feed(client, world, "r1")
    moved = planned["extra"][1]
    answer = client.patch(
        f"/api/accounts/{moved}", json={"owner_id": str(world.users["r3"])}, headers=world.headers("admin")
    )
    assert answer.status_code == 200
    assert client.get(f"/api/accounts/{moved}", headers=world.headers("r1")).status_code == 404
    cal = read(client, feed["url"])
    assert {str(e["SUMMARY"]) for e in cal.walk("VEVENT")} == {"上海第1印刷厂", "Account of r1"}
    assert all("2 号" not in str(e.get("LOCATION", "")) for e in cal.walk("VEVENT"))


def test_a_rotated_or_revoked_token_answers_404_and_nothing_else_opens_a_feed(client, world, planned):
    headers = world.headers("r1")
    assert client.get("/api/calendar/feed", headers=headers).get_json() == {"active": False, "created_at": None}
    old = make_feed(client, world, "r1")["url"]
    state = client.get("/api/calendar/feed", headers=headers).get_json()
    assert state["active"] is True and "url" not in state  # the URL is shown when made, never kept to show again
    new = make_feed(client, world, "r1")["url"]
    assert new != old
    path = lambda url: "/" + url.split("://", 1)[1].split("/", 1)[1]
    assert client.get(path(old)).status_code == 404
    assert client.get(path(new)).status_code == 200
    assert client.delete("/api/calendar/feed", headers=headers).status_code == 204
    gone = client.get(path(new))
    assert gone.status_code == 404 and gone.get_json()["error"]["code"] == "not_found"
    assert client.delete("/api/calendar/feed", headers=headers).status_code == 404
    assert client.get("/api/calendar/feed", headers=headers).get_json()["active"] is False
    # The login token is no feed token; a made-up one neither.
    login = headers["Authorization"].split()[1]
    assert client.get(f"/api/calendar/{login}.ics").status_code == 404
    assert client.get("/api/calendar/not-a-token.ics").status_code == 404
    # The feed's management needs a login.
    assert client.post("/api/calendar/feed").status_code == 401


def test_a_deactivated_users_feed_answers_404(app, client, world, planned):
    url = make_feed(client, world, "r2")["url"]
    with writing(app):
        db.session.get(User, world.users["r2"]).active = False
        db.session.commit()
    assert client.get("/" + url.split("/", 3)[3]).status_code == 404


def test_the_feed_is_rate_limited_per_feed(app, client, world, planned):
    app.config["CALENDAR_RATE_LIMIT"] = "2 per minute"
    first, second = (make_feed(client, world, u)["url"].split("/", 3)[3] for u in ("r1", "r2"))
    assert [client.get("/" + first).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/" + second).status_code == 200  # another feed counts on its own


def test_one_appointment_downloads_as_an_ics_file_in_the_callers_territory(client, world, planned):
    url = f"/api/calendar/appointments/{world.appointments['r1']}.ics"
    response = client.get(url, headers=world.headers("r1"))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="appointment-20261103-0900.ics"'
    cal = icalendar.Calendar.from_ical(response.data)
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == f"appointment-{world.appointments['r1']}@fieldday"
    assert str(event["SUMMARY"]) == "Account of r1" and event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    # The file and the feed agree on the event's numbers.
    feed = by_uid(read(client, make_feed(client, world, "r1")["url"]))
    assert feed[str(event["UID"])]["SEQUENCE"] == event["SEQUENCE"] == 0
    assert client.get(url, headers=world.headers("m1")).status_code == 200  # r1's manager may
    assert client.get(url, headers=world.headers("r3")).status_code == 404  # another team's rep may not
    assert client.get(url).status_code == 401


def test_what_past_events_said_is_forgotten_after_sixty_days(app, client, world, planned, clock):
    url = make_feed(client, world, "r1")["url"]
    read(client, url)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(CalendarEvent)) == 3
    clock.set(NOW + timedelta(days=61))  # the plan's day and the appointment are long past
    assert by_uid(read(client, url)) == {}
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(CalendarEvent)) == 0
