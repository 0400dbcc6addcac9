"""Fieldday: the Flask application factory."""

import os

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import changelog, compression, converters, errors, headers, limits, security
from .config import Config
from .extensions import api, db, jwt, migrate
from .models import utcnow

BLUEPRINTS = (
    "auth",
    "users",
    "teams",
    "settings",
    "health",
    "accounts",
    "contacts",
    "devices",
    "opportunities",
    "visits",
    "photos",
    "activities",
    "appointments",
    "route_plans",
    "sync_api",
    "reports",
    "transfer",
    "geocode",
    "calendars",
    "notify",
)


def create_app(config=None):
    """Create the app; `config` is a Config, a mapping of overrides, or None for the environment."""
    app = Flask(__name__, instance_path=os.path.abspath(os.environ.get("FIELDDAY_INSTANCE", "instance")))
    base = config if isinstance(config, Config) else Config(instance_path=app.instance_path)
    app.config.from_object(base)
    if isinstance(config, dict):
        app.config.update(config)
    db.init_app(app)
    changelog.init_app(app, db.session)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    jwt.init_app(app)
    api.init_app(app)
    converters.init_app(app, api)
    security.init_app(app)
    limits.init_app(app)

    from importlib import import_module

    for name in BLUEPRINTS:
        api.register_blueprint(import_module(f".{name}", __name__).blp)

    from . import cli, docs, pwa

    docs.init_app(app)
    pwa.init_app(app)
    cli.init_app(app)
    errors.init_app(app)
    compression.init_app(app)
    headers.init_app(app)

    @app.after_request
    def _server_time(response):
        # Every answer carries the server clock so the app can show the phone's skew.
        response.headers["X-Server-Time"] = utcnow().isoformat()
        return response

    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        # Behind N proxies: the client's address, scheme and host are the ones the proxies were given, so
        # the login throttle and the rate limits count each client, not the proxy. Without proxies the
        # X-Forwarded-* headers stay ignored: a client cannot pick the address it is counted under.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """Turn on foreign keys and WAL for SQLite; other databases are left alone."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
