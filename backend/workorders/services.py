"""Work orders: numbering, who sees which, edits against lost updates, status moves, phone guidance."""

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import lazyload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from backend.apifields import id_exists_in_range
from backend.booking.models import Appointment
from backend.customers.models import Customer
from backend.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from backend.extensions import db
from backend.reports import rollups
from backend.reports.facts import ORDER_FIELDS_IN_CELLS
from backend.timeutil import LOCAL_TZ, local_day_bounds, utcnow
from backend.workorders.models import PhoneGuidance, StatusChange, WorkOrder, WorkOrderCounter
from backend.workorders.statemachine import allowed_targets, transition

OFFICE_ROLES = ("dispatcher", "manager", "admin")
# Appointments that were or are a real plan for a visit (not replaced or called off).
KEPT_APPOINTMENT_STATUSES = ("active", "done")
# Moves a technician makes on their own orders; the rest is the call centre's.
TECHNICIAN_MOVES = {"en_route", "on_site", "completed", "no_access", "needs_revisit"}
# Moves that have their own endpoint, because they need more than a reason.
MOVES_WITH_OWN_ENDPOINT = {
    "scheduled": "POST /work-orders/{id}/appointment",
    "resolved_by_phone": "POST /work-orders/{id}/phone-guidance",
}
# When the visit is over (or off), its appointment no longer holds the technician's time.
APPOINTMENT_OUTCOME = {"completed": "done", "no_access": "done", "needs_revisit": "done", "cancelled": "cancelled"}


class PreconditionFailed(DomainError):
    code = "precondition_failed"
    status = 412


class PreconditionRequired(DomainError):
    code = "precondition_required"
    status = 428


def next_number(now=None) -> str:
    """Hand out the next readable number of the local day, e.g. WO-20261122-0042 (safe under concurrency)."""
    day = (now or utcnow()).astimezone(LOCAL_TZ).date()
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    table = WorkOrderCounter.__table__
    # One atomic upsert: concurrent creators each get their own value (the row lock orders them).
    statement = (
        dialect.insert(table)
        .values(day=day, last=1)
        .on_conflict_do_update(index_elements=[table.c.day], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    last = db.session.execute(statement).scalar_one()
    return f"WO-{day:%Y%m%d}-{last:04d}"


def visible_orders_query(user, *, status=None, technician_id=None, customer_id=None, date=None, type=None, q=None):
    """Return the SELECT of the work orders `user` may see, filtered; newest first."""
    # Lists show no history: skip its per-page query.
    query = (
        select(WorkOrder)
        .options(selectinload(WorkOrder.technician), lazyload(WorkOrder.history))
        .order_by(WorkOrder.id.desc())
    )
    if user.role not in OFFICE_ROLES:
        query = query.where(WorkOrder.technician_id == user.id)
    if status:
        query = query.where(WorkOrder.status == status)
    if technician_id:
        query = query.where(WorkOrder.technician_id == technician_id)
    if customer_id:
        query = query.where(WorkOrder.customer_id == customer_id)
    if type:
        query = query.where(WorkOrder.type == type)
    if q:
        query = query.where(WorkOrder.number.contains(q, autoescape=True))
    if date:
        start, end = local_day_bounds(date)
        on_that_day = select(Appointment.work_order_id).where(
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
            Appointment.status.in_(KEPT_APPOINTMENT_STATUSES),
        )
        query = query.where(WorkOrder.id.in_(on_that_day))
    return query


def attach_current_appointments(orders):
    """Set `order.appointment` on each order: its live appointment, else the last one kept (one query)."""
    by_order = {order.id: order for order in orders}
    for order in orders:
        order.appointment = None
    if not by_order:
        return orders
    rows = db.session.scalars(
        select(Appointment)
        .where(Appointment.work_order_id.in_(by_order), Appointment.status.in_(KEPT_APPOINTMENT_STATUSES))
        .order_by(Appointment.starts_at)
    )
    for appointment in rows:
        order = by_order[appointment.work_order_id]
        if order.appointment is None or order.appointment.status != "active":
            order.appointment = appointment
    return orders


def get_visible_order(user, order_id: int, *, for_update=False) -> WorkOrder:
    """Return a work order `user` may see; another technician's order is answered like a missing one."""
    if not id_exists_in_range(order_id):
        raise NotFound(f"No work order {order_id}.")
    query = select(WorkOrder).where(WorkOrder.id == order_id)
    if for_update:
        query = query.with_for_update(of=WorkOrder)
    order = db.session.scalar(query)
    if order is None or (user.role not in OFFICE_ROLES and order.technician_id != user.id):
        raise NotFound(f"No work order {order_id}.")
    return order


def order_detail(order: WorkOrder) -> WorkOrder:
    """Load what the detail view shows on top of the order itself."""
    attach_current_appointments([order])
    order.appointments = db.session.scalars(
        select(Appointment).where(Appointment.work_order_id == order.id).order_by(Appointment.id)
    ).all()
    order.phone_guidance = db.session.scalars(
        select(PhoneGuidance).where(PhoneGuidance.work_order_id == order.id).order_by(PhoneGuidance.id)
    ).all()
    order.allowed_statuses = sorted(allowed_targets(order.status))
    order.visit = visit_record(order)
    return order


def visit_record(order: WorkOrder):
    """Return the visit's compliance record and audit events for the detail, or None before any visit."""
    from backend.visits.services import visit_for_work_order  # the visits area builds on work orders

    return visit_for_work_order(order)


def create_order(actor, data: dict) -> WorkOrder:
    """Open a work order for a customer; the address, branch and area default to the customer's."""
    customer = db.session.get(Customer, data["customer_id"])
    if customer is None:
        raise InvalidInput(
            "No such customer.",
            code="unknown_customer",
            errors={"json": {"customer_id": [f"No customer {data['customer_id']}."]}},
        )
    order = WorkOrder(
        number=next_number(),
        type=data["type"],
        priority=data.get("priority", "normal"),
        description=data.get("description", ""),
        fault_kind=data.get("fault_kind"),
        status="new",
        customer=customer,
        address=data.get("address") or customer.address,
        branch=data.get("branch", customer.branch),
        area=data.get("area", customer.area),
        created_by_id=actor.id,
    )
    db.session.add(order)
    order.history.append(StatusChange(from_status=None, to_status="new", actor_id=actor.id, reason="opened"))
    db.session.commit()
    return order


def etag_of(order: WorkOrder) -> str:
    """Return the ETag of an order's current version."""
    return f'"{order.version}"'


def update_order(actor, order: WorkOrder, changes: dict, if_match: str | None) -> WorkOrder:
    """Change an order's details, refusing a change made against a stale copy (If-Match)."""
    if not if_match:
        raise PreconditionRequired("Send If-Match with the ETag of the work order you are changing.")
    if if_match.strip() not in (etag_of(order), "*"):
        raise PreconditionFailed(
            f"Work order {order.number} changed since you read it; reload and try again.",
            errors={"headers": {"If-Match": [f"Current ETag is {etag_of(order)}."]}},
        )
    if "type" in changes and changes["type"] != order.type and order.status != "new":
        raise Conflict(
            "The type can change only while the order is new.",
            code="type_locked",
            errors={"json": {"type": ["Only while status is new."]}},
        )
    # The manager's figures count a visit under its order's branch and area: moving the order moves them.
    moves_figures = any(field in changes and changes[field] != getattr(order, field) for field in ORDER_FIELDS_IN_CELLS)
    earlier_cells = rollups.cells_of_order(order.id) if moves_figures else set()
    for field, value in changes.items():
        setattr(order, field, value)
    _commit_against_lost_update(order)
    rollups.refresh_after_move(order.id, earlier_cells)
    return order


def change_status(actor, order: WorkOrder, to_status: str, reason=None):
    """Move an order through the state machine, settling its appointment; who may move what is checked."""
    if to_status in MOVES_WITH_OWN_ENDPOINT:
        raise Conflict(
            f"Use {MOVES_WITH_OWN_ENDPOINT[to_status]} to move an order to {to_status}.",
            code="use_dedicated_endpoint",
            errors={"json": {"to": ["Has its own endpoint."]}},
        )
    if actor.role == "technician" and to_status not in TECHNICIAN_MOVES:
        raise Forbidden(f"A technician may not move an order to {to_status}.")
    apply_status(actor, order, to_status, reason)
    _commit_against_lost_update(order)
    return order


def apply_status(actor, order: WorkOrder, to_status: str, reason=None):
    """Make a legal move and settle the live appointment (done or cancelled); the caller commits.

    The visits area calls this for moves that arrive through sync.
    """
    transition(order, to_status, actor, reason)
    outcome = APPOINTMENT_OUTCOME.get(to_status)
    if outcome:
        live = db.session.scalar(
            select(Appointment).where(Appointment.work_order_id == order.id, Appointment.status == "active")
        )
        if live is not None:
            live.status = outcome


def record_phone_guidance(actor, order: WorkOrder, *, customer_verified: bool, resolved: bool, notes="") -> WorkOrder:
    """Record a phone-guidance attempt; solved on the phone, the order closes as resolved_by_phone."""
    if not customer_verified:
        raise InvalidInput(
            "Verify the customer's details before phone guidance (核对客户信息).",
            code="customer_not_verified",
            errors={"json": {"customer_verified": ["Must be true."]}},
        )
    if order.status != "new":
        raise Conflict(
            f"Phone guidance is for new orders; {order.number} is {order.status}.",
            code="illegal_transition",
            errors={"status": ["Phone guidance only while new."]},
        )
    db.session.add(PhoneGuidance(work_order_id=order.id, actor_id=actor.id, resolved=resolved, notes=notes))
    if resolved:
        transition(order, "resolved_by_phone", actor, notes or "resolved by phone guidance")
    _commit_against_lost_update(order)
    return order


def _commit_against_lost_update(order):
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise PreconditionFailed(
            f"Work order {order.number} was changed by someone else meanwhile; reload.", code="concurrent_update"
        ) from None
