"""HTTP: /api/v1/customers."""

from flask.views import MethodView

from backend.auth.access import current_user, login_required
from backend.customers import services
from backend.customers.schemas import CustomerQuerySchema, CustomerSchema, CustomerUpdateSchema
from backend.extensions import Blueprint

blp = Blueprint("customers", __name__, url_prefix="/api/v1/customers", description="Customers")

READERS = ("dispatcher", "manager", "admin")
WRITERS = ("dispatcher", "admin")


@blp.route("")
class Customers(MethodView):
    @login_required(*READERS)
    @blp.arguments(CustomerQuerySchema, location="query")
    @blp.response(200, CustomerSchema(many=True))
    @blp.paginate()
    @blp.doc(
        description=(
            "Part of a name, a phone number or an address, or an account number. Digits only (spaces,"
            " '-', '+' allowed) are looked for in the phones (from three digits) and the account number;"
            " anything else in the name, the address and the account number. The total is counted up to"
            f" {services.SEARCH_COUNT_LIMIT:,} matches past the page's first row: beyond that X-Pagination"
            ' says "total_capped": true (more than total match; the pages go on).'
        )
    )
    def get(self, args, pagination_parameters):
        """Search customers by name, phone, address or account number."""
        return services.search_page(page_params=pagination_parameters, **args)

    @login_required(*WRITERS)
    @blp.arguments(CustomerSchema)
    @blp.response(201, CustomerSchema)
    @blp.alt_response(409, description="Account number already used (account_no_taken)")
    def post(self, data):
        """Create a customer."""
        return services.create_customer(data)


@blp.route("/<int:customer_id>")
class CustomerItem(MethodView):
    @login_required()
    @blp.response(200, CustomerSchema)
    @blp.alt_response(404, description="No such customer, or not a customer of the technician's orders")
    def get(self, customer_id):
        """Return a customer; a technician sees only customers of their own work orders."""
        return services.visible_customer(current_user(), customer_id)

    @login_required(*WRITERS)
    @blp.arguments(CustomerUpdateSchema, required=False)  # an empty change is a no-op
    @blp.response(200, CustomerSchema)
    def patch(self, changes, customer_id):
        """Correct a customer's details."""
        customer = services.visible_customer(current_user(), customer_id)
        return services.update_customer(customer, changes)
