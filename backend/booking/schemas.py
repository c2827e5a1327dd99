"""Request and response bodies of booking, technicians, availability and the agenda."""

from datetime import UTC, datetime

from marshmallow import Schema, fields, validate

from backend.apifields import db_id, text
from backend.booking.services import MAX_AVAILABILITY_DAYS, REQUESTERS
from backend.timeutil import LOCAL_TZ
from backend.workorders.models import PRIORITIES

WINDOW_TIME = {"description": "ISO 8601; without an offset it is local time (Asia/Shanghai)"}
# Far-off years would overflow time-zone arithmetic; no visit is booked outside this range.
PLAUSIBLE = validate.Range(min=datetime(2000, 1, 1, tzinfo=UTC), max=datetime(2100, 1, 1, tzinfo=UTC))


class BookingSchema(Schema):
    technician_id = db_id(required=True)
    starts_at = fields.AwareDateTime(required=True, default_timezone=LOCAL_TZ, validate=PLAUSIBLE, metadata=WINDOW_TIME)
    ends_at = fields.AwareDateTime(required=True, default_timezone=LOCAL_TZ, validate=PLAUSIBLE, metadata=WINDOW_TIME)
    requested_by = fields.String(
        validate=validate.OneOf(REQUESTERS),
        allow_none=True,
        metadata={"description": "Who asked for a reschedule; required when rescheduling"},
    )
    reason = text(500, allow_none=True)


class AppointmentSchema(Schema):
    id = fields.Integer()
    work_order_id = fields.Integer()
    technician_id = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    status = fields.String()
    requested_by = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    previous_id = fields.Integer(allow_none=True, metadata={"description": "The appointment this one replaced"})
    booked_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class TechnicianSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    name = fields.String()
    employee_no = fields.String(allow_none=True)
    branch = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    skills = fields.List(fields.String())
    areas = fields.List(fields.String())


class TechnicianQuerySchema(Schema):
    branch = text(64)
    area = text(64)
    skill = text(32, metadata={"description": "A work-order type the technician does"})


class AvailabilityQuerySchema(TechnicianQuerySchema):
    date = fields.Date(required=True, metadata={"description": "Local day (Asia/Shanghai); the first day of a range"})
    days = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_AVAILABILITY_DAYS),
        metadata={
            "description": f"Days from `date`: 1 for the board's day, 7 for its week (at most {MAX_AVAILABILITY_DAYS})"
        },
    )


class WindowSchema(Schema):
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()


class BookedWindowSchema(WindowSchema):
    appointment_id = fields.Integer()
    work_order_id = fields.Integer()
    number = fields.String()
    status = fields.String(metadata={"description": "The work order's status"})
    type = fields.String()


class SuggestedWindowSchema(WindowSchema):
    technician = fields.Nested(TechnicianSchema)


class SuggestedWindowsSchema(Schema):
    work_order_id = fields.Integer()
    visit_minutes = fields.Integer()
    windows = fields.List(fields.Nested(SuggestedWindowSchema), metadata={"description": "Earliest first"})


class TechnicianDaySchema(Schema):
    technician = fields.Nested(TechnicianSchema)
    free = fields.List(
        fields.Nested(WindowSchema),
        metadata={"description": "Bookable windows, buffers removed, day by day over the range"},
    )
    booked = fields.List(fields.Nested(BookedWindowSchema))


class WorkingHoursSchema(Schema):
    start = fields.String(metadata={"example": "08:00"})
    end = fields.String(metadata={"example": "20:00"})


class AvailabilitySchema(Schema):
    date = fields.Date(metadata={"description": "The first day"})
    until = fields.Date(metadata={"description": "The last day (the same as `date` for one day)"})
    days = fields.Integer()
    working_hours = fields.Nested(WorkingHoursSchema)
    travel_buffer_minutes = fields.Integer()
    technicians = fields.List(fields.Nested(TechnicianDaySchema))


class AgendaQuerySchema(Schema):
    date = fields.Date(metadata={"description": "Local day (Asia/Shanghai); today when absent"})


class AgendaTechnicianSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    name = fields.String()
    employee_no = fields.String(allow_none=True)
    branch = fields.String(allow_none=True)


class AgendaWorkOrderSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    type = fields.String()
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    status = fields.String()
    description = fields.String()
    address = fields.String()
    customer_id = fields.Integer()
    technician_id = fields.Integer(allow_none=True)
    version = fields.Integer()


class AgendaAppointmentSchema(Schema):
    id = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    status = fields.String()


class AgendaCustomerSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    title = fields.String(allow_none=True)
    surname_title = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        allow_none=True,
        metadata={"description": "{zh: 张先生, en: Mr. 张} from the recorded title; null when none is recorded"},
    )
    phones = fields.List(fields.String())
    address = fields.String()
    lat = fields.Float(allow_none=True)
    lng = fields.Float(allow_none=True)
    account_no = fields.String(allow_none=True)


class AgendaVisitSchema(Schema):
    work_order = fields.Nested(AgendaWorkOrderSchema)
    appointment = fields.Nested(AgendaAppointmentSchema, allow_none=True)
    customer = fields.Nested(AgendaCustomerSchema)


class AgendaSchema(Schema):
    date = fields.Date()
    server_time = fields.DateTime()
    technician = fields.Nested(AgendaTechnicianSchema)
    visits = fields.List(fields.Nested(AgendaVisitSchema))
    greetings = fields.Raw(
        metadata={
            "description": "The call greeting's rules (backend/greetings/greetings.yaml): time_of_day "
            "[{id, from: HH:MM, zh, en}], new_year {id, zh, en, seasons: [{from, through}]}, timezone. "
            "The app greets by the time of the call with them."
        }
    )
    flows = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "Flow definition per work-order type (see GET /flows/{type})"},
    )
    tariff = fields.List(
        fields.Raw(), metadata={"description": "[{code, name: {zh,en}, unit: {zh,en}, price_cents, swap?}]"}
    )


def _iso(value):
    return None if value is None else value.isoformat()


def _strings(values):
    return None if values is None else [str(value) for value in values]


def _number(value):
    return None if value is None else float(value)


def dump_agenda_day(agenda: dict) -> dict:
    """Serialise an agenda's date, server time, technician and visits exactly as AgendaSchema would.

    The agenda is the most frequent call; marshmallow's per-field dispatch was most of its cost.
    `flows` and `tariff` are left out: they change only with their files, so the view encodes them once.
    """
    technician = agenda["technician"]
    return {
        "date": agenda["date"].isoformat(),
        "server_time": agenda["server_time"].isoformat(),
        "technician": {
            "id": technician.id,
            "username": technician.username,
            "name": technician.name,
            "employee_no": technician.employee_no,
            "branch": technician.branch,
        },
        "visits": [_dump_visit(visit) for visit in agenda["visits"]],
        "greetings": agenda["greetings"],
    }


def _dump_visit(visit: dict) -> dict:
    order, appointment, customer = visit["work_order"], visit["appointment"], visit["customer"]
    return {
        "work_order": dict(order),
        "appointment": None
        if appointment is None
        else {
            "id": appointment["id"],
            "starts_at": _iso(appointment["starts_at"]),
            "ends_at": _iso(appointment["ends_at"]),
            "status": appointment["status"],
        },
        "customer": {
            **customer,
            "phones": _strings(customer["phones"]),
            "lat": _number(customer["lat"]),
            "lng": _number(customer["lng"]),
        },
    }
