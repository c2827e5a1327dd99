"""HTTP: /api/v1/users, account administration for admins."""

from flask.views import MethodView

from backend.accounts import services
from backend.accounts.schemas import (
    AccountCreateSchema,
    AccountQuerySchema,
    AccountSchema,
    AccountUpdateSchema,
    PasswordResetSchema,
)
from backend.auth.access import current_user, login_required
from backend.extensions import Blueprint
from backend.pagination import page_of

blp = Blueprint("accounts", __name__, url_prefix="/api/v1/users", description="Accounts (admins)")


@blp.route("")
class Accounts(MethodView):
    @login_required("admin")
    @blp.arguments(AccountQuerySchema, location="query")
    @blp.response(200, AccountSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """List accounts."""
        return page_of(services.accounts_query(**filters), pagination_parameters)

    @login_required("admin")
    @blp.arguments(AccountCreateSchema)
    @blp.response(201, AccountSchema)
    @blp.alt_response(409, description="Username or employee number taken")
    def post(self, data):
        """Create an account."""
        return services.create_account(data)


@blp.route("/<int:user_id>")
class AccountItem(MethodView):
    @login_required("admin")
    @blp.response(200, AccountSchema)
    def get(self, user_id):
        """Return an account."""
        return services.get_account(user_id)

    @login_required("admin")
    @blp.arguments(AccountUpdateSchema, required=False)  # an empty change is a no-op
    @blp.response(200, AccountSchema)
    def patch(self, changes, user_id):
        """Change an account; `active: false` deactivates it and revokes its tokens."""
        return services.update_account(current_user(), services.get_account(user_id), changes)


@blp.route("/<int:user_id>/password")
class AccountPassword(MethodView):
    @login_required("admin")
    @blp.arguments(PasswordResetSchema)
    @blp.response(204, description="Set; every token of the account is revoked")
    def post(self, data, user_id):
        """Reset an account's password (e.g. a technician who forgot theirs)."""
        services.reset_password(services.get_account(user_id), data["password"])
