"""Login and the caller's own account."""

from flask import current_app
from flask.views import MethodView

from backend.auth import services
from backend.auth.access import current_user, login_required
from backend.auth.schemas import LoginSchema, PasswordChangeSchema, TokenSchema, UserSchema
from backend.extensions import Blueprint, ErrorSchema
from backend.ratelimit import LOGIN_LIMITS, PASSWORD_CHANGE_LIMITS

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Log in and who am I")


@blp.route("/auth/login")
class Login(MethodView):
    decorators = LOGIN_LIMITS

    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, description="Wrong username or password")
    @blp.alt_response(
        429, schema=ErrorSchema, description="Too many attempts from this address or on this account; see Retry-After"
    )
    def post(self, credentials):
        """Exchange a username and password for a bearer token."""
        return _token_for(services.authenticate(credentials["username"], credentials["password"]))


def _token_for(user):
    return {
        "token": services.issue_token(user),
        "token_type": "Bearer",
        "expires_in": current_app.config["TOKEN_MAX_AGE_SECONDS"],
        "user": user,
    }


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, UserSchema)
    @login_required()
    def get(self):
        """Return the logged-in user."""
        return current_user()


@blp.route("/me/password")
class MyPassword(MethodView):
    decorators = PASSWORD_CHANGE_LIMITS

    @login_required()
    @blp.arguments(PasswordChangeSchema)
    @blp.response(200, TokenSchema, description="Changed; every earlier token is revoked, this new one works")
    @blp.alt_response(
        429, schema=ErrorSchema, description="Too many wrong old passwords on this account; see Retry-After"
    )
    def post(self, change):
        """Change one's own password (the old one proves it is you); sessions on other devices end."""
        user = services.change_own_password(current_user(), change["old_password"], change["new_password"])
        return _token_for(user)
