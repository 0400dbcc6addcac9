"""The app's refresh token lives in an HttpOnly, SameSite=Strict cookie sent only to /api/auth, out of
any script's reach; refreshing with it needs the CSRF header; it rotates like the bearer one, and
logout ends it. API clients that ask for no cookie get the token in the answer as before."""


def _cookie(response, name):
    return next((h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")), None)


def login(client, world, cookie=True):
    from tests.conftest import PASSWORD as TEST_PASSWORD

    return client.post(
        "/api/auth/login", json={"username": "r1", "password": TEST_PASSWORD, "refresh_in_cookie": cookie}
    )


def test_in_cookie_mode_the_refresh_token_never_reaches_a_script(client, world):
    response = login(client, world)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["access_token"] and "refresh_token" not in body
    cookie = _cookie(response, "fieldday_refresh")
    assert cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/api/auth" in cookie
    assert "Secure" in cookie
    csrf = _cookie(response, "csrf_refresh_token")
    assert csrf and "HttpOnly" not in csrf  # the page reads it to prove it is the app asking
    token = csrf.split(";")[0].split("=", 1)[1]

    assert client.post("/api/auth/refresh").status_code == 401  # the cookie alone is not enough
    renewed = client.post("/api/auth/refresh", headers={"X-CSRF-TOKEN": token})
    assert renewed.status_code == 200, renewed.get_json()
    assert renewed.get_json()["access_token"] and "refresh_token" not in renewed.get_json()
    assert _cookie(renewed, "fieldday_refresh")  # rotated: a new cookie replaces the spent one
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {renewed.get_json()['access_token']}"})
    assert me.status_code == 200 and me.get_json()["username"] == "r1"

    new_csrf = _cookie(renewed, "csrf_refresh_token").split(";")[0].split("=", 1)[1]
    out = client.post("/api/auth/logout", headers={"Authorization": f"Bearer {renewed.get_json()['access_token']}"})
    assert out.status_code == 204
    cleared = _cookie(out, "fieldday_refresh")
    assert cleared and "expires=thu, 01 jan 1970" in cleared.lower()
    # The token is revoked on the server too: a copy kept from before the logout no longer works.
    kept = _cookie(renewed, "fieldday_refresh").split(";")[0].split("=", 1)[1]
    client.set_cookie("fieldday_refresh", kept, path="/api/auth")
    assert client.post("/api/auth/refresh", headers={"X-CSRF-TOKEN": new_csrf}).status_code == 401


def test_api_clients_keep_the_bearer_refresh_token(client, world):
    response = login(client, world, cookie=False)
    body = response.get_json()
    assert body["refresh_token"] and _cookie(response, "fieldday_refresh") is None
    renewed = client.post("/api/auth/refresh", headers={"Authorization": f"Bearer {body['refresh_token']}"})
    assert renewed.status_code == 200 and renewed.get_json()["refresh_token"]
