"""HTTP: /api/v1/return-visits, /api/v1/work-orders/<id>/return-visit and /api/v1/complaints (call centre only)."""

from flask.views import MethodView

from backend.aftercare import services
from backend.aftercare.schemas import (
    ComplaintInSchema,
    ComplaintNotesSchema,
    ComplaintQuerySchema,
    ComplaintSchema,
    ReturnVisitInSchema,
    ReturnVisitQuerySchema,
    ReturnVisitQueueEntrySchema,
    ReturnVisitSheetSchema,
)
from backend.auth.access import current_user, login_required
from backend.extensions import Blueprint
from backend.pagination import page_of
from backend.timeutil import local_today, utcnow

blp = Blueprint(
    "aftercare",
    __name__,
    url_prefix="/api/v1",
    description="After the visit: return visits (回访) and complaints (投诉)",
)

CALL_CENTRE = ("dispatcher", "manager", "admin")


@blp.route("/return-visits")
class ReturnVisitQueue(MethodView):
    @login_required(*CALL_CENTRE)
    @blp.arguments(ReturnVisitQuerySchema, location="query")
    @blp.response(200, ReturnVisitQueueEntrySchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """List completed orders whose return visit is due on or before `due`, oldest completion first."""
        orders = page_of(services.return_visit_queue_query(query.get("due") or local_today()), pagination_parameters)
        return services.queue_entries(orders)


@blp.route("/work-orders/<int:order_id>/return-visit")
class ReturnVisit(MethodView):
    @login_required(*CALL_CENTRE)
    @blp.response(200, ReturnVisitSheetSchema)
    @blp.alt_response(404, description="No such work order")
    def get(self, order_id):
        """Return the return-visit sheet: the order, the script filled for this call, and earlier calls."""
        return services.return_visit_sheet(current_user(), order_id)

    @login_required(*CALL_CENTRE)
    @blp.arguments(ReturnVisitInSchema)
    @blp.response(201, ReturnVisitSheetSchema)
    @blp.alt_response(409, description="The order is not completed (not_awaiting_return_visit)")
    @blp.alt_response(422, description="Invalid fields, or an outcome that does not add up (inconsistent_outcome)")
    def post(self, outcome, order_id):
        """Record a return-visit call; reached and resolved closes the order, not resolved sends it to needs_revisit."""
        return services.record_return_visit(current_user(), order_id, **outcome)


@blp.route("/complaints")
class Complaints(MethodView):
    @login_required(*CALL_CENTRE)
    @blp.arguments(ComplaintQuerySchema, location="query")
    @blp.response(200, ComplaintSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """List complaints, soonest due first; `overdue=true` gives those unanswered past their deadline."""
        now = utcnow()
        complaints = page_of(services.complaints_query(now=now, **filters), pagination_parameters)
        return [services.flag(complaint, now) for complaint in complaints]

    @login_required(*CALL_CENTRE)
    @blp.arguments(ComplaintInSchema)
    @blp.response(201, ComplaintSchema)
    @blp.alt_response(422, description="Invalid fields, or no such work order (unknown_work_order)")
    def post(self, data):
        """Open a complaint case on a work order; an answer is due within three hours."""
        return services.open_complaint(current_user(), **data)


@blp.route("/complaints/<int:complaint_id>")
class ComplaintItem(MethodView):
    @login_required(*CALL_CENTRE)
    @blp.response(200, ComplaintSchema)
    @blp.alt_response(404, description="No such complaint")
    def get(self, complaint_id):
        """Return a complaint case."""
        return services.flag(services.get_complaint(complaint_id), utcnow())


@blp.route("/complaints/<int:complaint_id>/answer")
class ComplaintAnswer(MethodView):
    @login_required(*CALL_CENTRE)
    @blp.arguments(ComplaintNotesSchema)
    @blp.response(200, ComplaintSchema)
    @blp.alt_response(409, description="Already answered (already_answered) or resolved (complaint_resolved)")
    def post(self, data, complaint_id):
        """Record the answer given to the customer."""
        return services.answer_complaint(current_user(), complaint_id, data["notes"])


@blp.route("/complaints/<int:complaint_id>/resolve")
class ComplaintResolve(MethodView):
    @login_required(*CALL_CENTRE)
    @blp.arguments(ComplaintNotesSchema)
    @blp.response(200, ComplaintSchema)
    @blp.alt_response(409, description="Already resolved (complaint_resolved)")
    def post(self, data, complaint_id):
        """Resolve a complaint case with notes (answering it too if it was not yet answered)."""
        return services.resolve_complaint(current_user(), complaint_id, data["notes"])
