"""HTTP: /api/v1/work-orders, their status moves and phone guidance."""

from flask import request
from flask.views import MethodView

from backend.auth.access import current_user, login_required
from backend.extensions import Blueprint
from backend.pagination import page_of
from backend.workorders import services
from backend.workorders.schemas import (
    PhoneGuidanceInSchema,
    StatusMoveSchema,
    WorkOrderCreateSchema,
    WorkOrderDetailSchema,
    WorkOrderQuerySchema,
    WorkOrderSchema,
    WorkOrderUpdateSchema,
)

blp = Blueprint("work_orders", __name__, url_prefix="/api/v1/work-orders", description="Work orders")

OFFICE_WRITERS = ("dispatcher", "admin")
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "schema": {"type": "string"},
    "description": "The ETag of the work order as read (lost-update protection)",
}


def _detail_response(order, status=200):
    return services.order_detail(order), status, {"ETag": services.etag_of(order)}


@blp.route("")
class WorkOrders(MethodView):
    @login_required()
    @blp.arguments(WorkOrderQuerySchema, location="query")
    @blp.response(200, WorkOrderSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """List work orders (a technician: only their own), filtered by status, technician, appointment day, type."""
        orders = page_of(services.visible_orders_query(current_user(), **filters), pagination_parameters)
        return services.attach_current_appointments(orders)

    @login_required(*OFFICE_WRITERS)
    @blp.arguments(WorkOrderCreateSchema)
    @blp.response(201, WorkOrderDetailSchema)
    @blp.alt_response(422, description="Invalid fields, or no such customer (unknown_customer)")
    def post(self, data):
        """Open a work order for a customer; it gets a readable number like WO-20261122-0042."""
        return _detail_response(services.create_order(current_user(), data), 201)


@blp.route("/<int:order_id>")
class WorkOrderItem(MethodView):
    @login_required()
    @blp.response(200, WorkOrderDetailSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.alt_response(404, description="No such work order, or another technician's")
    def get(self, order_id):
        """Return a work order with its status history, appointments, phone guidance and visit record."""
        return _detail_response(services.get_visible_order(current_user(), order_id))

    @login_required(*OFFICE_WRITERS)
    @blp.arguments(WorkOrderUpdateSchema, required=False)  # an empty change is a no-op
    @blp.response(200, WorkOrderDetailSchema)
    @blp.alt_response(412, description="The order changed since it was read (stale If-Match)")
    @blp.alt_response(428, description="If-Match missing")
    @blp.doc(parameters=[IF_MATCH])
    def patch(self, changes, order_id):
        """Change a work order's details; send If-Match with the ETag you read."""
        order = services.get_visible_order(current_user(), order_id)
        order = services.update_order(current_user(), order, changes, request.headers.get("If-Match"))
        return _detail_response(order)


@blp.route("/<int:order_id>/status")
class WorkOrderStatus(MethodView):
    @login_required("technician", *OFFICE_WRITERS)
    @blp.arguments(StatusMoveSchema)
    @blp.response(200, WorkOrderDetailSchema)
    @blp.alt_response(409, description="Not allowed by the state machine (illegal_transition)")
    def post(self, move, order_id):
        """Move a work order to another status (cancel, close after the return visit, en route...)."""
        order = services.get_visible_order(current_user(), order_id, for_update=True)
        order = services.change_status(current_user(), order, move["to"], move.get("reason"))
        return _detail_response(order)


@blp.route("/<int:order_id>/phone-guidance")
class WorkOrderPhoneGuidance(MethodView):
    @login_required(*OFFICE_WRITERS)
    @blp.arguments(PhoneGuidanceInSchema)
    @blp.response(201, WorkOrderDetailSchema)
    @blp.alt_response(409, description="The order is no longer new")
    def post(self, attempt, order_id):
        """Record phone guidance (电话指导) after verifying the customer; resolved closes the order."""
        order = services.get_visible_order(current_user(), order_id, for_update=True)
        order = services.record_phone_guidance(current_user(), order, **attempt)
        return _detail_response(order, 201)
