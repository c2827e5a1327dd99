"""HTTP: booking and rescheduling, technicians and their free windows, a technician's agenda."""

from flask import current_app
from flask.views import MethodView

from backend.auth.access import current_user, login_required
from backend.booking import services
from backend.booking.schemas import (
    AgendaQuerySchema,
    AgendaSchema,
    AppointmentSchema,
    AvailabilityQuerySchema,
    AvailabilitySchema,
    BookingSchema,
    SuggestedWindowsSchema,
    TechnicianQuerySchema,
    TechnicianSchema,
    dump_agenda_day,
)
from backend.extensions import Blueprint
from backend.readonly import reads_only
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


@blp.route("/work-orders/<int:order_id>/suggested-windows")
class SuggestedWindows(MethodView):
    @login_required(*OFFICE)
    @blp.response(200, SuggestedWindowsSchema)
    @blp.alt_response(404, description="No such work order")
    def get(self, order_id):
        """Find a time: the earliest free windows of technicians with the order's skill in its area."""
        return services.suggested_windows(current_user(), order_id)


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
        """Return each technician's free windows and visits on a day or a week (`days`, at most 7).

        Free windows are working hours minus visits and travel buffers; the board draws a day or a
        week from this one request.
        """
        return services.availability(args.pop("date"), **args)


@blp.route("/me/agenda")
class Agenda(MethodView):
    @reads_only
    @login_required("technician")
    @blp.arguments(AgendaQuerySchema, location="query")
    @blp.response(200, AgendaSchema)
    def get(self, args):
        """Return everything the technician needs for a day offline: visits, customers, flows, tariff."""
        return agenda_response(services.agenda(current_user(), args.get("date") or local_today()))


def agenda_response(agenda):
    """Return the agenda as a JSON response, splicing in the flows and tariff encoded once."""
    flows = ",".join(
        f"{_encode(order_type)}:{_encoded_once(flow)}" for order_type, flow in sorted(agenda["flows"].items())
    )
    day = _encode(dump_agenda_day(agenda))
    body = f'{{"flows":{{{flows}}},"tariff":{_encoded_once(agenda["tariff"])},{day[1:]}'
    return current_app.response_class(body, mimetype="application/json")


# Each flow and the tariff stay the same objects until their files change (the definitions cache
# reloads them); encoding them is most of the agenda's JSON work, so it is done once per object.
_ENCODED_BY_ID: dict[int, tuple[object, str]] = {}
_ENCODED_KEPT = 64


def _encoded_once(value) -> str:
    cached = _ENCODED_BY_ID.get(id(value))
    if cached is None or cached[0] is not value:
        if len(_ENCODED_BY_ID) >= _ENCODED_KEPT:  # files were reloaded many times: forget old versions
            _ENCODED_BY_ID.clear()
        # Holding the object keeps its id from being reused by another one.
        cached = _ENCODED_BY_ID[id(value)] = (value, _encode(value))
    return cached[1]


def _encode(value) -> str:
    return current_app.json.dumps(value, separators=(",", ":"))
