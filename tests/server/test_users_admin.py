"""Administration through the API: users (create, edit, reset, deactivate with a hand-over), teams, and a
new rep made plannable without SQL."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Account, AccountReassignment, Appointment, Opportunity, Team, User
from tests.conftest import PASSWORD
from tests.records import writing
from tests.sync.phone import Phone

NEW_PASSWORD = "a-new-long-password"


def login(client, username, password):
    return client.post("/api/auth/login", json={"username": username, "password": password})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def north_id(app, world):
    with app.app_context():
        return str(db.session.get(User, world.users["m1"]).team_id)


# --- a new rep, plannable through the API -----------------------------------------------------------


def test_a_rep_created_with_a_start_position_can_plan_their_day(app, client, world, clock):
    clock.set(datetime(2026, 12, 1, 18, 0, tzinfo=UTC))  # the evening before: planning reads the clock
    created = client.post(
        "/api/users",
        json={
            "username": "rep5",
            "display_name": "Rep Five",
            "role": "rep",
            "password": "initial-password",
            "start_lat": 31.2304,
            "start_lng": 121.4737,
            "first_appointment_time": "09:00",
            "locale": "en",
        },
        headers=world.headers("m1"),
    )
    assert created.status_code == 201, created.get_json()
    rep = created.get_json()
    assert rep["team_id"] == north_id(app, world)  # a manager's new rep joins their team
    assert (rep["start_lat"], rep["start_lng"], rep["first_appointment_time"]) == (31.2304, 121.4737, "09:00")
    assert rep["must_change_password"] is True and rep["active"] is True
    # The manager gives the rep an account and plans the rep's day: no "no start location".
    account = client.post(
        "/api/accounts",
        json={"name": "First customer", "latitude": 31.22, "longitude": 121.45, "owner_id": rep["id"]},
        headers=world.headers("m1"),
    )
    assert account.status_code == 201, account.get_json()
    planned = client.post(
        "/api/routes/plan", json={"rep_id": rep["id"], "date": "2026-12-02"}, headers=world.headers("m1")
    )
    assert planned.status_code == 200, planned.get_json()
    stops = planned.get_json()["stops"]
    assert [s["account_id"] for s in stops] == [account.get_json()["id"]]


def test_a_rep_without_a_start_position_is_refused_until_one_is_set(app, client, world):
    created = client.post(
        "/api/users",
        json={"username": "rep6", "role": "rep", "password": "initial-password"},
        headers=world.headers("m1"),
    ).get_json()
    assert created["start_lat"] is None
    half = client.patch(f"/api/users/{created['id']}", json={"start_lat": 31.2}, headers=world.headers("m1"))
    assert half.status_code == 422
    assert half.get_json()["error"]["field_codes"]["start_lng"] == [{"code": "position_pair", "params": {}}]
    both = client.patch(
        f"/api/users/{created['id']}",
        json={"start_lat": 31.2, "start_lng": 121.4, "end_lat": 31.3, "end_lng": 121.5, "start_label": "Home"},
        headers=world.headers("m1"),
    )
    assert both.status_code == 200, both.get_json()
    assert (both.get_json()["end_lat"], both.get_json()["start_label"]) == (31.3, "Home")


@pytest.mark.parametrize(
    "body,field,code",
    [
        ({"role": "rep", "password": "initial-password"}, "username", "required"),
        ({"username": "x y", "role": "rep", "password": "initial-password"}, "username", "username_characters"),
        ({"username": "x", "role": "rep", "password": "short"}, "password", "length_between"),
        ({"username": "x", "role": "boss", "password": "initial-password"}, "role", "one_of"),
        (
            {"username": "x", "role": "rep", "password": "initial-password", "start_lat": 91},
            "start_lat",
            "range_between",
        ),
        (
            {"username": "x", "role": "rep", "password": "initial-password", "first_appointment_time": "9h"},
            "first_appointment_time",
            "not_time",
        ),
        ({"username": "x", "role": "rep", "password": "initial-password", "locale": "fr"}, "locale", "one_of"),
        ({"username": "x", "role": "rep", "password": "initial-password", "admin": True}, "admin", "unknown_field"),
    ],
)
def test_bad_user_input_is_a_422_naming_the_field(client, world, body, field, code):
    response = client.post("/api/users", json=body, headers=world.headers("admin"))
    assert response.status_code == 422
    codes = response.get_json()["error"]["field_codes"][field]
    assert code in [c["code"] for c in codes], codes


def test_usernames_are_unique_and_managers_create_reps_of_their_team_only(app, client, world):
    taken = client.post(
        "/api/users",
        json={"username": "r1", "role": "rep", "password": "initial-password"},
        headers=world.headers("m1"),
    )
    assert (
        taken.status_code == 409 and taken.get_json()["error"]["field_codes"]["username"][0]["code"] == "already_exists"
    )
    # The same name but for case is the same name: the WeCom / DingTalk sign-in matches ids to usernames whatever
    # their case, and a list showing "R1" beside "r1" would let one pass for the other.
    for name in ("R1", "M1"):
        twin = client.post(
            "/api/users",
            json={"username": name, "role": "rep", "password": "initial-password"},
            headers=world.headers("admin"),
        )
        assert twin.status_code == 409, twin.get_json()
        assert twin.get_json()["error"]["field_codes"]["username"][0]["code"] == "already_exists"
    manager = client.post(
        "/api/users",
        json={"username": "m9", "role": "manager", "password": "initial-password"},
        headers=world.headers("m1"),
    )
    assert manager.status_code == 403
    with app.app_context():
        south = str(db.session.get(User, world.users["m2"]).team_id)
    elsewhere = client.post(
        "/api/users",
        json={"username": "r9", "role": "rep", "password": "initial-password", "team_id": south},
        headers=world.headers("m1"),
    )
    assert elsewhere.status_code == 404 and elsewhere.get_json()["error"]["fields"]["team_id"]
    admin_made = client.post(
        "/api/users",
        json={"username": "m9", "role": "manager", "password": "initial-password", "team_id": south},
        headers=world.headers("admin"),
    )
    assert admin_made.status_code == 201


# --- scoping --------------------------------------------------------------------------------------------


def test_managers_see_and_touch_their_team_only_and_reps_are_refused(app, client, world):
    listed = client.get("/api/users", headers=world.headers("m1")).get_json()
    assert {u["username"] for u in listed["items"]} == {"m1", "r1", "r2"} and listed["total"] == 3
    everyone = client.get("/api/users?per_page=2", headers=world.headers("admin")).get_json()
    assert everyone["total"] == 6 and len(everyone["items"]) == 2
    r3 = world.users["r3"]
    assert client.get(f"/api/users/{r3}", headers=world.headers("m1")).status_code == 404
    for method, path, body in [
        ("patch", f"/api/users/{r3}", {"display_name": "x"}),
        ("post", f"/api/users/{r3}/password-reset", {}),
        ("post", f"/api/users/{r3}/deactivate", {}),
        ("post", f"/api/users/{r3}/reactivate", None),
    ]:
        response = getattr(client, method)(path, json=body, headers=world.headers("m1"))
        assert response.status_code == 404, (path, response.get_json())
    assert client.get("/api/users", headers=world.headers("r1")).status_code == 403
    assert client.get(f"/api/users/{world.users['r1']}", headers=world.headers("r1")).status_code == 403
    assert client.post(f"/api/users/{world.users['r2']}/deactivate", headers=world.headers("r1")).status_code == 403
    with app.app_context():
        assert db.session.get(User, r3).active and db.session.get(User, r3).display_name == ""


def test_role_and_team_changes_are_for_admins(app, client, world):
    r1 = world.users["r1"]
    promoted = client.patch(f"/api/users/{r1}", json={"role": "manager"}, headers=world.headers("m1"))
    assert promoted.status_code == 403
    assert promoted.get_json()["error"]["field_codes"]["role"] == [{"code": "admins_only", "params": {}}]
    with app.app_context():
        south = db.session.get(User, world.users["m2"]).team_id
    moved = client.patch(f"/api/users/{r1}", json={"team_id": str(south)}, headers=world.headers("admin"))
    assert moved.status_code == 200 and moved.get_json()["team_id"] == str(south)
    assert client.get(f"/api/users/{r1}", headers=world.headers("m1")).status_code == 404  # no longer North's
    assert client.get(f"/api/users/{r1}", headers=world.headers("m2")).status_code == 200


# --- passwords ------------------------------------------------------------------------------------------


def test_reset_then_the_user_must_change_and_the_old_password_is_refused(app, client, world):
    before = login(client, "r1", PASSWORD).get_json()
    reset = client.post(
        f"/api/users/{world.users['r1']}/password-reset",
        json={"temporary_password": "temporary-1"},
        headers=world.headers("m1"),
    )
    assert reset.status_code == 200 and reset.get_json()["must_change_password"] is True
    # The reset ended the rep's logins: the old refresh token is refused.
    refresh = client.post("/api/auth/refresh", headers=bearer(before["refresh_token"]))
    assert refresh.status_code == 401
    assert login(client, "r1", PASSWORD).status_code == 401
    temporary = login(client, "r1", "temporary-1")
    assert temporary.status_code == 200 and temporary.get_json()["user"]["must_change_password"] is True
    token = temporary.get_json()["access_token"]
    assert client.get("/api/auth/me", headers=bearer(token)).get_json()["must_change_password"] is True

    wrong = client.post(
        "/api/auth/password", json={"old_password": "nope", "new_password": NEW_PASSWORD}, headers=bearer(token)
    )
    assert (
        wrong.status_code == 422
        and wrong.get_json()["error"]["field_codes"]["old_password"][0]["code"] == "wrong_password"
    )
    short = client.post(
        "/api/auth/password", json={"old_password": "temporary-1", "new_password": "short"}, headers=bearer(token)
    )
    assert short.status_code == 422 and "new_password" in short.get_json()["error"]["fields"]
    same = client.post(
        "/api/auth/password", json={"old_password": "temporary-1", "new_password": "temporary-1"}, headers=bearer(token)
    )
    assert same.status_code == 422
    changed = client.post(
        "/api/auth/password", json={"old_password": "temporary-1", "new_password": NEW_PASSWORD}, headers=bearer(token)
    )
    assert changed.status_code == 200 and changed.get_json()["must_change_password"] is False
    assert client.get("/api/auth/me", headers=bearer(token)).status_code == 200  # this login goes on
    assert login(client, "r1", "temporary-1").status_code == 401
    fresh = login(client, "r1", NEW_PASSWORD)
    assert fresh.status_code == 200 and fresh.get_json()["user"]["must_change_password"] is False


def test_a_reset_without_a_password_makes_one_up_and_reps_cannot_reset(client, world):
    reset = client.post(f"/api/users/{world.users['r2']}/password-reset", headers=world.headers("admin"))
    temporary = reset.get_json()["temporary_password"]
    assert reset.status_code == 200 and len(temporary) >= 8
    assert login(client, "r2", temporary).status_code == 200
    refused = client.post(f"/api/users/{world.users['r2']}/password-reset", headers=world.headers("r1"))
    assert refused.status_code == 403


# --- deactivation and hand-over ---------------------------------------------------------------------------


def test_deactivating_with_a_hand_over_moves_the_territory_in_one_step(app, client, world, clock):
    clock.set(datetime(2026, 11, 2, 12, 0, tzinfo=UTC))  # r1's appointment (3 Nov) is ahead, this one behind
    with writing(app):
        past = Appointment(
            account_id=world.accounts["r1"],
            rep_id=world.users["r1"],
            starts_at=datetime(2026, 10, 30, 2, 0, tzinfo=UTC),
            ends_at=datetime(2026, 10, 30, 3, 0, tzinfo=UTC),
        )
        won = Opportunity(
            account_id=world.accounts["r1"], title="Won deal", stage="O", status="won", owner_id=world.users["r1"]
        )
        db.session.add_all([past, won])
        db.session.commit()
        past_id = past.id
    leaver_token = login(client, "r1", PASSWORD).get_json()
    successor = Phone(client, world.headers("r2"))
    successor.pull()
    assert ("account", str(world.accounts["r1"])) not in successor.store

    answer = client.post(
        f"/api/users/{world.users['r1']}/deactivate",
        json={"hand_over_to": str(world.users["r2"])},
        headers=world.headers("m1"),
    )
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["accounts"], body["opportunities"], body["appointments"], body["accounts_left"]) == (1, 1, 1, 0)
    assert body["user"]["active"] is False

    with app.app_context():
        account = db.session.get(Account, world.accounts["r1"])
        assert account.owner_id == world.users["r2"]
        history = db.session.scalars(
            select(AccountReassignment).where(AccountReassignment.account_id == account.id)
        ).all()
        assert [(h.from_owner_id, h.to_owner_id, h.by) for h in history] == [
            (world.users["r1"], world.users["r2"], world.users["m1"])
        ]
        deal = db.session.get(Opportunity, world.opportunities["r1"])
        assert deal.owner_id == world.users["r2"]
        assert db.session.get(Appointment, world.appointments["r1"]).rep_id == world.users["r2"]
        assert db.session.get(Appointment, past_id).rep_id == world.users["r1"]  # the past stays the leaver's

    # The leaver's tokens are refused and the login too.
    assert client.get("/api/auth/me", headers=bearer(leaver_token["access_token"])).status_code == 401
    assert client.post("/api/auth/refresh", headers=bearer(leaver_token["refresh_token"])).status_code == 401
    assert login(client, "r1", PASSWORD).status_code == 401
    # The new owner's phone receives the account, its deal and the appointment on its next pull.
    successor.pull()
    for entity, record_id in (
        ("account", world.accounts["r1"]),
        ("opportunity", world.opportunities["r1"]),
        ("appointment", world.appointments["r1"]),
        ("contact", world.contacts["r1"]),
    ):
        assert (entity, str(record_id)) in successor.store, entity
    assert successor.store[("account", str(world.accounts["r1"]))]["data"]["owner_id"] == str(world.users["r2"])

    # Reactivated, the user logs in again; what was handed over stays with the successor.
    again = client.post(f"/api/users/{world.users['r1']}/reactivate", headers=world.headers("m1"))
    assert again.status_code == 200 and again.get_json()["active"] is True
    assert login(client, "r1", PASSWORD).status_code == 200
    with app.app_context():
        assert db.session.get(Account, world.accounts["r1"]).owner_id == world.users["r2"]


def test_the_hand_over_goes_to_an_active_rep_of_the_same_team_or_nothing_happens(app, client, world):
    r1 = world.users["r1"]
    for target in (world.users["r3"], world.users["m1"], r1):
        response = client.post(
            f"/api/users/{r1}/deactivate", json={"hand_over_to": str(target)}, headers=world.headers("admin")
        )
        assert response.status_code == 404
        assert response.get_json()["error"]["field_codes"]["hand_over_to"] == [{"code": "not_team_rep", "params": {}}]
    assert client.post(f"/api/users/{world.users['r2']}/deactivate", headers=world.headers("m1")).status_code == 200
    to_inactive = client.post(
        f"/api/users/{r1}/deactivate", json={"hand_over_to": str(world.users["r2"])}, headers=world.headers("m1")
    )
    assert to_inactive.status_code == 404
    with app.app_context():
        assert db.session.get(User, r1).active
        assert db.session.get(Account, world.accounts["r1"]).owner_id == r1


def test_nobody_deactivates_themselves_or_the_last_admin(app, client, world):
    myself = client.post(f"/api/users/{world.users['m1']}/deactivate", headers=world.headers("m1"))
    assert myself.status_code == 409
    assert myself.get_json()["error"]["field_codes"]["user_id"] == [{"code": "not_yourself", "params": {}}]
    admin = world.users["admin"]
    assert client.post(f"/api/users/{admin}/deactivate", headers=world.headers("admin")).status_code == 409
    made = client.post(
        "/api/users",
        json={"username": "admin2", "role": "admin", "password": "initial-password"},
        headers=world.headers("admin"),
    ).get_json()
    assert client.post(f"/api/users/{made['id']}/deactivate", headers=world.headers("admin")).status_code == 200
    # admin2 is inactive: admin is the last active admin and stays one.
    demoted = client.patch(f"/api/users/{admin}", json={"role": "manager"}, headers=world.headers("admin"))
    assert demoted.status_code == 409
    assert demoted.get_json()["error"]["field_codes"]["role"] == [{"code": "last_admin", "params": {}}]
    assert client.post(f"/api/users/{made['id']}/reactivate", headers=world.headers("admin")).status_code == 200
    assert (
        client.patch(f"/api/users/{admin}", json={"role": "manager"}, headers=world.headers("admin")).status_code == 200
    )
    with app.app_context():
        assert db.session.get(User, admin).role == "manager"


# --- teams ------------------------------------------------------------------------------------------------


def test_a_manager_sets_their_teams_time_zone_and_nothing_else(app, client, world):
    north = north_id(app, world)
    with app.app_context():
        south = str(db.session.get(User, world.users["m2"]).team_id)
    listed = client.get("/api/teams", headers=world.headers("m1")).get_json()
    assert [t["name"] for t in listed["items"]] == ["North"] and listed["items"][0]["members"] == 3
    zone = client.patch(f"/api/teams/{north}", json={"timezone": "Asia/Urumqi"}, headers=world.headers("m1"))
    assert zone.status_code == 200 and zone.get_json()["timezone"] == "Asia/Urumqi"
    with app.app_context():
        assert db.session.get(Team, uuid.UUID(north)).timezone == "Asia/Urumqi"
    bad = client.patch(f"/api/teams/{north}", json={"timezone": "Mars/Olympus"}, headers=world.headers("m1"))
    assert bad.status_code == 422
    assert bad.get_json()["error"]["field_codes"]["timezone"] == [{"code": "unknown_time_zone", "params": {}}]
    renamed = client.patch(f"/api/teams/{north}", json={"name": "Norte"}, headers=world.headers("m1"))
    assert renamed.status_code == 403
    assert client.patch(f"/api/teams/{south}", json={"timezone": "UTC"}, headers=world.headers("m1")).status_code == 404
    assert client.get(f"/api/teams/{south}", headers=world.headers("m1")).status_code == 404
    assert client.get("/api/teams", headers=world.headers("r1")).status_code == 403
    assert client.post("/api/teams", json={"name": "West"}, headers=world.headers("m1")).status_code == 403


def test_admins_create_teams_and_name_their_managers(app, client, world):
    west = client.post(
        "/api/teams", json={"name": "West", "timezone": "Asia/Chongqing"}, headers=world.headers("admin")
    )
    assert west.status_code == 201, west.get_json()
    again = client.post("/api/teams", json={"name": "West"}, headers=world.headers("admin"))
    assert again.status_code == 409
    team_id = west.get_json()["id"]
    manager = client.post(
        "/api/users",
        json={"username": "m3", "role": "manager", "password": "initial-password", "team_id": team_id},
        headers=world.headers("admin"),
    ).get_json()
    assert client.get(f"/api/teams/{team_id}", headers=world.headers("admin")).get_json()["manager_id"] == manager["id"]
    outsider = client.patch(
        f"/api/teams/{team_id}", json={"manager_id": str(world.users["m1"])}, headers=world.headers("admin")
    )
    assert outsider.status_code == 404
    assert outsider.get_json()["error"]["field_codes"]["manager_id"] == [{"code": "not_team_manager", "params": {}}]
    cleared = client.patch(f"/api/teams/{team_id}", json={"manager_id": None}, headers=world.headers("admin"))
    assert cleared.status_code == 200 and cleared.get_json()["manager_id"] is None


# --- command line ---------------------------------------------------------------------------------------


@pytest.mark.calendar  # planning a day reads the server's clock
def test_create_user_with_a_start_position_then_plan_and_set_password(app, runner, client):
    made = runner.invoke(
        args=[
            "create-user",
            "rep5",
            "--role",
            "rep",
            "--team",
            "East",
            "--start",
            "31.23,121.47",
            "--first-appointment",
            "09:15",
        ],
        input="a-long-password\n",
    )
    assert made.exit_code == 0, made.output
    with app.app_context():
        rep = db.session.scalar(select(User).where(User.username == "rep5"))
        assert (rep.start_lat, rep.start_lng, rep.first_appointment_time.isoformat()) == (31.23, 121.47, "09:15:00")
    planned = runner.invoke(args=["plan-day", "--date", "2026-12-02", "--team", "East"])
    assert planned.exit_code == 0 and "rep5:" in planned.output and "no start location" not in planned.output, (
        planned.output
    )
    other = runner.invoke(
        args=["create-user", "rep6", "--role", "rep", "--start-lat", "31.2", "--start-lng", "121.4"],
        input="a-long-password\n",
    )
    assert other.exit_code == 0, other.output
    half = runner.invoke(
        args=["create-user", "rep7", "--role", "rep", "--start-lat", "31.2"], input="a-long-password\n"
    )
    assert half.exit_code != 0 and "together" in half.output
    bad = runner.invoke(args=["create-user", "rep7", "--role", "rep", "--start", "north"], input="a-long-password\n")
    assert bad.exit_code != 0 and "LAT,LNG" in bad.output

    assert runner.invoke(args=["set-password", "rep5"], input="another-password\n").exit_code == 0
    assert login(client, "rep5", "a-long-password").status_code == 401
    assert login(client, "rep5", "another-password").status_code == 200
    missing = runner.invoke(args=["set-password", "nobody"], input="another-password\n")
    assert missing.exit_code != 0 and "no user" in missing.output
