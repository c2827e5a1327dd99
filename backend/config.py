"""Configuration: defaults, overridden by DOORSTEP_* environment variables and by create_app(config)."""

import os


class DefaultConfig:
    """Settings a newcomer gets: one machine, SQLite in instance/, everything in-process."""

    SECRET_KEY = "dev-only-change-me"
    SQLALCHEMY_DATABASE_URI = None  # filled from DATABASE_URL or instance/doorstep.db
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    TOKEN_MAX_AGE_SECONDS = 12 * 3600
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    COMPANY_NAME = "福建广电网络集团"
    # Login throttling (backend/ratelimit.py): attempts per client address, failed ones per account.
    LOGIN_RATE_LIMIT = "20/minute"
    LOGIN_ACCOUNT_RATE_LIMIT = "10/15 minutes"
    # Proxies in front of the app whose X-Forwarded-For is trusted (0: the header is ignored).
    TRUSTED_PROXY_HOPS = 0
    # Where the limiter counts: unset means REDIS_URL when that is set, else process memory.
    RATELIMIT_STORAGE_URI = None
    RATELIMIT_KEY_PREFIX = "doorstep"
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis down: keep limiting, per process
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # Set to e.g. redis://127.0.0.1:6379/0 to render and seal forms on RQ workers.
    REDIS_URL = None
    JOB_QUEUE_NAME = "doorstep"
    # A bearer token for the Prometheus scraper at /metrics (managers and admins may use their own).
    METRICS_TOKEN = None
    LOG_FORMAT = "json"  # or "text"
    LOG_LEVEL = "INFO"
    # Sync ops whose device time is further than this from the server's are refused (device clock wrong).
    SYNC_CLOCK_WINDOW_DAYS = 366
    # How long a visit is booked for, per work-order type (minutes); "find a time" looks this many days ahead.
    VISIT_MINUTES = {"install": 120, "repair": 60}
    SUGGEST_DAYS = 7

    API_TITLE = "Doorstep API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/api/v1/docs-assets/"  # served locally: no CDN
    BABEL_DEFAULT_LOCALE = "zh_CN"


def database_url(instance_path: str) -> str:
    """Return the database URL from DATABASE_URL, or the SQLite file in the instance folder."""
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg 3 spelled out.
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    return "sqlite:///" + os.path.join(instance_path, "doorstep.db")
