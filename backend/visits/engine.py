"""The visit engine: apply one technician action to a work order's visit, checking the standard.

`apply_op` is the whole contract: it changes the session (the caller owns the transaction
and wraps each op in a savepoint) or raises `OpRefused` having changed nothing it cares about.
Times in ops are the device's clock, when the thing happened; the server's receive time is
kept on the audit event.
"""

from dataclasses import dataclass
from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy import delete, exists, inspect, select

from backend.booking.models import Appointment
from backend.errors import DomainError
from backend.extensions import db
from backend.timeutil import utcnow
from backend.visits.definitions import STEP_IDS, flow_step, get_flow, tariff_items
from backend.visits.models import Attachment, Lead, Visit, VisitEvent
from backend.visits.schemas import DATA_SCHEMAS, MOT_KEYS, RATING_KEYS
from backend.workorders.statemachine import transition

# Order statuses in which a technician's first action opens a new visit.
STARTABLE = ("scheduled", "en_route", "on_site")
LATE_WITHOUT_NOTICE = "late_without_notice"


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


@dataclass
class _Context:
    order: object
    visit: Visit
    actor: object
    flow: dict
    at: datetime
    payload: dict


def apply_op(
    order, actor, op_type, data, at, *, device_id=None, op_id=None, received_at=None, open_visits=None, events=None
) -> dict:
    """Apply one action to the order's open visit; return result extras such as flags.

    `open_visits` is an optional per-batch cache {work_order_id: Visit} the caller keeps.
    `events`, when given, is a list the action's audit event row is appended to, for the
    caller to insert in the same transaction (the sync inserts a batch's events at once);
    otherwise the event is inserted now.
    """
    check_order_access(order, actor)
    schema = DATA_SCHEMAS.get(op_type)
    if schema is None:
        raise rejected("unknown_op_type", f"Unknown action type '{op_type}'.", {"type": ["Unknown."]})
    try:
        payload = schema.load(data or {})
    except ValidationError as exc:
        raise rejected("validation_error", "Some fields of the action are invalid.", {"data": exc.messages}) from exc
    try:
        visit = _cached_open_visit(open_visits, order)
        if visit is None and op_type == "visit.complete":
            visit = _ended_no_access_visit(order)
            extras = {}
        else:
            visit = visit or _start_visit(order, actor, at)
            if open_visits is not None:
                open_visits[order.id] = visit
            ctx = _Context(order, visit, actor, get_flow(visit.flow_type), at, payload)
            extras = _HANDLERS[op_type](ctx) or {}
    except DomainError as exc:  # e.g. an illegal status move, a flow file missing
        raise conflict(exc.code, exc.message, exc.errors) from exc
    db.session.flush()
    event = {
        "work_order_id": order.id,
        "visit_id": visit.id,
        "op_id": op_id,
        "actor_id": actor.id,
        "device_id": device_id,
        "type": op_type,
        "client_at": at,
        "server_at": received_at or utcnow(),
        "payload": data or {},
    }
    if events is None:
        insert_events([event])
    else:
        events.append(event)
    return extras


def insert_events(events):
    """Insert audit event rows (as apply_op builds them), in the order given."""
    if events:
        # A Core insert: events are never read back in this session, so skip the unit of work.
        db.session.connection().execute(VisitEvent.__table__.insert(), events)


def check_order_access(order, actor):
    """Refuse actions on a cancelled order or one that is not (or no longer) the actor's."""
    if order.status == "cancelled":
        raise conflict("order_cancelled", f"Work order {order.number} was cancelled.")
    if order.technician_id != actor.id:
        if _was_assigned(order, actor):
            raise conflict("order_reassigned", f"Work order {order.number} was reassigned to someone else.")
        raise rejected("not_your_order", f"Work order {order.number} is not assigned to you.")


def _was_assigned(order, actor):
    return db.session.scalar(
        select(
            exists().where(Appointment.work_order_id == order.id, Appointment.technician_id == actor.id)
            | exists().where(Visit.work_order_id == order.id, Visit.technician_id == actor.id)
        )
    )


def open_visit(order):
    """Return the order's visit in progress, or None."""
    return db.session.scalar(select(Visit).where(Visit.work_order_id == order.id, Visit.ended_at.is_(None)))


def _cached_open_visit(cache, order):
    """Return the open visit, from the batch's cache while that object is still a live, open row."""
    visit = cache.get(order.id) if cache is not None else None
    if visit is not None and inspect(visit).persistent and visit.ended_at is None:
        return visit
    return open_visit(order)


def active_appointment(order):
    """Return the order's active appointment, or None."""
    return db.session.scalar(
        select(Appointment).where(Appointment.work_order_id == order.id, Appointment.status == "active")
    )


def _ended_no_access_visit(order):
    """`visit.complete` after `arrive.no_access` ended the visit is accepted and changes nothing."""
    last = db.session.scalar(select(Visit).where(Visit.work_order_id == order.id).order_by(Visit.id.desc()))
    if last is not None and last.outcome == "no_access" and order.status == "no_access":
        return last
    raise conflict("visit_closed", f"Work order {order.number} has no visit in progress.")


def _start_visit(order, actor, at):
    if order.status not in STARTABLE:
        if order.status == "new":
            raise conflict("order_not_scheduled", f"Work order {order.number} has no appointment yet.")
        raise conflict("visit_closed", f"Work order {order.number} is {order.status}; no visit is in progress.")
    flow = get_flow(order.type)
    appointment = active_appointment(order)
    visit = Visit(
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
    db.session.add(visit)
    if order.status == "scheduled":
        transition(order, "en_route", actor, reason="visit started")
    db.session.flush()
    return visit


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


def record_check(visit, rule, passed, evidence, at=None):
    """Record one rule of the standard as checked, passed or failed, with its evidence."""
    compliance = dict(visit.compliance or {})
    compliance[rule] = {"passed": bool(passed), "evidence": evidence, "checked_at": _iso(at or utcnow())}
    visit.compliance = compliance
    passed_count = sum(1 for check in compliance.values() if check["passed"])
    visit.compliance_score = round(100 * passed_count / len(compliance))


def _set_flag(visit, flag, on):
    flags = [f for f in visit.flags if f != flag]
    visit.flags = flags + [flag] if on else flags


def _use_attachment(ctx, attachment_id, step, kind):
    attachment = db.session.get(Attachment, str(attachment_id))
    foreign = attachment is not None and attachment.work_order_id not in (None, ctx.order.id)
    if (
        attachment is None
        or foreign
        or (attachment.work_order_id is None and attachment.uploaded_by_id != ctx.actor.id)
    ):
        raise rejected(
            "attachment_not_found",
            f"Attachment {attachment_id} was not uploaded (upload it before the action that uses it).",
            {"attachment_id": ["Not uploaded."]},
        )
    attachment.work_order_id = ctx.order.id
    if not any(a["id"] == attachment.id for a in ctx.visit.attachments):
        ctx.visit.attachments = ctx.visit.attachments + [{"id": attachment.id, "step": step, "kind": kind}]
    return attachment


def _answered(item, answer):
    if answer is None:
        return False
    value = answer["value"]
    if item["kind"] == "check":
        return value is True
    if item["kind"] == "text":
        return bool(str(value).strip())
    return value is not None


# --- handlers, one per action type ----------------------------------------------------------


def _call_attempt(ctx):
    _require_step(ctx, "call", "arrive")
    p = ctx.payload
    entry = {"at": _iso(ctx.at), "outcome": p["outcome"]}
    if "window" in p:
        entry["window"] = {"start": _iso(p["window"]["start"]), "end": _iso(p["window"]["end"])}
    for key in ("fault_description", "notes", "greeting"):
        if p.get(key):
            entry[key] = p[key]
    ctx.visit.call_attempts = ctx.visit.call_attempts + [entry]


def _late_notice(ctx):
    visit = ctx.visit
    visit.late_notice = {"at": _iso(ctx.at), "reason": ctx.payload["reason"], "new_eta": _iso(ctx.payload["new_eta"])}
    if visit.late_notice_at is None or ctx.at < visit.late_notice_at:
        visit.late_notice_at = ctx.at
    return _assess_arrival(ctx)


def _checkin(ctx):
    _require_step(ctx, "arrive")
    visit, p = ctx.visit, ctx.payload
    if visit.checked_in_at is not None:
        raise rejected("already_checked_in", "This visit is already checked in.")
    visit.checked_in_at = ctx.at
    visit.checkin_lat, visit.checkin_lng, visit.checkin_accuracy_m = p.get("lat"), p.get("lng"), p.get("accuracy_m")
    appointment = active_appointment(ctx.order)
    if appointment is not None:  # it may have been rescheduled since the visit started
        visit.appointment_id = appointment.id
        visit.window_starts_at, visit.window_ends_at = appointment.starts_at, appointment.ends_at
    if ctx.order.status != "on_site":
        transition(ctx.order, "on_site", ctx.actor, reason="checked in at the door")
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
    record_check(visit, "arrive.on_time", arrival != "late", evidence, ctx.at)
    record_check(visit, "arrive.early_5_10_min", early_min <= lead <= early_max, evidence, ctx.at)
    late_unannounced = False
    if arrival == "late":
        notified = visit.late_notice_at is not None and visit.late_notice_at < start
        late_unannounced = not notified
        record_check(
            visit,
            "arrive.late_notice_before_window",
            notified,
            {**evidence, "late_notice_at": _iso(visit.late_notice_at)},
            ctx.at,
        )
    _set_flag(visit, LATE_WITHOUT_NOTICE, late_unannounced)
    return {"flags": [LATE_WITHOUT_NOTICE]} if late_unannounced else {}


def _knock(ctx):
    _require_step(ctx, "arrive")
    ctx.visit.knocks = ctx.visit.knocks + [{"round": ctx.payload["round"], "at": _iso(ctx.at)}]


def knock_protocol(visit, rules):
    """Return what is missing from the knock protocol (empty when complete) and its evidence.

    Complete means: at least two knock rounds, then a call attempt after the last round, at
    least `call_after_knocking_seconds` after the first knock.
    """
    knocks = sorted(_parse(k["at"]) for k in visit.knocks)
    missing = []
    if len(knocks) < 2:
        missing.append("two knock rounds")
    calls_after = sorted(_parse(c["at"]) for c in visit.call_attempts if knocks and _parse(c["at"]) > knocks[-1])
    waited = int((calls_after[0] - knocks[0]).total_seconds()) if calls_after else 0
    if not calls_after:
        missing.append("a call attempt after knocking")
    elif waited < rules["call_after_knocking_seconds"]:
        missing.append(f"{rules['call_after_knocking_seconds']} s of knocking before the call")
    evidence = {
        "knock_rounds": len(knocks),
        "first_knock_at": _iso(knocks[0]) if knocks else None,
        "call_after_knocking_at": _iso(calls_after[0]) if calls_after else None,
        "seconds_before_call": waited,
    }
    return missing, evidence


def _no_access(ctx):
    _require_step(ctx, "arrive")
    visit = ctx.visit
    missing, evidence = knock_protocol(visit, ctx.flow["rules"])
    if missing:
        raise rejected(
            "knock_protocol_incomplete", f"Before leaving a notice: {', '.join(missing)}.", {"knocks": missing}
        )
    notice = _use_attachment(ctx, ctx.payload["notice_attachment_id"], "arrive", "notice")
    visit.no_access_notice_id = notice.id
    record_check(visit, "arrive.knock_protocol", True, evidence, ctx.at)
    record_check(visit, "arrive.notice_left", True, {"notice_attachment_id": notice.id}, ctx.at)
    visit.outcome, visit.ended_at = "no_access", ctx.at
    transition(ctx.order, "no_access", ctx.actor, reason="nobody home; notice left")
    _close_appointment(ctx.order)


def _checklist_answer(ctx):
    p = ctx.payload
    items = {item["id"]: item for item in flow_step(ctx.flow, p["step"])["checklist"]}
    item = items.get(p["item"])
    if item is None:
        raise rejected(
            "unknown_checklist_item", f"The {p['step']} step has no item '{p['item']}'.", {"item": ["Unknown."]}
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
        _use_attachment(ctx, value, step, "photo")
    return value


def _communicate(ctx):
    _require_step(ctx, "communicate")
    p, visit = ctx.payload, ctx.visit
    visit.customer_description, visit.customer_style, visit.needs = (
        p["customer_description"],
        p["customer_style"],
        p["needs"],
    )
    record_check(
        visit, "communicate.listened_first", True, {"customer_style": p["customer_style"], "needs": p["needs"]}, ctx.at
    )


def _operate(ctx):
    _require_step(ctx, "operate")
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
    lines = []
    for fee in p["fees"]:
        item = tariff[fee["tariff_code"]]
        qty = fee["qty"]
        lines.append(
            {
                "tariff_code": item["code"],
                "name": item["name"],
                "unit": item["unit"],
                "qty": qty,
                "unit_price_cents": item["price_cents"],
                "amount_cents": round(item["price_cents"] * qty),
            }
        )
    visit.work_kinds = p["work_kinds"]
    visit.equipment_swaps = [
        {"kind": s["kind"], "old_serial": s["old_serial"].strip(), "new_serial": s["new_serial"].strip()}
        for s in p["equipment_swaps"]
    ]
    visit.materials = p["materials"]
    visit.fees = lines
    visit.fees_total_cents = sum(line["amount_cents"] for line in lines)
    visit.result, visit.operate_notes = p["result"], p["notes"]
    record_check(
        visit,
        "operate.fees_in_tariff",
        True,
        {"fees": [line["tariff_code"] for line in lines], "total_cents": visit.fees_total_cents},
        ctx.at,
    )
    if visit.equipment_swaps:
        record_check(visit, "operate.swap_serials_recorded", True, {"swaps": visit.equipment_swaps}, ctx.at)


def _link(ctx):
    p = ctx.payload
    _use_attachment(ctx, p["attachment_id"], p["step"], p["kind"])


def _evaluate(ctx):
    _require_step(ctx, "evaluate")
    p, visit = ctx.payload, ctx.visit
    rating_errors = _range_errors(p["ratings"], RATING_KEYS, 1, 5)
    if rating_errors:
        raise rejected("rating_out_of_range", "Ratings are whole numbers from 1 to 5.", {"ratings": rating_errors})
    mot_errors = _range_errors(p["mot"], MOT_KEYS, -3, 3)
    if mot_errors:
        raise rejected(
            "mot_out_of_range", "Moment-of-truth scores are whole numbers from −3 to +3.", {"mot": mot_errors}
        )
    declined = p.get("declined")
    reason = declined.get("reason") if isinstance(declined, dict) else p.get("declined_reason")
    signature = p.get("signature_attachment_id")
    if signature:
        attachment = _use_attachment(ctx, signature, "evaluate", "signature")
        visit.signature_attachment_id, visit.signature_declined_reason = attachment.id, None
    elif declined:
        if not (reason or "").strip():
            raise rejected(
                "declined_reason_required",
                "A declined signature needs the customer's reason.",
                {"declined": ["Give the reason."]},
            )
        visit.signature_attachment_id, visit.signature_declined_reason = None, reason.strip()
    else:
        raise rejected(
            "signature_required",
            "The customer signs, or the refusal is recorded with a reason.",
            {"signature_attachment_id": ["Required unless declined."]},
        )
    visit.ratings = {k: p["ratings"][k] for k in RATING_KEYS}
    visit.mot = {k: p["mot"][k] for k in MOT_KEYS}
    visit.comments, visit.evaluated_at = p["comments"], ctx.at
    record_check(
        visit,
        "evaluate.customer_signed_or_declined",
        True,
        {"signed": bool(signature), "declined_reason": visit.signature_declined_reason},
        ctx.at,
    )


def _range_errors(values, keys, low, high):
    errors = {k: ["Required."] for k in keys if k not in values}
    errors.update({k: [f"Must be from {low} to {high}."] for k in keys if k in values and not low <= values[k] <= high})
    errors.update({k: ["Unknown key."] for k in values if k not in keys})
    return errors


def _help(ctx):
    _require_step(ctx, "help")
    p, visit = ctx.payload, ctx.visit
    visit.help_checks, visit.leaflet_given = p["checks"], p["leaflet_given"]
    # A second help.record replaces the leads of the first.
    db.session.execute(delete(Lead).where(Lead.visit_id == visit.id))
    for lead in p["leads"]:
        db.session.add(
            Lead(
                visit_id=visit.id,
                work_order_id=ctx.order.id,
                customer_id=ctx.order.customer_id,
                technician_id=ctx.actor.id,
                product=lead["product"],
                interest=lead["interest"],
                notes=lead["notes"],
                created_at=ctx.at,
            )
        )
    record_check(
        visit,
        "help.proactive_help",
        True,
        {"checks": p["checks"], "leads": len(p["leads"]), "leaflet_given": p["leaflet_given"]},
        ctx.at,
    )


# What each step must have recorded, besides its checklist, before it can complete.
_STEP_RECORDS = {
    "call": (
        "a call attempt that reached the customer",
        lambda v: any(c["outcome"] == "reached" for c in v.call_attempts),
    ),
    "arrive": ("arrive.checkin", lambda v: v.checked_in_at is not None),
    "communicate": ("communicate.record", lambda v: v.customer_description is not None),
    "operate": ("operate.record", lambda v: v.result is not None),
    "evaluate": ("evaluate.submit", lambda v: v.evaluated_at is not None),
    "help": ("help.record", lambda v: v.leaflet_given is not None),
}


def _step_complete(ctx):
    step, visit = ctx.payload["step"], ctx.visit
    if step in visit.completed_steps:
        raise rejected("step_already_complete", f"The {step} step is already complete.")
    _require_step(ctx, step)
    answers = visit.checklist.get(step, {})
    checklist = flow_step(ctx.flow, step)["checklist"]
    missing = [i["id"] for i in checklist if i["required"] and not _answered(i, answers.get(i["id"]))]
    if missing:
        raise rejected(
            "checklist_incomplete",
            f"Required items of the {step} step are not done: {', '.join(missing)}.",
            {"items": missing},
        )
    record_name, recorded = _STEP_RECORDS[step]
    if not recorded(visit):
        raise rejected("step_record_missing", f"The {step} step needs {record_name} first.", {"record": [record_name]})
    record_check(
        visit,
        f"{step}.checklist",
        True,
        {
            "answered": sorted(i["id"] for i in checklist if _answered(i, answers.get(i["id"]))),
            "optional_skipped": sorted(
                i["id"] for i in checklist if not i["required"] and not _answered(i, answers.get(i["id"]))
            ),
        },
        ctx.at,
    )
    visit.completed_steps = visit.completed_steps + [step]


def _visit_complete(ctx):
    visit, order = ctx.visit, ctx.order
    missing = [s for s in STEP_IDS if s not in visit.completed_steps]
    if missing:
        raise rejected("steps_incomplete", f"Steps not complete: {', '.join(missing)}.", {"steps": missing})
    outcome = "needs_revisit" if visit.result == "needs_revisit" else "completed"
    record_check(visit, "visit.six_steps", True, {"steps": list(STEP_IDS)}, ctx.at)
    visit.outcome, visit.ended_at = outcome, ctx.at
    reason = "visit completed" if outcome == "completed" else "support or parts needed"
    transition(order, outcome, ctx.actor, reason=reason)
    _close_appointment(order)


def _close_appointment(order):
    appointment = active_appointment(order)
    if appointment is not None:
        appointment.status = "done"


_HANDLERS = {
    "call.attempt": _call_attempt,
    "call.late_notice": _late_notice,
    "arrive.checkin": _checkin,
    "arrive.knock": _knock,
    "arrive.no_access": _no_access,
    "checklist.answer": _checklist_answer,
    "communicate.record": _communicate,
    "operate.record": _operate,
    "attachment.link": _link,
    "evaluate.submit": _evaluate,
    "help.record": _help,
    "step.complete": _step_complete,
    "visit.complete": _visit_complete,
}
