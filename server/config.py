"""Settings, read from the environment when the app is created (never at import)."""
import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
import secrets
from datetime import timedelta


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
        self.ROUTING_DETOUR = float(env.get("ROUTING_DETOUR", "1.35"))
        self.ROUTING_SPEED_KMH = float(env.get("ROUTING_SPEED_KMH", "22"))
        # A check-in farther than this from the account's position is flagged "away from the account".
        self.CHECKIN_RADIUS_M = float(env.get("CHECKIN_RADIUS_M", "300"))
        # The evening batch on Celery (route_plans/tasks.py) when a broker is set; in-process otherwise.
        self.CELERY_BROKER_URL = env.get("CELERY_BROKER_URL", "")
        self.CELERY_RESULT_BACKEND = env.get("CELERY_RESULT_BACKEND", "")
        self.CELERY_BATCH_TIMEOUT_S = _int(env, "CELERY_BATCH_TIMEOUT_S", 1800)
        self.PLAN_EVENING_AT = env.get("PLAN_EVENING_AT", "19:00")
        self.GEOCODER = env.get("GEOCODER", "none")
        self.GEOCODER_URL = env.get("GEOCODER_URL", "")
        self.GEOCODER_MIN_DELAY_S = float(env.get("GEOCODER_MIN_DELAY_S", "1.0"))
        self.IMPORT_MAX_BYTES = _int(env, "IMPORT_MAX_BYTES", 20 * 1024 * 1024)
        # A file larger than this is imported as a background job (202 and a job to poll): well inside
        # a web worker's timeout. Smaller ones too when the client asks (`background=true`).
        self.IMPORT_BACKGROUND_BYTES = _int(env, "IMPORT_BACKGROUND_BYTES", 256 * 1024)
        # Rate limits (server/limits.py), per user: Flask-Limiter's "N per minute" notation.
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_ENABLED = env.get("RATELIMIT_ENABLED", "true").lower() not in ("0", "false", "no")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.PLAN_RATE_LIMIT = env.get("PLAN_RATE_LIMIT", "30 per minute;300 per hour")
        self.IMPORT_RATE_LIMIT = env.get("IMPORT_RATE_LIMIT", "10 per minute")
        # On-demand plans solved at once by one process, and how long a plan waits for a free slot.
        self.PLAN_CONCURRENCY = _int(env, "PLAN_CONCURRENCY", 1)
        self.PLAN_QUEUE_WAIT_S = float(env.get("PLAN_QUEUE_WAIT_S", "10"))
        self.API_TITLE = "Fieldday API"
        self.API_VERSION = "1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.JSON_SORT_KEYS = False


def _normalise_db_url(url):
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
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
