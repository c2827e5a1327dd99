"""The visit engine: apply technician actions to a work order's visit, checking the standard.

`load_states` reads each work order's state once, `apply` applies one op to it in memory
(refused: `OpRefused`, the state unchanged), `write` stores what the applied ops changed;
`apply_op` does the three for one op. The op types are declared once, in `OPS`.
Times in ops are the device's clock, when the thing happened; the server's receive time is
kept on the audit event.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

import psycopg
from marshmallow import Schema, ValidationError
from sqlalchemy import bindparam, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from backend.aftercare.services import open_complaint, supervisor_for
from backend.booking.models import Appointment
from backend.errors import DomainError
from backend.extensions import db
from backend.timeutil import utcnow
from backend.visits import payloads
from backend.visits.attachments import scoped_attachment_id
from backend.visits.compliance import (
    ATTESTED,
    MISSED,
    NOT_APPLICABLE,
    SITUATIONAL_RULES,
    VERIFIED,
    record_rule,
    visit_score,
)
from backend.visits.definitions import STEP_IDS, flow_step, get_flow, swap_items, tariff_items
from backend.visits.models import LATE_WITHOUT_NOTICE, Attachment, Lead, SyncOp, Visit, VisitEvent
from backend.visits.payloads import MOT_KEYS, MOT_SCALE, RATING_KEYS, RATING_SCALE
from backend.workorders.models import PhoneGuidance, StatusChange, WorkOrder
from backend.workorders.statemachine import check_transition

# The operate item by which the technician agreed to contact the customer after the fix
# (修复后主动联系客户进行确认): ticked, the visit's end opens a follow-up case for it.
FOLLOW_UP_ITEM = ("operate", "follow_up_agreed")
# Order statuses in which a technician's first action opens a new visit.
STARTABLE = ("scheduled", "en_route", "on_site")


class OpRefused(Exception):
    """The action was not applied: `status` is conflict or rejected, with a stable code."""

    def __init__(self, status, code, message, errors=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or {}

    def to_result(self):
        """Return the per-op result body (without op_id)."""
        body = {"status": self.status, "code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


def rejected(code, message, errors=None):
    """Return the refusal of an action that is itself invalid."""
    return OpRefused("rejected", code, message, errors)


def conflict(code, message, errors=None):
    """Return the refusal of an action the work order's state no longer allows."""
    return OpRefused("conflict", code, message, errors)


# --- a work order's state, loaded once per batch, changed in memory, written once -------------

# Visit columns the engine reads and changes (every column but the keys and bookkeeping).
_VISIT_FIELDS = tuple(c.key for c in Visit.__table__.columns if c.key not in ("id", "updated_at"))
# The statements every visit's write runs, built once: composing one (and its cache key) cost
# more CPU than running it.
_INSERT_VISIT = insert(Visit).returning(Visit.id)
# The order's version moves as the ORM's optimistic lock would move it (the ETag changes).
_UPDATE_ORDER_STATUS = (
    update(WorkOrder)
    .where(WorkOrder.id == bindparam("order_id"), WorkOrder.version == bindparam("read_version"))
    .values(status=bindparam("new_status"), version=bindparam("new_version"), updated_at=bindparam("now"))
)
_APPOINTMENT_DONE = update(Appointment).where(Appointment.id == bindparam("appointment_id")).values(status="done")
_LINK_ATTACHMENTS = (
    update(Attachment)
    .where(Attachment.id.in_(bindparam("attachment_ids", expanding=True)))
    .values(work_order_id=bindparam("linked_order_id"))
)
# The state's three look-ups, built once as the statements above are.
_OPEN_VISITS = select(Visit).where(
    Visit.work_order_id.in_(bindparam("order_ids", expanding=True)), Visit.ended_at.is_(None)
)
_ACTIVE_APPOINTMENTS = select(Appointment).where(
    Appointment.work_order_id.in_(bindparam("order_ids", expanding=True)), Appointment.status == "active"
)
_ATTACHMENT_OWNERS = select(Attachment.id, Attachment.work_order_id, Attachment.uploaded_by_id).where(
    Attachment.id.in_(bindparam("attachment_ids", expanding=True))
)


class VisitState(SimpleNamespace):
    """A visit's columns as plain attributes: what handlers read and change, off the session."""

    @classmethod
    def of(cls, row):
        """Return the state of a stored visit row."""
        return cls(id=row.id, **{key: getattr(row, key) for key in _VISIT_FIELDS})


@dataclass
class OrderState:
    """Everything one work order's ops read and change in a batch, loaded at once.

    Applying an op replaces `visit` by a changed copy and records effects here; a refused op
    gets the state it started from back (`_saved` / `_restore`), so it changed nothing.
    """

    order: WorkOrder
    appointment: Appointment | None  # the active one when the batch was loaded
    attachments: dict  # attachment id -> (work_order_id, uploaded_by_id), as stored
    visit: VisitState | None = None  # the open visit, or the one this batch started or ended
    stored_visit: Visit | None = None  # its row, when it existed before the batch
    status: str = ""
    status_changes: list = field(default_factory=list)
    appointment_done: bool = False
    links: dict = field(default_factory=dict)  # attachment id -> work order id, linked in this batch
    leads: list | None = None  # help.record's leads, replacing the visit's
    phone_guidance: list = field(default_factory=list)  # rows of a fix by phone on the call
    follow_ups: list = field(default_factory=list)  # follow-up cases the visit's end opens
    was_assigned: bool | None = None
    flows: dict = field(default_factory=dict)  # flow type -> definition, read once per batch
    events: list = field(default_factory=list)
    sync_ops: list = field(default_factory=list)

    def _saved(self):
        return (
            self.visit,
            self.status,
            len(self.status_changes),
            self.appointment_done,
            dict(self.links),
            self.leads,
            len(self.phone_guidance),
            len(self.follow_ups),
        )

    def _restore(self, saved):
        self.visit, self.status, changes, self.appointment_done, self.links, self.leads, guidance, follow_ups = saved
        del self.status_changes[changes:]
        del self.phone_guidance[guidance:]
        del self.follow_ups[follow_ups:]

    def open_visit(self):
        """Return the visit in progress, or None."""
        return self.visit if self.visit is not None and self.visit.ended_at is None else None

    def stored_attachment_id(self, uploader_id, attachment_id):
        """Return the id an upload referenced by `attachment_id` is stored under, or None if none is.

        The actor's own upload sent under that id comes first (it may be kept under a scoped id,
        see `attachments.scoped_attachment_id`); otherwise the attachment of that id, whoever's.
        """
        stored = self.attachments.get(attachment_id)
        if stored is not None and stored[1] == uploader_id:
            return attachment_id
        scoped = scoped_attachment_id(uploader_id, attachment_id)
        if scoped in self.attachments:
            return scoped
        return attachment_id if stored is not None else None

    def attachment(self, attachment_id):
        """Return (work_order_id, uploaded_by_id) of an uploaded attachment, or None."""
        stored = self.attachments.get(attachment_id)
        if stored is None:
            return None
        return (self.links.get(attachment_id, stored[0]), stored[1])


@dataclass
class _Context:
    state: OrderState
    order: WorkOrder
    visit: VisitState
    actor: object
    flow: dict
    at: datetime
    payload: dict


def load_payload(op_type, data) -> dict:
    """Return an op's payload loaded by its type's schema (pure: no database), or raise OpRefused."""
    spec = OPS.get(op_type)
    if spec is None:
        raise rejected("unknown_op_type", f"Unknown action type '{op_type}'.", {"type": ["Unknown."]})
    try:
        return spec.payload.load(data or {})
    except ValidationError as exc:
        raise rejected("validation_error", "Some fields of the action are invalid.", {"data": exc.messages}) from exc


def attachment_ids(payload) -> set:
    """Return the strings of a payload that may name an attachment (to load them with one query)."""
    keys = ("notice_attachment_id", "attachment_id", "signature_attachment_id", "technician_signature_attachment_id")
    ids = {payload.get(key) for key in keys}
    if isinstance(payload.get("value"), str):
        ids.add(payload["value"])
    return {str(i) for i in ids if i}


def load_states(orders, actor, attachment_candidates=()) -> dict:
    """Return {work_order_id: OrderState} for the given (locked) orders, with three queries in all."""
    ids = [order.id for order in orders]
    if not ids:
        return {}
    visits = db.session.scalars(_OPEN_VISITS, {"order_ids": ids})
    open_by_order = {visit.work_order_id: visit for visit in visits}
    appointments = db.session.scalars(_ACTIVE_APPOINTMENTS, {"order_ids": ids})
    appointment_by_order = {a.work_order_id: a for a in appointments}
    attachments = {}
    # Each reference may name the actor's own upload kept under a scoped id: load both at once.
    candidates = sorted({i for c in attachment_candidates for i in (c, scoped_attachment_id(actor.id, c))})
    if candidates:
        rows = db.session.execute(_ATTACHMENT_OWNERS, {"attachment_ids": candidates})
        attachments = {row.id: (row.work_order_id, row.uploaded_by_id) for row in rows}
    states = {}
    for order in orders:
        row = open_by_order.get(order.id)
        states[order.id] = OrderState(
            order=order,
            appointment=appointment_by_order.get(order.id),
            attachments=attachments,
            visit=VisitState.of(row) if row is not None else None,
            stored_visit=row,
            status=order.status,
        )
    return states


def apply(state, actor, op_type, payload, at, *, data=None, op_id=None, device_id=None, received_at=None) -> dict:
    """Apply one loaded op to a work order's state in memory; return its result extras (e.g. flags).

    On success the op's audit event is added to `state.events`; a refused op raises OpRefused
    and leaves the state as it was. Nothing touches the database but lookups.
    """
    saved = state._saved()
    try:
        extras, visit = _apply(state, actor, op_type, payload, at)
    except DomainError as exc:  # e.g. a flow file missing
        state._restore(saved)
        raise conflict(exc.code, exc.message, exc.errors) from exc
    except BaseException:
        state._restore(saved)
        raise
    state.events.append(
        {
            "work_order_id": state.order.id,
            "visit": visit,
            "op_id": op_id,
            "actor_id": actor.id,
            "device_id": device_id,
            "type": op_type,
            "client_at": at,
            "server_at": received_at or utcnow(),
            "payload": data if data is not None else {},
        }
    )
    return extras


def _apply(state, actor, op_type, payload, at):
    check_order_access(state, actor)
    spec = OPS[op_type]
    current = state.open_visit()
    if current is None and op_type == "visit.complete":
        return {}, _ended_no_access_visit(state)
    # Handlers change a copy: the state keeps the visit the op started from until it applied.
    visit = copy.copy(current) if current is not None else _start_visit(state, actor, at)
    state.visit = visit
    if visit.flow_type not in state.flows:
        state.flows[visit.flow_type] = get_flow(visit.flow_type)
    ctx = _Context(state, state.order, visit, actor, state.flows[visit.flow_type], at, payload)
    if spec.steps:
        _require_step(ctx, *spec.steps)
    return spec.handler(ctx) or {}, visit


def write(state, actor):
    """Write what a work order's applied ops changed: the visit, order and appointment by one
    statement each, then rows in bulk.

    Core statements, not the ORM's unit of work (which compared and serialised every column of
    the visit, ~4 ms of a whole visit's sync); objects already in the session get the written
    values as committed state, so a caller holding them reads what was stored.
    """
    if not state.events:
        return
    connection = db.session.connection()
    now = utcnow()
    visit, row = state.visit, state.stored_visit
    if visit is not None:
        visit.compliance_score = visit_score(visit)
        if row is None:
            values = {key: getattr(visit, key) for key in _VISIT_FIELDS}
            visit.id = connection.execute(_INSERT_VISIT, {**values, "updated_at": now}).scalar_one()
        else:
            changed = {key: getattr(visit, key) for key in _VISIT_FIELDS if getattr(row, key) != getattr(visit, key)}
            if changed:
                changed["updated_at"] = now
                connection.execute(update(Visit).where(Visit.id == row.id).values(changed))
                _set_committed(row, changed)
            visit.id = row.id
    order = state.order
    if state.status != order.status:
        changed = {"status": state.status, "version": order.version + 1, "updated_at": now}
        stored = connection.execute(
            _UPDATE_ORDER_STATUS,
            {
                "order_id": order.id,
                "read_version": order.version,
                "new_status": changed["status"],
                "new_version": changed["version"],
                "now": now,
            },
        )
        if stored.rowcount != 1:
            raise StaleDataError(f"Work order {order.number} changed since it was read.")
        _set_committed(order, changed)
    if state.appointment_done and state.appointment is not None and state.appointment.status != "done":
        connection.execute(_APPOINTMENT_DONE, {"appointment_id": state.appointment.id})
        _set_committed(state.appointment, {"status": "done"})
    if state.status_changes:
        connection.execute(
            StatusChange.__table__.insert(),
            [{"work_order_id": order.id, "actor_id": actor.id, "at": now, **c} for c in state.status_changes],
        )
    if state.links:
        for order_id in set(state.links.values()):
            linked = [a for a, o in state.links.items() if o == order_id]
            connection.execute(_LINK_ATTACHMENTS, {"attachment_ids": linked, "linked_order_id": order_id})
    if state.leads is not None:
        if row is not None:  # a visit inserted just now has no leads to replace
            connection.execute(delete(Lead).where(Lead.visit_id == visit.id))
        if state.leads:
            connection.execute(Lead.__table__.insert(), [{**lead, "visit_id": visit.id} for lead in state.leads])
    if state.sync_ops:
        _insert_rows(connection, SyncOp, state.sync_ops)
    if state.phone_guidance:
        connection.execute(PhoneGuidance.__table__.insert(), state.phone_guidance)
    for follow_up in state.follow_ups:
        # The return-visit follow-up case (回访跟进) the aftercare team works, owned by the team lead.
        lead = supervisor_for(order.branch)
        open_complaint(
            actor,
            work_order_id=order.id,
            kind="follow_up",
            channel="visit",
            description=follow_up["description"],
            owner_id=lead.id if lead else None,
            now=follow_up["at"],
            commit=False,
        )
    # Each event holds the copy of the visit its op changed; the copies of a visit this batch
    # started have no id, and take the one the INSERT just gave it (one visit is written per batch).
    events = [
        {**{k: v for k, v in e.items() if k != "visit"}, "visit_id": e["visit"].id or visit.id} for e in state.events
    ]
    _insert_rows(connection, VisitEvent, events)


def _set_committed(obj, values):
    """Give an object of the session the values just written for it, without marking it changed."""
    for key, value in values.items():
        set_committed_value(obj, key, value)


def _insert_rows(connection, model, rows):
    """Insert rows (dicts with the same keys) in one go: COPY on PostgreSQL, executemany elsewhere.

    A whole visit writes ~70 sync ops and as many audit events. COPY streams them as one
    statement that PostgreSQL parses in C; an executemany (pipelined by psycopg) bound and sent
    each row as its own statement, with SQLAlchemy's and psycopg's per-row work (~4 ms of a
    whole visit's sync). The values pass through each column type's bind processing, as an
    INSERT would (JSON serialised, times checked aware and in UTC). A unique op_id broken by a
    racing batch raises SQLAlchemy's IntegrityError either way.
    """
    table = model.__table__
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    names = list(rows[0])
    dialect = connection.dialect
    columns = [(name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names]
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    cursor = connection.connection.driver_connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[name] if process is None else process(row[name]) for name, process in columns])
    except psycopg.IntegrityError as exc:
        raise IntegrityError(statement, None, exc) from exc
    finally:
        cursor.close()


def apply_op(order, actor, op_type, data, at, *, device_id=None, op_id=None, received_at=None) -> dict:
    """Apply one action to a work order and write it (the caller commits); return its result extras.

    The sync applies whole batches through `load_states`, `apply` and `write`; this is the
    same for one op.
    """
    payload = load_payload(op_type, data)
    state = load_states([order], actor, attachment_ids(payload))[order.id]
    extras = apply(
        state, actor, op_type, payload, at, data=data, op_id=op_id, device_id=device_id, received_at=received_at
    )
    write(state, actor)
    return extras


def check_order_access(state, actor):
    """Refuse actions on an order that is not (or no longer) the actor's, or was cancelled.

    An order the actor never had answers exactly as one that does not exist: a technician
    learns nothing (number, status) of other technicians' orders.
    """
    order = state.order
    if order.technician_id != actor.id:
        if state.was_assigned is None:
            state.was_assigned = _was_assigned(order, actor)
        if not state.was_assigned:
            raise order_not_found(order.id)
        if order.status != "cancelled":
            raise conflict("order_reassigned", f"Work order {order.number} was reassigned to someone else.")
    if state.status == "cancelled":
        raise conflict("order_cancelled", f"Work order {order.number} was cancelled.")


def order_not_found(work_order_id):
    """Return the refusal of an op on an order that does not exist (or is none of the actor's)."""
    return rejected("order_not_found", f"Work order {work_order_id} does not exist.", {"work_order_id": ["Unknown."]})


def _was_assigned(order, actor):
    return db.session.scalar(
        select(
            exists().where(Appointment.work_order_id == order.id, Appointment.technician_id == actor.id)
            | exists().where(Visit.work_order_id == order.id, Visit.technician_id == actor.id)
        )
    )


def _ended_no_access_visit(state):
    """`visit.complete` after `arrive.no_access` ended the visit is accepted and changes nothing."""
    last = state.visit
    if last is None:
        row = db.session.scalar(select(Visit).where(Visit.work_order_id == state.order.id).order_by(Visit.id.desc()))
        last = VisitState.of(row) if row is not None else None
    if last is not None and last.outcome == "no_access" and state.status == "no_access":
        return last
    raise conflict("visit_closed", f"Work order {state.order.number} has no visit in progress.")


def _start_visit(state, actor, at):
    order, status = state.order, state.status
    if status not in STARTABLE:
        if status == "new":
            raise conflict("order_not_scheduled", f"Work order {order.number} has no appointment yet.")
        raise conflict("visit_closed", f"Work order {order.number} is {status}; no visit is in progress.")
    flow = get_flow(order.type)
    appointment = state.appointment
    visit = VisitState(id=None, **dict.fromkeys(_VISIT_FIELDS))
    visit.__dict__.update(
        work_order_id=order.id,
        technician_id=actor.id,
        flow_type=flow["type"],
        flow_version=flow["version"],
        appointment_id=appointment.id if appointment else None,
        window_starts_at=appointment.starts_at if appointment else None,
        window_ends_at=appointment.ends_at if appointment else None,
        started_at=at,
        checklist={},
        call_attempts=[],
        knocks=[],
        needs=[],
        work_kinds=[],
        equipment_swaps=[],
        materials=[],
        fees=[],
        fees_total_cents=0,
        help_checks=[],
        attachments=[],
        completed_steps=[],
        flags=[],
        compliance={},
    )
    state.visit, state.stored_visit = visit, None
    if status == "scheduled":
        _move(state, "en_route", "visit started")
    return visit


def _move(state, to_status, reason):
    """Move the order's status in the batch's state (checked by the status machine)."""
    check_transition(state.order.number, state.status, to_status)
    state.status_changes.append({"from_status": state.status, "to_status": to_status, "reason": reason})
    state.status = to_status


# --- helpers ------------------------------------------------------------------------------


def current_step(visit):
    """Return the first step not completed yet, or None when all six are."""
    return next((s for s in STEP_IDS if s not in visit.completed_steps), None)


def _require_step(ctx, *steps):
    step = current_step(ctx.visit)
    if ctx.visit.outcome == "no_access" or step not in steps:
        raise rejected(
            "step_out_of_order",
            f"This action belongs to the {'/'.join(steps)} step; the current step is {step or 'none'}.",
            {"step": [f"Current step: {step or 'none'}."]},
        )


def _iso(value):
    return value.isoformat() if value is not None else None


def _parse(value):
    return datetime.fromisoformat(value)


def _set_flag(visit, flag, on):
    flags = [f for f in visit.flags if f != flag]
    visit.flags = flags + [flag] if on else flags


def _use_attachment(ctx, attachment_id, step, kind):
    """Link an uploaded attachment to the order and the visit; return the id it is stored under."""
    attachment_id = ctx.state.stored_attachment_id(ctx.actor.id, str(attachment_id)) or str(attachment_id)
    stored = ctx.state.attachment(attachment_id)
    if stored is None or stored[0] not in (None, ctx.order.id) or (stored[0] is None and stored[1] != ctx.actor.id):
        raise rejected(
            "attachment_not_found",
            f"Attachment {attachment_id} was not uploaded (upload it before the action that uses it).",
            {"attachment_id": ["Not uploaded."]},
        )
    if stored[0] is None:
        ctx.state.links[attachment_id] = ctx.order.id
    if not any(a["id"] == attachment_id for a in ctx.visit.attachments):
        ctx.visit.attachments = ctx.visit.attachments + [{"id": attachment_id, "step": step, "kind": kind}]
    return attachment_id


def _answered(item, answer):
    if answer is None:
        return False
    value = answer["value"]
    if item["kind"] == "check":
        return value is True
    if item["kind"] == "text":
        return bool(str(value).strip())
    return value is not None


def _verified(held):
    """Return the status of a rule the server checked itself: verified when it held, else missed."""
    return VERIFIED if held else MISSED


def _record_item(visit, step, item, answer, at):
    """Record a checklist item of a completed step as a rule of the standard.

    A tick is the technician's word (attested); a photo on file is evidence (verified); an item
    the flow says the server checks (`verified_by`) takes that rule's finding, so a tick the
    evidence contradicts (ticked "arrived early", checked in late) is missed, not attested.
    An optional item left unanswered did not arise on this visit.
    """
    rule = f"{step}.{item['id']}"
    if not _answered(item, answer):
        record_rule(visit, rule, NOT_APPLICABLE, {"answered": False}, at)
        return
    evidence = {"answer": answer["value"], "answered_at": answer["at"]}
    if item["kind"] == "photo":
        record_rule(visit, rule, VERIFIED, {**evidence, "attachment_id": answer["value"]}, at)
        return
    check = (visit.compliance or {}).get(item.get("verified_by") or "")
    if check is None or check["status"] == NOT_APPLICABLE:
        record_rule(visit, rule, ATTESTED, evidence, at)
        return
    found = {**evidence, "checked_by": item["verified_by"], "evidence": check["evidence"]}
    record_rule(visit, rule, VERIFIED if check["status"] == VERIFIED else MISSED, found, at)


# --- handlers, one per action type ----------------------------------------------------------


def _call_attempt(ctx):
    p = ctx.payload
    entry = {"at": _iso(ctx.at), "outcome": p["outcome"]}
    if "window" in p:
        entry["window"] = {"start": _iso(p["window"]["start"]), "end": _iso(p["window"]["end"])}
    for key in ("fault_description", "notes", "greeting"):
        if p.get(key):
            entry[key] = p[key]
    ctx.visit.call_attempts = ctx.visit.call_attempts + [entry]


def _phone_fix(ctx):
    """电话指导 on the pre-visit call: fixed on the phone, the order closes and frees its appointment."""
    visit = ctx.visit
    if not _reached(visit):
        raise rejected(
            "call_not_reached",
            "A fix by phone needs a logged call that reached the customer.",
            {"call_attempts": ["No call reached the customer."]},
        )
    notes = ctx.payload["notes"].strip()
    # The same record as the call centre's phone guidance, so the order's detail lists both alike.
    ctx.state.phone_guidance.append(
        {"work_order_id": ctx.order.id, "actor_id": ctx.actor.id, "resolved": True, "notes": notes, "at": ctx.at}
    )
    visit.outcome, visit.ended_at = "resolved_by_phone", ctx.at
    _move(ctx.state, "resolved_by_phone", f"fixed by phone on the call: {notes}"[:500])
    ctx.state.appointment_done = True


def _late_notice(ctx):
    visit = ctx.visit
    visit.late_notice = {"at": _iso(ctx.at), "reason": ctx.payload["reason"], "new_eta": _iso(ctx.payload["new_eta"])}
    if visit.late_notice_at is None or ctx.at < visit.late_notice_at:
        visit.late_notice_at = ctx.at
    return _assess_arrival(ctx)


def _checkin(ctx):
    visit, p = ctx.visit, ctx.payload
    if visit.checked_in_at is not None:
        raise rejected("already_checked_in", "This visit is already checked in.")
    visit.checked_in_at = ctx.at
    visit.checkin_lat, visit.checkin_lng, visit.checkin_accuracy_m = p.get("lat"), p.get("lng"), p.get("accuracy_m")
    appointment = ctx.state.appointment
    if appointment is not None:  # it may have been rescheduled since the visit started
        visit.appointment_id = appointment.id
        visit.window_starts_at, visit.window_ends_at = appointment.starts_at, appointment.ends_at
    if ctx.state.status != "on_site":
        _move(ctx.state, "on_site", "checked in at the door")
    return _assess_arrival(ctx)


def _window_start(visit):
    if visit.window_starts_at is not None:
        return visit.window_starts_at
    confirmed = [c["window"]["start"] for c in visit.call_attempts if c["outcome"] == "reached" and "window" in c]
    return _parse(confirmed[-1]) if confirmed else None


def _assess_arrival(ctx):
    """Classify the arrival against the window and check the late-notice rule."""
    visit, rules = ctx.visit, ctx.flow["rules"]
    start = _window_start(visit)
    if visit.checked_in_at is None or start is None:
        return {}
    lead = int((start - visit.checked_in_at).total_seconds())
    early_min, early_max = rules["arrive_early_min_minutes"] * 60, rules["arrive_early_max_minutes"] * 60
    arrival = "early" if lead >= early_min else "on_time" if lead >= 0 else "late"
    visit.arrival_class, visit.arrival_lead_seconds = arrival, lead
    evidence = {
        "checked_in_at": _iso(visit.checked_in_at),
        "window_starts_at": _iso(start),
        "minutes_before_window": round(lead / 60, 1),
        "arrival": arrival,
    }
    record_rule(visit, "arrive.on_time", _verified(arrival != "late"), evidence, ctx.at)
    record_rule(visit, "arrive.early_5_10_min", _verified(early_min <= lead <= early_max), evidence, ctx.at)
    late_unannounced = False
    notice = {**evidence, "late_notice_at": _iso(visit.late_notice_at)}
    if arrival == "late":
        notified = visit.late_notice_at is not None and visit.late_notice_at < start
        late_unannounced = not notified
        record_rule(visit, "arrive.late_notice_before_window", _verified(notified), notice, ctx.at)
    else:  # a late notice sent before an arrival that turned out on time changes nothing
        record_rule(visit, "arrive.late_notice_before_window", NOT_APPLICABLE, notice, ctx.at)
    _set_flag(visit, LATE_WITHOUT_NOTICE, late_unannounced)
    return {"flags": [LATE_WITHOUT_NOTICE]} if late_unannounced else {}


def _knock(ctx):
    ctx.visit.knocks = ctx.visit.knocks + [{"round": ctx.payload["round"], "at": _iso(ctx.at)}]


def knock_protocol(visit, rules):
    """Return what is missing from the knock protocol (empty when complete) and its evidence.

    004 at the door: 连续轻敲2次，每次3下，30秒重复1次，3分钟后不开门则电话联系. Read as: each recorded
    round is the sets of light knocks in a row (the app prompts them); a round comes every
    `knock_interval_seconds`, each gap within `knock_interval_tolerance_seconds` of it, until
    `call_after_knocking_seconds` have passed since the first (30 s and 3 minutes: rounds at 0,
    30, … 150 s, six in all); then the customer is phoned, at the earliest that long after the
    first round. Rounds after that call, and calls during the knocking, are not the protocol's.
    """
    interval, tolerance = rules["knock_interval_seconds"], rules["knock_interval_tolerance_seconds"]
    wait = rules["call_after_knocking_seconds"]
    knocks = sorted(_parse(k["at"]) for k in visit.knocks)
    first = knocks[0] if knocks else None
    call = next(
        (
            at
            for at in sorted(_parse(c["at"]) for c in visit.call_attempts)
            if first and at >= first + timedelta(seconds=wait)
        ),
        None,
    )
    rounds = [at for at in knocks if call is None or at < call]
    gaps = [round((later - earlier).total_seconds()) for earlier, later in zip(rounds, rounds[1:], strict=False)]
    needed = max(-(-wait // interval), 1)  # ceil: a round every interval for the whole wait
    missing = []
    if len(rounds) < needed:
        missing.append(f"{needed} knock rounds, one every {interval} s ({len(rounds)} recorded)")
    off = [gap for gap in gaps if abs(gap - interval) > tolerance]
    if off:
        missing.append(f"rounds {interval} s apart (±{tolerance} s), not {', '.join(f'{g} s' for g in off)}")
    if call is None:
        missing.append(f"a call to the customer {wait} s after the first knock")
    evidence = {
        "knock_rounds": len(rounds),
        "first_knock_at": _iso(first),
        "seconds_between_rounds": gaps,
        "call_after_knocking_at": _iso(call),
        "seconds_before_call": int((call - first).total_seconds()) if call else 0,
    }
    return missing, evidence


def _no_access(ctx):
    visit = ctx.visit
    missing, evidence = knock_protocol(visit, ctx.flow["rules"])
    if missing:
        rules = ctx.flow["rules"]
        # The flow's figures go with the refusal so the app's words state this flow's protocol.
        protocol = {
            "knock_interval_seconds": rules["knock_interval_seconds"],
            "knock_sets_per_round": rules["knock_sets_per_round"],
            "knocks_per_set": rules["knocks_per_set"],
            "call_after_knocking_seconds": rules["call_after_knocking_seconds"],
            # 004 says 3分钟: the words a technician reads give the wait in minutes.
            "call_after_knocking_minutes": round(rules["call_after_knocking_seconds"] / 60, 1),
        }
        raise rejected(
            "knock_protocol_incomplete",
            f"Before leaving a notice: {', '.join(missing)}.",
            {"knocks": missing, "protocol": protocol},
        )
    notice_id = _use_attachment(ctx, ctx.payload["notice_attachment_id"], "arrive", "notice")
    visit.no_access_notice_id = notice_id
    record_rule(visit, "arrive.knock_protocol", VERIFIED, evidence, ctx.at)
    record_rule(visit, "arrive.notice_left", VERIFIED, {"notice_attachment_id": notice_id}, ctx.at)
    visit.outcome, visit.ended_at = "no_access", ctx.at
    _move(ctx.state, "no_access", "nobody home; notice left")
    ctx.state.appointment_done = True


def _checklist_item(ctx):
    p = ctx.payload
    items = {item["id"]: item for item in flow_step(ctx.flow, p["step"])["checklist"]}
    item = items.get(p["item"])
    if item is None:
        raise rejected(
            "unknown_checklist_item", f"The {p['step']} step has no item '{p['item']}'.", {"item": ["Unknown."]}
        )
    return item


def _checklist_answer(ctx):
    p = ctx.payload
    item = _checklist_item(ctx)
    # What a completed step recorded is what the compliance record rests on: it changes only by
    # a correction, recorded with its reason (issue 10.9).
    if p["step"] in ctx.visit.completed_steps:
        raise rejected(
            "checklist_locked",
            f"The {p['step']} step is complete and its answers locked: correct one with checklist.correct.",
            {"step": ["Complete: answers are locked."]},
        )
    value = p["value"]
    if value is not None:
        value = _checked_value(ctx, p["step"], item, value)
    answers = {step: dict(entries) for step, entries in ctx.visit.checklist.items()}
    step_answers = answers.setdefault(p["step"], {})
    if value is None:
        step_answers.pop(item["id"], None)
    else:
        step_answers[item["id"]] = {"value": value, "at": _iso(ctx.at)}
    ctx.visit.checklist = answers


def _checklist_correct(ctx):
    p, visit = ctx.payload, ctx.visit
    item = _checklist_item(ctx)
    if p["step"] not in visit.completed_steps:
        raise rejected(
            "step_not_complete",
            f"The {p['step']} step is not complete: answer with checklist.answer.",
            {"step": ["Not complete: nothing to correct."]},
        )
    value = _checked_value(ctx, p["step"], item, p["value"])
    answers = {step: dict(entries) for step, entries in visit.checklist.items()}
    before = answers.setdefault(p["step"], {}).get(item["id"]) or {}
    # The answer keeps its history: each correction with the value it replaced, why and when.
    correction = {"from": before.get("value"), "to": value, "reason": p["reason"].strip(), "at": _iso(ctx.at)}
    answers[p["step"]][item["id"]] = {
        "value": value,
        "at": _iso(ctx.at),
        "corrections": [*before.get("corrections", []), correction],
    }
    visit.checklist = answers


def _checked_value(ctx, step, item, value):
    kind = item["kind"]
    valid = {
        "check": isinstance(value, bool),
        "text": isinstance(value, str),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "choice": value in [c["id"] for c in item.get("choices", [])],
        "photo": isinstance(value, str),
    }[kind]
    if not valid:
        raise rejected(
            "validation_error",
            f"Item '{item['id']}' takes a {kind} value.",
            {"data": {"value": [f"Not a valid {kind} answer."]}},
        )
    if kind == "photo":
        return _use_attachment(ctx, value, step, "photo")
    return value


def _communicate(ctx):
    p, visit = ctx.payload, ctx.visit
    visit.customer_description, visit.customer_style, visit.needs = (
        p["customer_description"],
        p["customer_style"],
        p["needs"],
    )
    # The description is on record; that it was heard out first only the technician can say.
    record_rule(
        visit,
        "communicate.listened_first",
        ATTESTED,
        {"customer_style": p["customer_style"], "needs": p["needs"]},
        ctx.at,
    )


def _operate(ctx):
    p, visit = ctx.payload, ctx.visit
    serial_errors = {}
    for i, swap in enumerate(p["equipment_swaps"]):
        missing = {f: ["Required."] for f in ("old_serial", "new_serial") if not (swap.get(f) or "").strip()}
        if missing:
            serial_errors[i] = missing
    if serial_errors:
        raise rejected(
            "serials_required",
            "An equipment swap needs the old and the new serial number.",
            {"equipment_swaps": serial_errors},
        )
    tariff = tariff_items()
    unknown = {
        i: {"tariff_code": [f"'{fee['tariff_code']}' is not in the tariff."]}
        for i, fee in enumerate(p["fees"])
        if fee["tariff_code"] not in tariff
    }
    if unknown:
        raise rejected("fee_not_in_tariff", "Only fees from the operator's tariff may be charged.", {"fees": unknown})
    # A swapped device is priced by its swap, by warranty status; a fee line for it would charge it twice.
    by_kind = swap_items()
    swapped = {by_kind[s["kind"]]["code"]: i for i, s in enumerate(p["equipment_swaps"]) if s["kind"] in by_kind}
    twice = {
        i: {"tariff_code": [f"Priced by equipment_swaps.{swapped[fee['tariff_code']]} (free in warranty)."]}
        for i, fee in enumerate(p["fees"])
        if fee["tariff_code"] in swapped
    }
    if twice:
        raise rejected(
            "swap_charged_twice", "A swapped device is charged by its swap, not by a fee too.", {"fees": twice}
        )
    visit.revisit_window = _revisit_window(ctx)
    lines = [_fee_line(tariff[fee["tariff_code"]], fee["qty"]) for fee in p["fees"]]
    # 根据《售后服务管理规定》: in warranty the swap is free (a line at 0), out of warranty the tariff's price.
    lines += [
        {
            **_fee_line(by_kind[s["kind"]], 1),
            **({"amount_cents": 0} if s["in_warranty"] else {}),
            "swap": i,
            "in_warranty": s["in_warranty"],
        }
        for i, s in enumerate(p["equipment_swaps"])
        if s["kind"] in by_kind
    ]
    visit.work_kinds = p["work_kinds"]
    visit.equipment_swaps = [
        {
            "kind": s["kind"],
            "old_serial": s["old_serial"].strip(),
            "new_serial": s["new_serial"].strip(),
            "in_warranty": s["in_warranty"],
        }
        for s in p["equipment_swaps"]
    ]
    visit.materials = p["materials"]
    visit.fees = lines
    visit.fees_total_cents = sum(line["amount_cents"] for line in lines)
    visit.result, visit.operate_notes = p["result"], p["notes"]
    # The signature vouches for this record only: a record saved again unsigned is signed again.
    signature = p.get("technician_signature_attachment_id")
    visit.technician_signature_attachment_id = (
        _use_attachment(ctx, signature, "operate", "signature") if signature else None
    )
    visit.technician_signed_at = ctx.at if signature else None
    record_rule(
        visit,
        "operate.fees_in_tariff",
        VERIFIED,
        {"fees": [line["tariff_code"] for line in lines], "total_cents": visit.fees_total_cents},
        ctx.at,
    )
    swapped = VERIFIED if visit.equipment_swaps else NOT_APPLICABLE
    record_rule(visit, "operate.swap_serials_recorded", swapped, {"swaps": visit.equipment_swaps}, ctx.at)


def _revisit_window(ctx):
    """Return the agreed new time of work left unfixed ({start, end}), or None after a fix.

    004: 需要支撑者，向客户解释情况，另约时间 - unfixed work ends with a new time agreed, later than
    the record and ending after it starts.
    """
    p = ctx.payload
    window = p.get("revisit")
    if p["result"] == "fixed":
        if window:
            raise rejected(
                "revisit_not_needed", "A fixed fault needs no new time.", {"revisit": ["Only when not fixed."]}
            )
        return None
    if not window:
        raise rejected(
            "revisit_time_required",
            "Work left unfixed needs the new time agreed with the customer (另约时间).",
            {"revisit": ["Required unless fixed."]},
        )
    errors = {}
    if window["end"] <= window["start"]:
        errors["end"] = ["Must be after the start."]
    if window["start"] <= ctx.at:
        errors["start"] = ["Must be later than now."]
    if errors:
        raise rejected("revisit_window_invalid", "The agreed new time is not a time to come.", {"revisit": errors})
    return {"start": _iso(window["start"]), "end": _iso(window["end"])}


def _fee_line(item, qty):
    """Return one priced fee line of a tariff item (`fees` on the visit, the Service Form's rows)."""
    return {
        "tariff_code": item["code"],
        "name": item["name"],
        "unit": item["unit"],
        "qty": qty,
        "unit_price_cents": item["price_cents"],
        "amount_cents": round(item["price_cents"] * qty),
    }


def _link(ctx):
    p = ctx.payload
    _use_attachment(ctx, p["attachment_id"], p["step"], p["kind"])


def _evaluate(ctx):
    p, visit = ctx.payload, ctx.visit
    declined = p.get("declined")
    signature = p.get("signature_attachment_id")
    if signature or not declined:
        rating_errors = _range_errors(p["ratings"] or {}, RATING_KEYS, *RATING_SCALE)
        if rating_errors:
            raise rejected("rating_out_of_range", "Ratings are whole numbers from 1 to 5.", {"ratings": rating_errors})
        mot_errors = _range_errors(p["mot"] or {}, MOT_KEYS, *MOT_SCALE)
        if mot_errors:
            raise rejected(
                "mot_out_of_range", "Moment-of-truth scores are whole numbers from −3 to +3.", {"mot": mot_errors}
            )
    reason = declined.get("reason") if isinstance(declined, dict) else p.get("declined_reason")
    if signature:
        visit.signature_attachment_id = _use_attachment(ctx, signature, "evaluate", "signature")
        visit.signature_declined_reason = None
    elif declined:
        if not (reason or "").strip():
            raise rejected(
                "declined_reason_required",
                "A declined signature needs the customer's reason.",
                {"declined": ["Give the reason."]},
            )
        # Scores come only from the customer: a declined evaluation records the refusal, no scores.
        given = {name: ["A declined evaluation carries no scores."] for name in ("ratings", "mot") if p.get(name)}
        if given:
            raise rejected("scores_without_customer", "The customer declined: record no scores for them.", given)
        visit.signature_attachment_id, visit.signature_declined_reason = None, reason.strip()
    else:
        raise rejected(
            "signature_required",
            "The customer signs, or the refusal is recorded with a reason.",
            {"signature_attachment_id": ["Required unless declined."]},
        )
    signed_scores = bool(signature)
    visit.ratings = {k: p["ratings"][k] for k in RATING_KEYS} if signed_scores else None
    visit.mot = {k: p["mot"][k] for k in MOT_KEYS} if signed_scores else None
    visit.comments, visit.evaluated_at = p["comments"], ctx.at
    record_rule(
        visit,
        "evaluate.customer_signed_or_declined",
        VERIFIED,
        {"signed": bool(signature), "declined_reason": visit.signature_declined_reason},
        ctx.at,
    )


def _range_errors(values, keys, low, high):
    errors = {k: ["Required."] for k in keys if k not in values}
    errors.update({k: [f"Must be from {low} to {high}."] for k in keys if k in values and not low <= values[k] <= high})
    errors.update({k: ["Unknown key."] for k in values if k not in keys})
    return errors


def _help(ctx):
    p, visit = ctx.payload, ctx.visit
    visit.help_checks, visit.leaflet_given = p["checks"], p["leaflet_given"]
    # A second help.record replaces the leads of the first (`write` stores them with the visit's id).
    ctx.state.leads = [
        {
            "work_order_id": ctx.order.id,
            "customer_id": ctx.order.customer_id,
            "technician_id": ctx.actor.id,
            "product": lead["product"],
            "interest": lead["interest"],
            "notes": lead["notes"],
            "created_at": ctx.at,
        }
        for lead in p["leads"]
    ]
    # Checks, leads and the leaflet are the technician's record; nothing of them is no help at all.
    helped = p["checks"] or p["leads"] or p["leaflet_given"]
    record_rule(
        visit,
        "help.proactive_help",
        ATTESTED if helped else MISSED,
        {"checks": p["checks"], "leads": len(p["leads"]), "leaflet_given": p["leaflet_given"]},
        ctx.at,
    )


def unanswered_calls(visit, rules):
    """Return the logged calls that did not reach the customer, by the flow's unanswered outcomes."""
    return [c for c in visit.call_attempts if c["outcome"] in rules["unanswered_call_outcomes"]]


def door_without_call(visit, rules):
    """Tell whether the call step may complete although no call reached the customer.

    It may after the flow's number of unanswered calls (issue 10.5): the technician then goes to
    the door as booked, where the knock protocol and the notice take over. No conversation took
    place, so none of the step's checklist (all about the conversation) is asked for.
    """
    return not _reached(visit) and len(unanswered_calls(visit, rules)) >= rules["unanswered_calls_before_door"]


def _reached(visit):
    return any(c["outcome"] == "reached" for c in visit.call_attempts)


# What each step must have recorded, besides its checklist, before it can complete.
_STEP_RECORDS = {
    "call": (
        "a call attempt that reached the customer, or the flow's number of unanswered calls",
        lambda v, rules: _reached(v) or door_without_call(v, rules),
    ),
    "arrive": ("arrive.checkin", lambda v, rules: v.checked_in_at is not None),
    "communicate": ("communicate.record", lambda v, rules: v.customer_description is not None),
    "operate": (
        "operate.record with technician_signature_attachment_id",
        lambda v, rules: v.result is not None and v.technician_signature_attachment_id is not None,
    ),
    "evaluate": ("evaluate.submit", lambda v, rules: v.evaluated_at is not None),
    "help": ("help.record", lambda v, rules: v.leaflet_given is not None),
}


def _step_complete(ctx):
    step, visit, rules = ctx.payload["step"], ctx.visit, ctx.flow["rules"]
    if step in visit.completed_steps:
        raise rejected("step_already_complete", f"The {step} step is already complete.")
    _require_step(ctx, step)
    answers = visit.checklist.get(step, {})
    checklist = flow_step(ctx.flow, step)["checklist"]
    unreached = step == "call" and door_without_call(visit, rules)
    missing = [i["id"] for i in checklist if i["required"] and not unreached and not _answered(i, answers.get(i["id"]))]
    if missing:
        raise rejected(
            "checklist_incomplete",
            f"Required items of the {step} step are not done: {', '.join(missing)}.",
            {"items": missing},
        )
    record_name, recorded = _STEP_RECORDS[step]
    if not recorded(visit, rules):
        raise rejected("step_record_missing", f"The {step} step needs {record_name} first.", {"record": [record_name]})
    for item in checklist:
        if unreached:  # no conversation took place: its rules did not arise; the calls are the evidence
            not_reached = {
                "customer_not_reached": {"unanswered_calls": [c["at"] for c in unanswered_calls(visit, rules)]}
            }
            record_rule(visit, f"{step}.{item['id']}", NOT_APPLICABLE, not_reached, ctx.at)
        else:
            _record_item(visit, step, item, answers.get(item["id"]), ctx.at)
    visit.completed_steps = visit.completed_steps + [step]


def _visit_complete(ctx):
    visit = ctx.visit
    missing = [s for s in STEP_IDS if s not in visit.completed_steps]
    if missing:
        raise rejected("steps_incomplete", f"Steps not complete: {', '.join(missing)}.", {"steps": missing})
    # Not fixed, or fixed only with support still to come: another visit, never "completed" (需另约时间).
    outcome = "completed" if visit.result == "fixed" else "needs_revisit"
    record_rule(visit, "visit.six_steps", VERIFIED, {"steps": list(STEP_IDS)}, ctx.at)
    for rule in SITUATIONAL_RULES:
        if rule not in visit.compliance:  # the door opened: no knocking to check, no notice to leave
            record_rule(visit, rule, NOT_APPLICABLE, {"checked_in_at": _iso(visit.checked_in_at)}, ctx.at)
    step, item = FOLLOW_UP_ITEM
    if (visit.checklist.get(step, {}).get(item) or {}).get("value") is True:
        ctx.state.follow_ups.append(
            {
                "description": "修复后主动联系客户进行确认（上门时约定）"
                + (f"：{visit.operate_notes}" if visit.operate_notes else ""),
                "at": ctx.at,
            }
        )
    visit.outcome, visit.ended_at = outcome, ctx.at
    reason = "visit completed" if outcome == "completed" else f"{visit.result}: another visit needed"
    _move(ctx.state, outcome, reason)
    ctx.state.appointment_done = True


@dataclass(frozen=True)
class OpType:
    """One action type of the sync protocol, declared once: its payload schema, handler and step.

    `steps`: the visit's current step must be one of these (empty: the handler decides, or any
    step). The handler changes the visit (and what hangs off it) or raises OpRefused.
    """

    name: str
    payload: Schema
    handler: Callable[[_Context], dict | None]
    steps: tuple[str, ...] = ()


# The op registry: the only list of op types (the envelope's enum and OpenAPI read it too).
OPS = {
    op.name: op
    for op in (
        OpType("call.attempt", payloads.CallAttemptData(), _call_attempt, ("call", "arrive")),
        OpType("call.phone_fix", payloads.PhoneFixData(), _phone_fix, ("call",)),
        OpType("call.late_notice", payloads.LateNoticeData(), _late_notice),
        OpType("arrive.checkin", payloads.CheckinData(), _checkin, ("arrive",)),
        OpType("arrive.knock", payloads.KnockData(), _knock, ("arrive",)),
        OpType("arrive.no_access", payloads.NoAccessData(), _no_access, ("arrive",)),
        OpType("checklist.answer", payloads.ChecklistAnswerData(), _checklist_answer),
        OpType("checklist.correct", payloads.ChecklistCorrectData(), _checklist_correct),
        OpType("communicate.record", payloads.CommunicateData(), _communicate, ("communicate",)),
        OpType("operate.record", payloads.OperateData(), _operate, ("operate",)),
        OpType("attachment.link", payloads.LinkData(), _link),
        OpType("evaluate.submit", payloads.EvaluateData(), _evaluate, ("evaluate",)),
        OpType("help.record", payloads.HelpData(), _help, ("help",)),
        # Its step is in the payload, checked by the handler.
        OpType("step.complete", payloads.StepCompleteData(), _step_complete),
        OpType("visit.complete", payloads.EmptyData(), _visit_complete),
    )
}
