"""Throttling password guessing: per client address and per account, with Flask-Limiter's public API.

- Per address (`LOGIN_RATE_LIMIT`): every login attempt from one client address counts.
- Per account (`LOGIN_ACCOUNT_RATE_LIMIT`): failed attempts on one username count, from any
  address, shared by login and the password change (both test a password); a correct password
  costs nothing, so a user who types it right is never slowed by their own success.
- A refusal is 429 `rate_limited` with `Retry-After` (seconds until the window that refused ends).
- Behind a TLS proxy set `TRUSTED_PROXY_HOPS` to the number of proxies in front of the app: the
  client address is then read from `X-Forwarded-For` (werkzeug's ProxyFix), and only then; with
  0 (the default) the header is ignored, since anyone can send it.
- Counters live in Redis when `RATELIMIT_STORAGE_URI` or `REDIS_URL` is set (every app server
  then shares them), in process memory otherwise; if Redis stops answering, limits go on in memory.
"""

import hashlib
import time

from flask import current_app, g, request
from flask_limiter import RateLimitExceeded
from werkzeug.middleware.proxy_fix import ProxyFix

from backend.errors import error_response
from backend.extensions import limiter

ACCOUNT_SCOPE = "login-account"


def client_address() -> str:
    """Return the client's address: the peer, or X-Forwarded-For's as ProxyFix trusts it."""
    return request.remote_addr or "unknown"


def _account_key(username) -> str:
    # Hashed: no username in Redis keys, and any text (a lone surrogate too) makes a valid key.
    text = username.strip().casefold() if isinstance(username, str) else ""
    return "account:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _login_body_account() -> str:
    body = request.get_json(silent=True)  # the app's JSON provider: unreadable bodies are None
    return _account_key(body.get("username") if isinstance(body, dict) else None)


def _current_user_account() -> str:
    return _account_key(g.current_user.username)


def _failed_password(response) -> bool:
    body = response.get_json(silent=True) if response.is_json else None
    return isinstance(body, dict) and body.get("code") in ("bad_credentials", "wrong_password")


def _account_limit(key_func):
    return limiter.shared_limit(
        lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
        scope=ACCOUNT_SCOPE,
        key_func=key_func,
        deduct_when=_failed_password,
    )


# Decorators for the views that test a password (MethodView.decorators).
LOGIN_LIMITS = [
    limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=client_address),
    _account_limit(_login_body_account),
]
PASSWORD_CHANGE_LIMITS = [_account_limit(_current_user_account)]


def _handle_rate_limited(error):
    refused = limiter.current_limit
    wait = max(1, int(refused.reset_at - time.time())) if refused else 60
    response = error_response(429, "rate_limited", f"Too many attempts; try again in {wait} seconds.")
    response.headers["Retry-After"] = str(wait)
    return response


def init_app(app):
    """Trust the configured proxies, choose the counters' storage, and bind the limiter."""
    hops = int(app.config["TRUSTED_PROXY_HOPS"])
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _handle_rate_limited)
