"""HTTP: booking and rescheduling, technicians and their free windows, a technician's agenda."""
from flask.views import MethodView
from flask_smorest import Blueprint

from backend.auth.access import current_user, login_required
from backend.booking import services
from backend.booking.schemas import (
    AgendaQuerySchema,
    AgendaSchema,
    AppointmentSchema,
    AvailabilityQuerySchema,
    AvailabilitySchema,
    BookingSchema,
    TechnicianQuerySchema,
    TechnicianSchema,
)
from backend.timeutil import local_today

blp = Blueprint("booking", __name__, url_prefix="/api/v1", description="Booking, technicians, agenda")

OFFICE = ("dispatcher", "manager", "admin")


@blp.route("/work-orders/<int:order_id>/appointment")
class WorkOrderAppointment(MethodView):
    @login_required("dispatcher", "admin")
    @blp.arguments(BookingSchema)
    @blp.response(201, AppointmentSchema)
    @blp.alt_response(409, description="The technician is busy then (slot_taken), lacks the skill or the area")
    @blp.alt_response(422, description="Bad window (bad_window, outside_working_hours, window_in_past)")
    def post(self, booking, order_id):
        """Book the visit, or reschedule it (say who asked: customer or company, and why)."""
        return services.book(current_user(), order_id, **booking)


@blp.route("/technicians")
class Technicians(MethodView):
    @login_required(*OFFICE)
    @blp.arguments(TechnicianQuerySchema, location="query")
    @blp.response(200, TechnicianSchema(many=True))
    def get(self, filters):
        """List active technicians with their skills, areas and branch."""
        return services.technicians(**filters)


@blp.route("/technicians/availability")
class Availability(MethodView):
    @login_required(*OFFICE)
    @blp.arguments(AvailabilityQuerySchema, location="query")
    @blp.response(200, AvailabilitySchema)
    def get(self, args):
        """Return each technician's free windows on a day (working hours minus visits and travel buffers)."""
        return services.availability(args.pop("date"), **args)


@blp.route("/me/agenda")
class Agenda(MethodView):
    @login_required("technician")
    @blp.arguments(AgendaQuerySchema, location="query")
    @blp.response(200, AgendaSchema)
    def get(self, args):
        """Return everything the technician needs for a day offline: visits, customers, flows, tariff."""
        return services.agenda(current_user(), args.get("date") or local_today())
