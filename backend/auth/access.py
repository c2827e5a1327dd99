"""Who is calling: the bearer token on each request, and role checks for views.

`login_required` declares who may call a view; `authenticate_declared_view`, run before every
request, enforces it before any decorator of the view reads the body, so an anonymous caller gets
401 whatever it sends (never field errors that tell it what the endpoint wants).
"""

from functools import wraps

from flask import current_app, g, request

from backend.auth.services import user_from_token
from backend.errors import Forbidden, Unauthorized
from backend.readonly import read_without_transaction


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


def _authorize(roles):
    # Already authenticated for this request (by the before-request check): no second token check.
    user = g.get("current_user") or _authenticate_request()
    if roles and user.role not in roles:
        raise Forbidden("Your role may not do this.")


def login_required(*roles):
    """Require a valid token, and one of `roles` when given."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            _authorize(roles)
            return view(*args, **kwargs)

        # Read by authenticate_declared_view; functools.wraps copies it onto every decorator above.
        wrapper._login_roles = roles
        # flask-smorest reads this to document the security requirement.
        wrapper._apidoc = getattr(view, "_apidoc", {})
        wrapper._apidoc.setdefault("manual_doc", {}).setdefault("security", [{"bearerAuth": []}])
        return wrapper

    return decorator


def _serving_view():
    view = current_app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:  # a MethodView: the method serving this request, as Flask picks it
        view = getattr(view_class, request.method.lower(), None)
        if view is None and request.method == "HEAD":
            view = getattr(view_class, "get", None)
    return view


def authenticate_declared_view():
    """Before the request: authenticate and check the role when the view declares login_required."""
    view = _serving_view()
    roles = getattr(view, "_login_roles", None)
    if roles is not None:
        if getattr(view, "_reads_only", False):
            read_without_transaction()  # the user is read as the view will read: no BEGIN
        _authorize(roles)


def init_app(app):
    """Check every view's declared login before its body is parsed."""
    app.before_request(authenticate_declared_view)
