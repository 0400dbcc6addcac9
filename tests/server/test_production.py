"""Running it for a team: the client's address behind trusted proxies, and the production start-up check."""

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from server import create_app
from server.config import Config, ProductionConfigError
from server.extensions import db
from server.models import LoginFailure
from tests.conftest import PASSWORD, make_config

SECRET = "s" * 64
PG = "postgresql://fieldday@db:5432/fieldday"


def _login(client, password, forwarded_for, username="r1"):
    return client.post(
        "/api/auth/login",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},  # the proxy
    )


@pytest.fixture
def proxied_app(database_url, world, tmp_path, monkeypatch):
    """The app as built behind one reverse proxy (TRUSTED_PROXIES=1), on the test database."""
    monkeypatch.setenv("FIELDDAY_INSTANCE", str(tmp_path))
    app = create_app(make_config(database_url, TRUSTED_PROXIES=1))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_behind_a_trusted_proxy_each_client_is_throttled_by_its_own_address(proxied_app):
    client = proxied_app.test_client()
    for _ in range(10):
        assert _login(client, "bad", "203.0.113.7").status_code == 401
    assert _login(client, PASSWORD, "203.0.113.7").status_code == 429  # the guesser waits
    # A colleague behind the same proxy is another client: not locked out by the guesser.
    assert _login(client, PASSWORD, "198.51.100.20").status_code == 200
    with proxied_app.app_context():
        assert {f.address for f in db.session.query(LoginFailure)} == {"203.0.113.7"}
        db.session.remove()
    fix = proxied_app.wsgi_app  # the scheme and host the proxy was asked for count too (redirects, cookies)
    assert isinstance(fix, ProxyFix) and (fix.x_for, fix.x_proto, fix.x_host) == (1, 1, 1)


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app, client, world):
    assert app.config["TRUSTED_PROXIES"] == 0
    # A guesser who changes X-Forwarded-For on every try is still one address.
    answers = [_login(client, "bad", f"203.0.113.{n}").status_code for n in range(11)]
    assert answers == [401] * 10 + [429]
    with app.app_context():
        assert {f.address for f in db.session.query(LoginFailure)} == {"10.0.0.2"}
        db.session.remove()
    assert not hasattr(app.wsgi_app, "x_for")
    assert _login(client, PASSWORD, "198.51.100.20").status_code == 429


def test_trusted_proxies_must_not_be_negative(tmp_path):
    with pytest.raises(ValueError, match="TRUSTED_PROXIES=-1: must be at least 0"):
        Config(env={"TRUSTED_PROXIES": "-1", "JWT_SECRET_KEY": SECRET}, instance_path=str(tmp_path))


def _production(tmp_path, **env):
    return Config(env={"FIELDDAY_ENV": "production", **env}, instance_path=str(tmp_path))


def test_production_starts_with_a_secret_postgresql_and_https_in_front(tmp_path):
    config = _production(tmp_path, JWT_SECRET_KEY=SECRET, DATABASE_URL=PG, TRUSTED_PROXIES="1")
    assert config.JWT_SECRET_KEY == SECRET and config.TRUSTED_PROXIES == 1


def test_production_refuses_development_settings_and_says_what_to_set(tmp_path):
    with pytest.raises(ProductionConfigError) as refused:
        _production(tmp_path, JWT_COOKIE_SECURE="false")
    message = str(refused.value)
    assert message.startswith("FIELDDAY_ENV=production, refusing to start:")
    for needed in (
        "JWT_SECRET_KEY is not set",
        "FIELDDAY_ALLOW_GENERATED_SECRET=1",
        "set DATABASE_URL=postgresql://",
        "FIELDDAY_ALLOW_SQLITE=1",
        "JWT_COOKIE_SECURE is false",
        "TRUSTED_PROXIES is 0",
        "FIELDDAY_ALLOW_PLAIN_HTTP=1",
    ):
        assert needed in message


@pytest.mark.parametrize(
    "env, problem",
    [
        ({"DATABASE_URL": PG, "TRUSTED_PROXIES": "1"}, "JWT_SECRET_KEY is not set"),
        ({"JWT_SECRET_KEY": SECRET, "TRUSTED_PROXIES": "1"}, "DATABASE_URL is SQLite"),
        ({"JWT_SECRET_KEY": SECRET, "DATABASE_URL": "sqlite:////srv/f.sqlite3", "TRUSTED_PROXIES": "1"}, "SQLite"),
        ({"JWT_SECRET_KEY": SECRET, "DATABASE_URL": PG}, "TRUSTED_PROXIES is 0"),
        (
            {"JWT_SECRET_KEY": SECRET, "DATABASE_URL": PG, "TRUSTED_PROXIES": "1", "JWT_COOKIE_SECURE": "0"},
            "JWT_COOKIE_SECURE is false",
        ),
    ],
)
def test_each_development_setting_alone_stops_a_production_start(tmp_path, env, problem):
    with pytest.raises(ProductionConfigError) as refused:
        _production(tmp_path, **env)
    assert problem in str(refused.value)
    assert str(refused.value).count("\n- ") == 1  # only that one


def test_the_overrides_accept_each_setting_knowingly(tmp_path):
    config = _production(
        tmp_path,
        FIELDDAY_ALLOW_GENERATED_SECRET="1",
        FIELDDAY_ALLOW_SQLITE="1",
        FIELDDAY_ALLOW_PLAIN_HTTP="1",
        JWT_COOKIE_SECURE="false",
    )
    assert config.JWT_SECRET_KEY_GENERATED and config.SQLALCHEMY_DATABASE_URI.startswith("sqlite")


def test_outside_production_development_settings_start(tmp_path):
    config = Config(env={"JWT_COOKIE_SECURE": "false"}, instance_path=str(tmp_path))
    assert config.FIELDDAY_ENV == "development" and config.JWT_SECRET_KEY_GENERATED


def test_create_app_refuses_too(tmp_path, monkeypatch):
    monkeypatch.setenv("FIELDDAY_INSTANCE", str(tmp_path))
    monkeypatch.setenv("FIELDDAY_ENV", "production")
    for name in ("JWT_SECRET_KEY", "DATABASE_URL", "TRUSTED_PROXIES", "FIELDDAY_ALLOW_PLAIN_HTTP"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ProductionConfigError, match="JWT_SECRET_KEY is not set"):
        create_app()
