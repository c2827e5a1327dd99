"""Configuration: defaults, overridden by DOORSTEP_* environment variables and by create_app(config)."""

import logging
import os
import secrets

from flask import current_app, has_request_context, request

log = logging.getLogger(__name__)

MAKE_A_KEY = "python3 -c 'import secrets; print(secrets.token_hex(32))'"
# What `flask run` serves on when nothing else is said: only debug and test runs may fall back to it.
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"


class ConfigurationError(RuntimeError):
    """A setting production cannot run without is missing; the message says how to set it."""


class DefaultConfig:
    """Settings a newcomer gets: one machine, SQLite in instance/, everything in-process."""

    SECRET_KEY = None  # required outside debug and tests: DOORSTEP_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = None  # filled from DATABASE_URL or instance/doorstep.db
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    TOKEN_MAX_AGE_SECONDS = 12 * 3600
    PUBLIC_BASE_URL = None  # required outside debug and tests (or SERVER_NAME): the customers' address
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


def is_development(app) -> bool:
    """Tell whether the app runs for a developer (debug) or a test, where missing settings are filled in."""
    return bool(app.debug or app.testing)


def require_production_settings(app) -> None:
    """Refuse to start without the settings nobody may guess: the secret key and the public address.

    Without a secret key anyone could mint an admin's token; without a public address every
    signing link and every sealed form's QR code would point at a host customers cannot reach.
    A debug or test run gets a random per-process key and links to the address it is reached at.
    """
    missing = []
    if not app.config.get("SECRET_KEY"):
        if is_development(app):
            app.config["SECRET_KEY"] = secrets.token_hex(32)
            log.warning("no DOORSTEP_SECRET_KEY: using a random key for this process (tokens die with it)")
        else:
            missing.append(
                "DOORSTEP_SECRET_KEY: it signs bearer tokens and signing links. Make one with\n"
                f"    {MAKE_A_KEY}\n"
                "  and give every app server the same one (`make run` keeps the demo's in instance/secret_key)."
            )
    if not (app.config.get("PUBLIC_BASE_URL") or app.config.get("SERVER_NAME") or is_development(app)):
        missing.append(
            "DOORSTEP_PUBLIC_BASE_URL: the address customers open signing links and sealed forms' QR codes at,\n"
            "    e.g. DOORSTEP_PUBLIC_BASE_URL=https://service.example.com (or set DOORSTEP_SERVER_NAME)."
        )
    if missing:
        raise ConfigurationError("Doorstep will not start without:\n- " + "\n- ".join(missing))


def public_base_url() -> str:
    """Return the address customers reach the server at, for signing links and verification URLs.

    PUBLIC_BASE_URL when set, else the configured SERVER_NAME (with PREFERRED_URL_SCHEME). Only a
    debug or test run, which start without either, falls back to the address it was called at.
    """
    config = current_app.config
    if config.get("PUBLIC_BASE_URL"):
        return config["PUBLIC_BASE_URL"].rstrip("/")
    if config.get("SERVER_NAME"):
        root = (config.get("APPLICATION_ROOT") or "/").rstrip("/")
        return f"{config['PREFERRED_URL_SCHEME']}://{config['SERVER_NAME']}{root}"
    # Only debug and test runs get here: require_production_settings refuses to start otherwise.
    return request.host_url.rstrip("/") if has_request_context() else DEVELOPMENT_BASE_URL
