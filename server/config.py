"""Settings, read from the environment when the app is created (never at import)."""

import os
import secrets
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _zone(env, name, default):
    """A time-zone setting; one the zone database does not know stops the start-up."""
    value = env.get(name) or default
    try:
        ZoneInfo(value)
    except (ValueError, ZoneInfoNotFoundError):
        raise ValueError(f"{name}={value!r}: not a time zone (e.g. Asia/Shanghai)") from None
    return value


def _int(env, name, default, minimum=None):
    """An integer setting; one below `minimum` stops the start-up with a clear message."""
    value = env.get(name)
    number = int(value) if value not in (None, "") else default
    if minimum is not None and number < minimum:
        raise ValueError(f"{name}={number}: must be at least {minimum}")
    return number


class Config:
    """Production-shaped defaults; every value can be overridden by an environment variable."""

    def __init__(self, env=None, instance_path="instance"):
        env = os.environ if env is None else env
        default_db = "sqlite:///" + os.path.abspath(os.path.join(instance_path, "fieldday.sqlite3"))
        self.SQLALCHEMY_DATABASE_URI = _normalise_db_url(env.get("DATABASE_URL") or default_db)
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        secret = env.get("JWT_SECRET_KEY")
        self.JWT_SECRET_KEY_GENERATED = not secret
        if not secret:
            secret = _instance_secret(instance_path)
        self.JWT_SECRET_KEY = secret
        self.SECRET_KEY = secret
        self.JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=_int(env, "JWT_ACCESS_MINUTES", 15, minimum=1))
        # Refresh tokens outlive the longest offline stretch a rep may have (see sync/PROTOCOL.md).
        self.JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=_int(env, "JWT_REFRESH_DAYS", 30, minimum=1))
        # The app keeps its refresh token out of script reach: an HttpOnly cookie sent only to /api/auth,
        # SameSite=Strict, with a double-submit CSRF check. API clients keep sending it as a bearer token.
        self.JWT_TOKEN_LOCATION = ["headers", "cookies"]
        self.JWT_REFRESH_COOKIE_NAME = "fieldday_refresh"
        self.JWT_REFRESH_COOKIE_PATH = "/api/auth"
        self.JWT_REFRESH_CSRF_COOKIE_PATH = "/"
        self.JWT_COOKIE_SAMESITE = "Strict"
        self.JWT_COOKIE_SECURE = env.get("JWT_COOKIE_SECURE", "true").lower() not in ("0", "false", "no")
        self.JWT_COOKIE_CSRF_PROTECT = True
        self.JWT_SESSION_COOKIE = False  # the cookie outlives the browser session: offline days in a row
        self.MAX_CONTENT_LENGTH = _int(env, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
        self.PASSWORD_HASH_METHOD = env.get("PASSWORD_HASH_METHOD", "scrypt")
        self.LOGIN_MAX_FAILURES = _int(env, "LOGIN_MAX_FAILURES", 10)
        self.LOGIN_FAILURE_WINDOW_S = _int(env, "LOGIN_FAILURE_WINDOW_S", 60)
        self.DEFAULT_TIMEZONE = _zone(env, "FIELDDAY_TIMEZONE", "Asia/Shanghai")
        self.OSRM_URL = env.get("OSRM_URL", "")
        # The PWA's map tiles (a {z}/{x}/{y} URL template); empty: markers and route on a plain map.
        self.MAP_TILE_URL = env.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
        self.MAP_TILE_ATTRIBUTION = env.get("MAP_TILE_ATTRIBUTION", "© OpenStreetMap contributors")
        # The other sources a team may pick (server/tiles.py): 天地图 (and its labels), 高德, 腾讯; each may be
        # pointed at another server (a mirror) by MAP_TILE_URL_<SOURCE>.
        from .tiles import SOURCES

        for name, source in SOURCES.items():
            if name != "osm":
                key = f"MAP_TILE_URL_{name.upper()}"
                setattr(self, key, env.get(key, source.url))
                if source.overlay_url:
                    setattr(self, f"{key}_OVERLAY", env.get(f"{key}_OVERLAY", source.overlay_url))
        # Map tiles the phone has seen are kept for use without signal, this many bytes of them at most (the least
        # recently used go first).
        self.MAP_TILE_CACHE_BYTES = _int(env, "MAP_TILE_CACHE_BYTES", 50 * 1024 * 1024, minimum=64 * 1024)
        # 腾讯地图's navigation links need the company's key as `referer`; without one the app does not offer 腾讯.
        self.TENCENT_MAP_KEY = env.get("TENCENT_MAP_KEY", "")
        self.ROUTING_DETOUR = float(env.get("ROUTING_DETOUR", "1.35"))
        self.ROUTING_SPEED_KMH = float(env.get("ROUTING_SPEED_KMH", "22"))
        # The currency amounts are shown in (ISO 4217), e.g. ¥86,000.
        self.CURRENCY = env.get("CURRENCY", "CNY")
        # The evening batch on Celery (route_plans/tasks.py) when a broker is set; in-process otherwise.
        self.CELERY_BROKER_URL = env.get("CELERY_BROKER_URL", "")
        self.CELERY_RESULT_BACKEND = env.get("CELERY_RESULT_BACKEND", "")
        self.CELERY_BATCH_TIMEOUT_S = _int(env, "CELERY_BATCH_TIMEOUT_S", 1800)
        self.PLAN_EVENING_AT = env.get("PLAN_EVENING_AT", "19:00")
        # Notices (server/notify/): the providers' API roots (a test or a proxy points them elsewhere),
        # the app's address the message cards link to unless a team set its own, and the retries.
        self.WECOM_API_URL = env.get("WECOM_API_URL", "https://qyapi.weixin.qq.com")
        self.DINGTALK_API_URL = env.get("DINGTALK_API_URL", "https://oapi.dingtalk.com")
        self.APP_URL = env.get("APP_URL", "")
        self.NOTIFY_RETRY_BASE_S = _int(env, "NOTIFY_RETRY_BASE_S", 60, minimum=1)
        self.NOTIFY_MAX_ATTEMPTS = _int(env, "NOTIFY_MAX_ATTEMPTS", 5, minimum=1)
        # Web Push beside the in-app list (server/notify/webpush.py): the server's VAPID key (base64url of the
        # raw P-256 private key, or DER) and its contact (mailto: or https:); off unless both are set.
        self.VAPID_PRIVATE_KEY = env.get("VAPID_PRIVATE_KEY", "")
        self.VAPID_SUBJECT = env.get("VAPID_SUBJECT", "")
        self.GEOCODER = env.get("GEOCODER", "none")
        self.GEOCODER_URL = env.get("GEOCODER_URL", "")
        # 高德 (amap) and 百度 (baidu) web service key; the city 高德 narrows a search to, if any.
        self.GEOCODER_KEY = env.get("GEOCODER_KEY", "")
        self.GEOCODER_CITY = env.get("GEOCODER_CITY", "")
        self.GEOCODER_MIN_DELAY_S = float(env.get("GEOCODER_MIN_DELAY_S", "1.0"))
        # Days an address the geocoder answered it does not know is taken as not found without asking
        # again (the geocode cache; 0: never kept). Refusals and failures are never kept.
        self.GEOCODER_NOT_FOUND_DAYS = _int(env, "GEOCODER_NOT_FOUND_DAYS", 30, minimum=0)
        self.IMPORT_MAX_BYTES = _int(env, "IMPORT_MAX_BYTES", 20 * 1024 * 1024)
        # Photos taken at visits: the largest upload, and where the bytes are kept
        # (folder:<path under the instance folder>, default folder:photos; s3: a bucket; memory: for tests).
        self.PHOTO_MAX_BYTES = _int(env, "PHOTO_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
        self.PHOTO_STORE = env.get("PHOTO_STORE", "")
        # With PHOTO_STORE=s3: any S3-compatible store (empty endpoint: AWS's own), addressed path-style
        # (endpoint/bucket/key) or virtual (bucket.endpoint/key).
        self.PHOTO_S3_ENDPOINT = env.get("PHOTO_S3_ENDPOINT", "")
        self.PHOTO_S3_ADDRESSING = env.get("PHOTO_S3_ADDRESSING", "path")
        self.PHOTO_S3_BUCKET = env.get("PHOTO_S3_BUCKET", "")
        self.PHOTO_S3_KEY_ID = env.get("PHOTO_S3_KEY_ID", "")
        self.PHOTO_S3_SECRET = env.get("PHOTO_S3_SECRET", "")
        self.PHOTO_S3_REGION = env.get("PHOTO_S3_REGION", "us-east-1")
        self.PHOTO_S3_PREFIX = env.get("PHOTO_S3_PREFIX", "photos/")
        # A file larger than this is imported as a background job (202 and a job to poll): well inside
        # a web worker's timeout. Smaller ones too when the client asks (`background=true`).
        self.IMPORT_BACKGROUND_BYTES = _int(env, "IMPORT_BACKGROUND_BYTES", 256 * 1024)
        # Rate limits (server/limits.py), per user: Flask-Limiter's "N per minute" notation.
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_ENABLED = env.get("RATELIMIT_ENABLED", "true").lower() not in ("0", "false", "no")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.PLAN_RATE_LIMIT = env.get("PLAN_RATE_LIMIT", "30 per minute;300 per hour")
        self.IMPORT_RATE_LIMIT = env.get("IMPORT_RATE_LIMIT", "10 per minute")
        # Reverse geocoding for new prospects: each request spends the provider's daily quota.
        self.GEOCODE_RATE_LIMIT = env.get("GEOCODE_RATE_LIMIT", "20 per minute;200 per day")
        # Dry runs write nothing: a manager checking several files in a row counts against this one instead.
        self.IMPORT_DRY_RUN_RATE_LIMIT = env.get("IMPORT_DRY_RUN_RATE_LIMIT", "60 per minute")
        # A calendar feed, counted per feed (calendar services read from a few shared addresses).
        self.CALENDAR_RATE_LIMIT = env.get("CALENDAR_RATE_LIMIT", "60 per hour")
        # On-demand plans solved at once by one process (more at once are refused, 503).
        self.PLAN_CONCURRENCY = _int(env, "PLAN_CONCURRENCY", 1)
        # No plan waits for a solver slot: this is the Retry-After (seconds) of a plan refused as busy.
        self.PLAN_QUEUE_WAIT_S = float(env.get("PLAN_QUEUE_WAIT_S", "3"))
        # Reverse proxies in front of the app (each adds one X-Forwarded-For hop). 0: the app is reached
        # directly and X-Forwarded-* headers are ignored, so a client cannot choose the address it is
        # throttled by; N > 0: werkzeug's ProxyFix trusts the last N hops (server/__init__.py).
        self.TRUSTED_PROXIES = _int(env, "TRUSTED_PROXIES", 0, minimum=0)
        # `production` turns on the start-up check below (check_production).
        self.FIELDDAY_ENV = (env.get("FIELDDAY_ENV") or "development").strip().lower()
        self.API_TITLE = "Fieldday API"
        self.API_VERSION = "1"
        self.OPENAPI_VERSION = "3.0.3"
        self.API_SPEC_OPTIONS = {
            "info": {
                "description": "Every operation with a bearer token answers 403 with the error code "
                "`password_change_required` while the caller's password is a temporary one (after a reset, "
                "`must_change_password` on /api/auth/me): change it with POST /api/auth/password first; "
                "/api/auth's operations stay open.\n\nBeyond each field's own form and bounds (in the schemas), a "
                "422 names the fields of a rule that relates fields or records: an end (ended_at, ends_at, "
                "check_out_at) not before its start; an opportunity at stage O exactly when won, and a lost one "
                "with its loss_reason; a cancelled visit with its cancel_reason; lunch_earliest not after "
                "lunch_latest; every id in a body naming a record that exists and that the caller may reach. "
                "Reports and exports: a period of at most 400 days that does not end before it starts. "
                "Bodies are at most MAX_CONTENT_LENGTH (413 beyond); rate-limited operations answer 429 with "
                "Retry-After."
            }
        }
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.JSON_SORT_KEYS = False
        if self.FIELDDAY_ENV == "production":
            check_production(self, env)


def _flag(env, name):
    return (env.get(name) or "").strip().lower() in ("1", "true", "yes")


class ProductionConfigError(ValueError):
    """FIELDDAY_ENV=production and the settings are a development host's; the message says what to set."""


def check_production(config, env):
    """Refuse to start a production host on development settings. Each problem names what to set and the
    override (FIELDDAY_ALLOW_...=1) that accepts it knowingly."""
    problems = []
    if config.JWT_SECRET_KEY_GENERATED and not _flag(env, "FIELDDAY_ALLOW_GENERATED_SECRET"):
        problems.append(
            "JWT_SECRET_KEY is not set: every host would sign with its own generated key and refuse the "
            "others' tokens. Set JWT_SECRET_KEY to one long random value (e.g. `python -c 'import secrets; "
            "print(secrets.token_hex(32))'`) on every host (one host only: FIELDDAY_ALLOW_GENERATED_SECRET=1)."
        )
    if config.SQLALCHEMY_DATABASE_URI.startswith("sqlite") and not _flag(env, "FIELDDAY_ALLOW_SQLITE"):
        problems.append(
            "DATABASE_URL is SQLite (or unset): set DATABASE_URL=postgresql://user@host:5432/fieldday "
            "(one small host on SQLite: FIELDDAY_ALLOW_SQLITE=1)."
        )
    if not _flag(env, "FIELDDAY_ALLOW_PLAIN_HTTP"):
        if not config.JWT_COOKIE_SECURE:
            problems.append(
                "JWT_COOKIE_SECURE is false: the refresh cookie would travel over plain HTTP. Serve HTTPS and "
                "unset it (plain HTTP knowingly: FIELDDAY_ALLOW_PLAIN_HTTP=1)."
            )
        if config.TRUSTED_PROXIES == 0:
            problems.append(
                "TRUSTED_PROXIES is 0: no HTTPS proxy in front. Put a reverse proxy that serves HTTPS in front "
                "and set TRUSTED_PROXIES to the number of proxies (1 for one); if the app serves HTTPS itself "
                "(gunicorn --certfile) or plain HTTP is accepted knowingly: FIELDDAY_ALLOW_PLAIN_HTTP=1."
            )
    if problems:
        raise ProductionConfigError(
            "FIELDDAY_ENV=production, refusing to start:\n" + "\n".join(f"- {p}" for p in problems)
        )


def _normalise_db_url(url):
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret(instance_path):
    """Keep one random signing key per installation so tokens survive restarts."""
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, "jwt-secret")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    with open(path) as fh:
        return fh.read().strip()
