"""Who is calling: the bearer token on each request, and role checks for views."""

from functools import wraps

from flask import g, request

from backend.auth.services import user_from_token
from backend.errors import Forbidden, Unauthorized


def current_user():
    """Return the user of the current request (after login_required)."""
    return g.current_user


def _authenticate_request():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Log in first: send 'Authorization: Bearer <token>'.")
    g.current_user = user_from_token(token.strip())
    return g.current_user


def login_required(*roles):
    """Require a valid token, and one of `roles` when given."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = _authenticate_request()
            if roles and user.role not in roles:
                raise Forbidden("Your role may not do this.")
            return view(*args, **kwargs)

        # flask-smorest reads this to document the security requirement.
        wrapper._apidoc = getattr(view, "_apidoc", {})
        wrapper._apidoc.setdefault("manual_doc", {}).setdefault("security", [{"bearerAuth": []}])
        return wrapper

    return decorator
