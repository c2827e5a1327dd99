"""Booking: appointments without double booking, technicians' free windows, a technician's day.

No double booking is enforced twice. PostgreSQL's exclusion constraint `no_double_booking`
refuses overlapping active appointments of one technician whatever the application does; the
service also locks the technician's row (PostgreSQL) or runs inside SQLite's serialised
BEGIN IMMEDIATE transaction, so its own check, which includes the travel buffer, sees every
booking committed before it. The travel buffer is therefore enforced at booking time too:
a window closer than TRAVEL_BUFFER_MINUTES to another of the technician's visits is `slot_taken`.
"""

from datetime import UTC, datetime, time, timedelta

from flask import current_app
from sqlalchemy import bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from backend.auth.models import User
from backend.booking.models import Appointment
from backend.customers.models import Customer
from backend.errors import Conflict, InvalidInput
from backend.extensions import db
from backend.greetings import customer_title, greeting_rules
from backend.messages.services import compose, dispatch
from backend.timeutil import LOCAL_TZ, as_utc, local_day_bounds, utcnow
from backend.visits.definitions import flows_for_agenda, tariff_for_agenda
from backend.workorders.models import WorkOrder
from backend.workorders.services import KEPT_APPOINTMENT_STATUSES, get_visible_order
from backend.workorders.statemachine import transition

REQUESTERS = ("customer", "company")

# What an agenda visit carries of each record: (part of the visit, field, column).
_AGENDA_COLUMNS = [
    (part, name, getattr(model, name))
    for part, model, names in (
        ("appointment", Appointment, ("id", "starts_at", "ends_at", "status")),
        (
            "work_order",
            WorkOrder,
            (
                "id",
                "number",
                "type",
                "priority",
                "status",
                "description",
                "address",
                "customer_id",
                "technician_id",
                "version",
            ),
        ),
        ("customer", Customer, ("id", "name", "title", "phones", "address", "lat", "lng", "account_no")),
    )
    for name in names
]
# Built once: composing this statement cost more than running it.
_AGENDA_QUERY = (
    select(*(column for _, _, column in _AGENDA_COLUMNS))
    .select_from(Appointment)
    .join(WorkOrder, WorkOrder.id == Appointment.work_order_id)
    .join(Customer, Customer.id == WorkOrder.customer_id)
    .where(
        Appointment.technician_id == bindparam("technician_id"),
        # Not IN (...): an expanding IN is re-rendered on every execution.
        or_(*(Appointment.status == status for status in KEPT_APPOINTMENT_STATUSES)),
        Appointment.starts_at >= bindparam("start"),
        Appointment.starts_at < bindparam("end"),
    )
    .order_by(Appointment.starts_at)
)


class SlotTaken(Conflict):
    code = "slot_taken"


def travel_buffer() -> timedelta:
    """Return the gap kept between two visits of one technician (config TRAVEL_BUFFER_MINUTES)."""
    return timedelta(minutes=current_app.config.get("TRAVEL_BUFFER_MINUTES", 30))


def working_hours() -> tuple[time, time]:
    """Return the local start and end of the working day (config WORKING_HOURS, e.g. ["08:00", "20:00"])."""
    start, end = current_app.config.get("WORKING_HOURS", ("08:00", "20:00"))
    return time.fromisoformat(start), time.fromisoformat(end)


def book(actor, order_id, *, technician_id, starts_at, ends_at, requested_by=None, reason=None, now=None):
    """Book the order's visit with a technician, or reschedule it; return the new active appointment.

    A reschedule supersedes the live appointment and records who asked (customer or company) and why.
    """
    order = get_visible_order(actor, order_id, for_update=True)
    starts, ends = as_utc(starts_at), as_utc(ends_at)
    check_window(starts, ends, now=now)
    technician = _bookable_technician(technician_id, order)
    live = db.session.scalar(
        select(Appointment).where(Appointment.work_order_id == order.id, Appointment.status == "active")
    )
    if live is not None and not requested_by:
        raise InvalidInput(
            "A reschedule records who asked for it.",
            code="reschedule_needs_requester",
            errors={"json": {"requested_by": ["Required when rescheduling: customer or company."]}},
        )
    clash = first_clash(technician.id, starts, ends, ignore_order_id=order.id)
    if clash is not None:
        raise _slot_taken(clash)
    if live is not None:
        live.status = "superseded"
        db.session.flush()  # free the old window before the new one is checked by the database
    appointment = Appointment(
        work_order_id=order.id,
        technician_id=technician.id,
        starts_at=starts,
        ends_at=ends,
        status="active",
        requested_by=requested_by,
        reason=reason,
        previous_id=live.id if live else None,
        booked_by_id=actor.id,
    )
    db.session.add(appointment)
    if order.status != "scheduled":
        transition(order, "scheduled", actor, reason or ("rescheduled" if live else "booked"))
    order.technician_id = technician.id
    message = compose("rescheduled" if live else "booked", order, appointment=appointment)
    _commit_booking()
    dispatch(message)  # after the commit: the customer hears of a booking that exists
    return appointment


def check_window(starts: datetime, ends: datetime, *, now=None):
    """Refuse a window that ends before it starts, spans days, leaves working hours or lies in the past."""
    if ends <= starts:
        raise InvalidInput(
            "The window must end after it starts.",
            code="bad_window",
            errors={"json": {"ends_at": ["Must be after starts_at."]}},
        )
    local_start, local_end = starts.astimezone(LOCAL_TZ), ends.astimezone(LOCAL_TZ)
    if local_start.date() != local_end.date():
        raise InvalidInput(
            "A visit starts and ends on the same day.",
            code="bad_window",
            errors={"json": {"ends_at": ["Must be on the same local day as starts_at."]}},
        )
    opens, closes = working_hours()
    if local_start.time() < opens or local_end.time() > closes:
        raise InvalidInput(
            f"Visits are booked between {opens:%H:%M} and {closes:%H:%M}.",
            code="outside_working_hours",
            errors={"json": {"starts_at": [f"Working hours are {opens:%H:%M}–{closes:%H:%M}."]}},
        )
    if starts < (now or utcnow()):
        raise InvalidInput(
            "The window has already started.",
            code="window_in_past",
            errors={"json": {"starts_at": ["Must be in the future."]}},
        )


def _bookable_technician(technician_id, order) -> User:
    # The row lock serialises bookings of one technician on PostgreSQL, so the buffer check is exact.
    technician = db.session.scalar(select(User).where(User.id == technician_id).with_for_update())
    if technician is None or technician.role != "technician" or not technician.active:
        raise InvalidInput(
            "Book an active technician.",
            code="unknown_technician",
            errors={"json": {"technician_id": [f"No active technician {technician_id}."]}},
        )
    if technician.skills and order.type not in technician.skills:
        raise Conflict(
            f"{technician.name} does not do {order.type} work.",
            code="technician_lacks_skill",
            errors={"json": {"technician_id": [f"Skills: {', '.join(technician.skills)}."]}},
        )
    if technician.areas and order.area and order.area not in technician.areas:
        raise Conflict(
            f"{technician.name} does not serve {order.area}.",
            code="technician_outside_area",
            errors={"json": {"technician_id": [f"Areas: {', '.join(technician.areas)}."]}},
        )
    return technician


def first_clash(technician_id, starts, ends, *, ignore_order_id=None):
    """Return an active appointment of the technician closer than the travel buffer to the window, if any."""
    gap = travel_buffer()
    query = (
        select(Appointment)
        .where(
            Appointment.technician_id == technician_id,
            Appointment.status == "active",
            Appointment.starts_at < ends + gap,
            Appointment.ends_at > starts - gap,
        )
        .order_by(Appointment.starts_at)
        .limit(1)
    )
    if ignore_order_id is not None:
        query = query.where(Appointment.work_order_id != ignore_order_id)
    return db.session.scalar(query)


def _slot_taken(clash):
    window = f"{clash.starts_at.astimezone(LOCAL_TZ):%H:%M}–{clash.ends_at.astimezone(LOCAL_TZ):%H:%M}"
    minutes = int(travel_buffer().total_seconds() // 60)
    return SlotTaken(
        f"The technician is booked {window} (plus {minutes} minutes' travel either side).",
        errors={"json": {"starts_at": [f"Clashes with the visit {window}."]}},
    )


def _commit_booking():
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        if "no_double_booking" in str(error.orig):
            raise SlotTaken(
                "Another booking took this slot a moment ago.", errors={"json": {"starts_at": ["Slot just taken."]}}
            ) from None
        if "uq_appointments_active_order" in str(error.orig):
            raise Conflict(
                "This order was booked by someone else a moment ago; reload.", code="concurrent_update"
            ) from None
        raise
    except StaleDataError:
        db.session.rollback()
        raise Conflict(
            "This order was changed by someone else a moment ago; reload.", code="concurrent_update"
        ) from None


def technicians(*, branch=None, area=None, skill=None):
    """Return active technicians, optionally those of a branch, serving an area, with a skill."""
    query = select(User).where(User.role == "technician", User.active.is_(True)).order_by(User.branch, User.name)
    if branch:
        query = query.where(User.branch == branch)
    found = db.session.scalars(query).all()
    # Skills and areas are short JSON lists; an empty list means "any".
    return [
        t
        for t in found
        if (not area or not t.areas or area in t.areas) and (not skill or not t.skills or skill in t.skills)
    ]


# A board view is a day or a week; longer ranges are refused so one request stays one screen's worth.
MAX_AVAILABILITY_DAYS = 7


def availability(day, *, days=1, branch=None, area=None, skill=None, now=None):
    """Return each technician's free windows over ``days`` local days from ``day``.

    Free windows are working hours minus visits and travel buffers, day by day (never before
    ``now``); booked visits are those of the whole range. One query reads the range's visits, so a
    week costs the board one request, like a day.
    """
    if not 1 <= days <= MAX_AVAILABILITY_DAYS:
        raise InvalidInput(
            f"A board shows 1 to {MAX_AVAILABILITY_DAYS} days.",
            errors={"query": {"days": [f"Must be between 1 and {MAX_AVAILABILITY_DAYS}."]}},
        )
    opens, closes = working_hours()
    dates = [day + timedelta(days=offset) for offset in range(days)]
    hours = [
        (
            datetime.combine(date, opens, tzinfo=LOCAL_TZ).astimezone(UTC),
            datetime.combine(date, closes, tzinfo=LOCAL_TZ).astimezone(UTC),
        )
        for date in dates
    ]
    now = now or utcnow()
    staff = technicians(branch=branch, area=area, skill=skill)
    start, _ = local_day_bounds(dates[0])
    _, end = local_day_bounds(dates[-1])
    booked = db.session.execute(
        select(Appointment, WorkOrder.number, WorkOrder.status, WorkOrder.type)
        .join(WorkOrder, WorkOrder.id == Appointment.work_order_id)
        .where(
            Appointment.technician_id.in_([t.id for t in staff]),
            Appointment.status == "active",
            # A visit starts and ends on one local day (check_window), so none that began before
            # the range reaches into it. Bounded on both sides, PostgreSQL reads the range's
            # visits only; with the upper bound alone it read every active appointment (8,000 at
            # 1M orders) or every work order (a hash join at 10k).
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
            Appointment.ends_at > start,
        )
        .order_by(Appointment.starts_at)
    ).all()
    by_technician: dict[int, list] = {}
    for row in booked:
        by_technician.setdefault(row[0].technician_id, []).append(row)
    gap = travel_buffer()
    result = []
    for technician in staff:
        visits = by_technician.get(technician.id, [])
        busy = [(a.starts_at - gap, a.ends_at + gap) for a, *_ in visits]
        result.append(
            {
                "technician": technician,
                "free": [
                    window
                    for opens_at, closes_at in hours
                    for window in free_windows(max(opens_at, now), closes_at, busy)
                ],
                "booked": [
                    {
                        "appointment_id": a.id,
                        "work_order_id": a.work_order_id,
                        "number": number,
                        "status": status,
                        "type": order_type,
                        "starts_at": a.starts_at,
                        "ends_at": a.ends_at,
                    }
                    for a, number, status, order_type in visits
                ],
            }
        )
    return {
        "date": dates[0],
        "until": dates[-1],
        "days": days,
        "working_hours": {"start": opens.strftime("%H:%M"), "end": closes.strftime("%H:%M")},
        "travel_buffer_minutes": int(gap.total_seconds() // 60),
        "technicians": result,
    }


def visit_minutes(order_type: str) -> int:
    """Return how long a visit of this type is booked for (config VISIT_MINUTES, per type; 60 otherwise)."""
    return int(current_app.config.get("VISIT_MINUTES", {}).get(order_type, 60))


def suggested_windows(actor, order_id, *, now=None, limit=5) -> dict:
    """Return the earliest bookable windows for an order: technicians with its type as a skill, in its area.

    Each suggestion is a window of the visit's length at the start of a free stretch, over the next
    SUGGEST_DAYS days (config, default 7), earliest first.
    """
    order = get_visible_order(actor, order_id)
    now = now or utcnow()
    length = timedelta(minutes=visit_minutes(order.type))
    today = now.astimezone(LOCAL_TZ).date()
    suggestions = []
    for offset in range(int(current_app.config.get("SUGGEST_DAYS", 7))):
        day = availability(today + timedelta(days=offset), area=order.area, skill=order.type, now=now)
        for entry in day["technicians"]:
            for window in entry["free"]:
                starts = _round_up(window["starts_at"])
                if starts + length <= window["ends_at"]:
                    suggestion = {"technician": entry["technician"], "starts_at": starts, "ends_at": starts + length}
                    suggestions.append(suggestion)
        if len(suggestions) >= limit:
            break
    suggestions.sort(key=lambda s: (s["starts_at"], s["technician"].id))
    minutes = int(length.total_seconds() // 60)
    return {"work_order_id": order.id, "visit_minutes": minutes, "windows": suggestions[:limit]}


def _round_up(at: datetime, minutes: int = 15) -> datetime:
    """Round up to the next quarter hour: a customer is offered 10:15, not 10:07."""
    step = timedelta(minutes=minutes)
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    remainder = (at - epoch) % step
    return at if not remainder else at + (step - remainder)


def free_windows(opens: datetime, closes: datetime, busy) -> list[dict]:
    """Return the parts of [opens, closes) not covered by any busy (start, end) interval."""
    windows, cursor = [], opens
    for busy_start, busy_end in sorted(busy):
        if busy_start > cursor:
            windows.append({"starts_at": cursor, "ends_at": min(busy_start, closes)})
        cursor = max(cursor, busy_end)
        if cursor >= closes:
            break
    if cursor < closes:
        windows.append({"starts_at": cursor, "ends_at": closes})
    return [w for w in windows if w["ends_at"] > w["starts_at"]]


def agenda(technician, day, *, now=None):
    """Return a technician's day as the PWA stores it offline: visits with order and customer, and the rules.

    The greeting is not computed here: the app greets by the time of the call, from the
    ``greetings`` rules (time of day, the 新年好 season as dates) it keeps with the flows and tariff.

    Visits are plain dicts holding just what the agenda shows (one lean query, no ORM objects):
    the agenda is the technicians' most frequent call.
    """
    start, end = local_day_bounds(day)
    rows = (
        db.session.connection()
        .execute(_AGENDA_QUERY, {"technician_id": technician.id, "start": start, "end": end})
        .all()
    )
    visits = []
    for row in rows:
        visit = {"appointment": {}, "work_order": {}, "customer": {}}
        for (part, name, _), value in zip(_AGENDA_COLUMNS, row, strict=True):
            visit[part][name] = value
        visit["customer"]["surname_title"] = _surname_title(visit["customer"]["name"], visit["customer"]["title"])
        visits.append(visit)
    return {
        "date": day,
        "server_time": now or utcnow(),
        "technician": technician,
        "visits": visits,
        "greetings": greeting_rules(day),
        **visit_definitions_hook(),
    }


def _surname_title(name, title) -> dict | None:
    """Return how the app addresses the customer ({zh, en}), or None when no title is recorded."""
    zh = customer_title(name, title)
    return None if zh is None else {"zh": zh, "en": customer_title(name, title, lang="en")}


def visit_definitions_hook() -> dict:
    """Return the agenda's "flows" (every type, so a rebooked order finds its flow offline) and "tariff"."""
    return {"flows": flows_for_agenda(), "tariff": tariff_for_agenda()}
