"""Today's visits with where each stands, the alerts the standard cares about, and a change cursor.

The board is one request: the day's active appointments joined with their order, technician,
customer and latest visit. Changes are learned by long-polling a cursor made of the newest ids
of the three append-only tables every change writes (visit events, status changes, appointments),
so a waiting console costs one cheap query a second and no lock.
"""

import datetime as dt
import time

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from backend.auth.models import User
from backend.booking.models import Appointment
from backend.customers.models import Customer
from backend.extensions import db
from backend.greetings import customer_title
from backend.timeutil import local_day_bounds
from backend.visits.engine import current_step
from backend.visits.models import SyncOp, Visit, VisitEvent
from backend.workorders.models import StatusChange, WorkOrder

# The alerts, in the order a dispatcher should act on them.
ALERTS = ("no_checkin", "late_without_notice", "no_access", "needs_revisit")
AWAITING_ARRIVAL = ("scheduled", "en_route")
POLL_SECONDS = 1.0
MAX_WAIT_SECONDS = 25


def live_day(day: dt.date, *, now: dt.datetime, branch: str | None = None) -> dict:
    """Return the day's visits (by window start) with their state and alerts, the technicians' last sync, the cursor."""
    start, end = local_day_bounds(day)
    latest_visit = (
        select(Visit.work_order_id, func.max(Visit.id).label("visit_id")).group_by(Visit.work_order_id).subquery()
    )
    visit = aliased(Visit)
    query = (
        select(Appointment, WorkOrder, Customer, User, visit)
        .join(WorkOrder, Appointment.work_order_id == WorkOrder.id)
        .join(Customer, WorkOrder.customer_id == Customer.id)
        .join(User, Appointment.technician_id == User.id)
        .outerjoin(latest_visit, latest_visit.c.work_order_id == WorkOrder.id)
        .outerjoin(visit, visit.id == latest_visit.c.visit_id)
        .where(Appointment.status == "active", Appointment.starts_at >= start, Appointment.starts_at < end)
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if branch:
        query = query.where(WorkOrder.branch == branch)
    rows = db.session.execute(query).all()
    technician_ids = sorted({appointment.technician_id for appointment, *_ in rows})
    last_sync = dict(
        db.session.execute(
            select(SyncOp.user_id, func.max(SyncOp.received_at))
            .where(SyncOp.user_id.in_(technician_ids))
            .group_by(SyncOp.user_id)
        ).all()
    )
    visits = [
        _entry(appointment, order, customer, visit_row, now) for appointment, order, customer, _, visit_row in rows
    ]
    technicians = {}
    for _, _, _, technician, _ in rows:
        technicians[technician.id] = {
            "id": technician.id,
            "name": technician.name,
            "employee_no": technician.employee_no,
            "last_sync_at": last_sync.get(technician.id),
        }
    return {
        "date": day,
        "server_time": now,
        "visits": visits,
        "technicians": list(technicians.values()),
        "cursor": cursor(),
    }


def _entry(appointment, order, customer, visit, now) -> dict:
    state = None
    if visit is not None:
        state = {
            "current_step": current_step(visit) if visit.ended_at is None else None,
            "completed_steps": list(visit.completed_steps),
            "checked_in_at": visit.checked_in_at,
            "arrival_class": visit.arrival_class,
            "late_notice": visit.late_notice_at is not None,
            "outcome": visit.outcome,
            "ended_at": visit.ended_at,
        }
    return {
        "work_order": {"id": order.id, "number": order.number, "type": order.type, "status": order.status},
        "customer": customer_title(customer.name, customer.title),
        "address": order.address,
        "technician_id": appointment.technician_id,
        "window": {"start": appointment.starts_at, "end": appointment.ends_at},
        "visit": state,
        "alerts": alerts_for(appointment, order, visit, now),
    }


def alerts_for(appointment, order, visit, now) -> list[str]:
    """Return what the standard says needs a dispatcher now, for one booked visit."""
    alerts = []
    checked_in = visit is not None and visit.checked_in_at is not None
    noticed = visit is not None and visit.late_notice_at is not None
    waiting = order.status in AWAITING_ARRIVAL and not checked_in and now >= appointment.starts_at
    if waiting:
        alerts.append("no_checkin")
    if (waiting or (visit is not None and visit.arrival_class == "late")) and not noticed:
        alerts.append("late_without_notice")
    if order.status == "no_access":
        alerts.append("no_access")
    if order.status == "needs_revisit":
        alerts.append("needs_revisit")
    return alerts


def cursor() -> str:
    """Return the change cursor: the newest visit-event, status-change and appointment ids."""
    row = db.session.execute(
        select(
            select(func.coalesce(func.max(VisitEvent.id), 0)).scalar_subquery(),
            select(func.coalesce(func.max(StatusChange.id), 0)).scalar_subquery(),
            select(func.coalesce(func.max(Appointment.id), 0)).scalar_subquery(),
        )
    ).one()
    return ".".join(str(n) for n in row)


def wait_for_change(since: str, *, wait_seconds: float, sleep=time.sleep) -> dict:
    """Long-poll: return as soon as the cursor differs from ``since``, or after ``wait_seconds`` unchanged.

    Each check is its own short transaction (ended before sleeping), so a waiting console holds no
    lock and no connection between checks.
    """
    deadline = time.monotonic() + min(wait_seconds, MAX_WAIT_SECONDS)
    while True:
        now_cursor = cursor()
        db.session.rollback()  # end the read transaction before waiting
        if now_cursor != since or time.monotonic() >= deadline:
            return {"cursor": now_cursor, "changed": now_cursor != since}
        sleep(POLL_SECONDS)
