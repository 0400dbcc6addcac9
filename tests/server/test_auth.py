from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token

from server import create_app
from server.extensions import db
from server.models import LoginFailure, RevokedToken, User
from tests.conftest import PASSWORD, make_config


def login(client, username="r1", password=PASSWORD):
    return client.post("/api/auth/login", json={"username": username, "password": password})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_login_returns_tokens_and_user(client, world):
    response = login(client)
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["username"] == "r1" and body["user"]["role"] == "rep"
    assert body["user"]["first_appointment_time"] == "08:45"
    assert "password_hash" not in body["user"]
    me = client.get("/api/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.get_json()["id"] == str(world.users["r1"])


def test_wrong_password_and_unknown_user_get_the_same_401(client, world):
    wrong = login(client, password="nope")
    unknown = login(client, username="ghost", password="nope")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert wrong.get_json()["error"]["code"] == "invalid_credentials"


def test_login_body_is_validated(client, world):
    response = client.post("/api/auth/login", json={"username": "r1"})
    assert response.status_code == 422
    assert "password" in response.get_json()["error"]["fields"]


def test_passwords_are_hashed(app, world):
    with app.app_context():
        stored = db.session.get(User, world.users["r1"]).password_hash
    assert PASSWORD not in stored and stored.startswith("pbkdf2:")


@pytest.mark.calendar
def test_refresh_gives_a_new_access_token(client, world):
    tokens = login(client).get_json()
    response = client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert response.status_code == 200
    assert client.get("/api/accounts", headers=bearer(response.get_json()["access_token"])).status_code == 200


def test_an_access_token_cannot_refresh(client, world):
    tokens = login(client).get_json()
    response = client.post("/api/auth/refresh", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_invalid"


def test_logout_revokes_access_and_refresh_tokens(client, world):
    tokens = login(client).get_json()
    response = client.post(
        "/api/auth/logout", headers=bearer(tokens["access_token"]), json={"refresh_token": tokens["refresh_token"]}
    )
    assert response.status_code == 204
    again = client.get("/api/accounts", headers=bearer(tokens["access_token"]))
    assert again.status_code == 401 and again.get_json()["error"]["code"] == "token_revoked"
    refresh = client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert refresh.status_code == 401 and refresh.get_json()["error"]["code"] == "token_revoked"


def test_revocation_survives_a_restart(app, client, world, database_url):
    tokens = login(client).get_json()
    assert client.post("/api/auth/logout", headers=bearer(tokens["access_token"])).status_code == 204
    restarted = create_app(make_config(database_url))
    try:
        response = restarted.test_client().get("/api/accounts", headers=bearer(tokens["access_token"]))
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "token_revoked"
    finally:
        with restarted.app_context():
            db.session.remove()
            db.engine.dispose()


def test_logout_refuses_someone_elses_refresh_token(client, world):
    mine = login(client).get_json()
    theirs = login(client, "r2").get_json()
    response = client.post(
        "/api/auth/logout", headers=bearer(mine["access_token"]), json={"refresh_token": theirs["refresh_token"]}
    )
    assert response.status_code == 403
    assert "refresh_token" in response.get_json()["error"]["fields"]
    assert client.post("/api/auth/refresh", headers=bearer(theirs["refresh_token"])).status_code == 200


def test_logout_with_a_refresh_token_that_is_no_token_is_a_401_and_still_ends_the_login(client, world):
    tokens = login(client).get_json()
    response = client.post("/api/auth/logout", headers=bearer(tokens["access_token"]), json={"refresh_token": "0" * 40})
    assert response.status_code == 401
    assert response.get_json()["error"]["fields"]["refresh_token"]
    assert client.get("/api/auth/me", headers=bearer(tokens["access_token"])).status_code == 401
    assert client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"])).status_code == 401


def test_ten_failures_in_a_minute_get_429(app, client, world):
    for _ in range(10):
        assert login(client, password="bad").status_code == 401
    blocked = login(client)  # even the right password waits, from this address
    assert blocked.status_code == 429
    assert blocked.get_json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 61
    assert login(client, "r2").status_code == 200  # other users are not affected
    elsewhere = client.post(
        "/api/auth/login", json={"username": "r1", "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.1.2.3"}
    )
    assert elsewhere.status_code == 200  # the rep in the field is not locked out by a stranger's guesses
    with app.app_context():  # a minute later the window has passed
        for failure in db.session.query(LoginFailure).all():
            failure.at = failure.at - timedelta(seconds=61)
        db.session.commit()
    assert login(client).status_code == 200


def test_guesses_at_the_old_password_are_throttled_as_logins_are(app, client, world):
    """A token alone (stolen for its few minutes) does not get unlimited guesses at the password through the
    password change, whose success would end the owner's other logins."""
    token = login(client).get_json()["access_token"]

    def change(old):
        body = {"old_password": old, "new_password": "a brand new passphrase"}
        return client.post("/api/auth/password", json=body, headers=bearer(token))

    for _ in range(10):
        wrong = change("guess")
        assert wrong.status_code == 422 and set(wrong.get_json()["error"]["fields"]) == {"old_password"}
    blocked = change(PASSWORD)  # even the right one waits, from this address
    assert blocked.status_code == 429 and blocked.get_json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 61
    assert login(client).status_code == 429  # the guesses count with the logins'
    with app.app_context():  # a minute later the window has passed
        for failure in db.session.query(LoginFailure).all():
            failure.at = failure.at - timedelta(seconds=61)
        db.session.commit()
    assert change(PASSWORD).status_code == 200
    assert login(client, password="a brand new passphrase").status_code == 200


def test_one_password_sprayed_over_many_usernames_is_throttled_by_address(client, world):
    answers = [login(client, f"nobody{n}", password="Summer2026!").status_code for n in range(40)]
    assert answers[:30] == [401] * 30 and set(answers[30:]) == {429}
    assert (
        client.post(
            "/api/auth/login", json={"username": "r1", "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.9.9.9"}
        ).status_code
        == 200
    )


def test_concurrent_guesses_cannot_slip_past_the_limit(app, world):
    import threading

    codes, start = [], threading.Barrier(16)

    def guess():
        c = app.test_client()
        start.wait()
        codes.append(c.post("/api/auth/login", json={"username": "r1", "password": "wrong"}).status_code)

    threads = [threading.Thread(target=guess) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # At most ten guesses were checked; the rest were refused (a busy SQLite may also answer 503).
    assert codes.count(401) <= 10 and set(codes) <= {401, 429, 503} and len(codes) == 16


def test_missing_expired_and_garbage_tokens_are_401_envelopes(app, client, world):
    missing = client.get("/api/accounts")
    assert missing.status_code == 401 and missing.get_json()["error"]["code"] == "unauthorized"
    garbage = client.get("/api/accounts", headers=bearer("not.a.token"))
    assert garbage.status_code == 401 and garbage.get_json()["error"]["code"] == "token_invalid"
    with app.app_context():
        user = db.session.get(User, world.users["r1"])
        expired = create_access_token(identity=user, expires_delta=timedelta(seconds=-1))
    response = client.get("/api/accounts", headers=bearer(expired))
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "token_expired"


def test_revoked_tokens_are_stored(app, client, world):
    tokens = login(client).get_json()
    client.post("/api/auth/logout", headers=bearer(tokens["access_token"]))
    with app.app_context():
        assert db.session.query(RevokedToken).count() == 1


def test_inactive_user_cannot_log_in_or_use_a_token(app, client, world):
    tokens = login(client).get_json()
    with app.app_context():
        db.session.get(User, world.users["r1"]).active = False
        db.session.commit()
    assert login(client).status_code == 401
    assert client.get("/api/accounts", headers=bearer(tokens["access_token"])).status_code == 401


def test_refresh_tokens_rotate_and_a_reused_one_ends_the_login(app, client, world):
    tokens = login(client).get_json()
    first = client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert first.status_code == 200
    rotated = first.get_json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    second = client.post("/api/auth/refresh", headers=bearer(rotated["refresh_token"])).get_json()
    assert client.get("/api/auth/me", headers=bearer(second["access_token"])).status_code == 200
    # The first refresh token comes back (a copy someone kept): the whole login ends.
    stolen = client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert stolen.status_code == 401 and stolen.get_json()["error"]["code"] == "refresh_reused"
    assert client.get("/api/auth/me", headers=bearer(second["access_token"])).status_code == 401
    assert client.post("/api/auth/refresh", headers=bearer(second["refresh_token"])).status_code == 401
    assert login(client).status_code == 200  # the owner logs in again


def test_two_tabs_refreshing_at_once_are_not_taken_for_a_thief(client, world):
    tokens = login(client).get_json()
    assert client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"])).status_code == 200
    late = client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert late.status_code == 401 and late.get_json()["error"]["code"] == "refresh_rotated"


def test_logout_without_the_refresh_token_still_ends_it(client, world):
    tokens = login(client).get_json()
    assert client.post("/api/auth/logout", headers=bearer(tokens["access_token"])).status_code == 204
    assert client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"])).status_code == 401


def test_signed_tokens_without_expiry_or_id_are_refused(app, client, world):
    import jwt as pyjwt

    secret = app.config["JWT_SECRET_KEY"]
    for claims in (
        {"sub": str(world.users["r1"]), "type": "access", "jti": "x", "fresh": False},
        {"sub": str(world.users["r1"]), "type": "access", "exp": 4102444800, "fresh": False},
    ):
        forged = pyjwt.encode(claims, secret, algorithm="HS256")
        assert client.get("/api/auth/me", headers=bearer(forged)).status_code == 401, claims
