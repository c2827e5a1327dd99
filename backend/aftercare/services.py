"""Rules of the after-visit work: the return-visit queue and calls, and complaint cases.

Every function that depends on the time takes ``now`` (an aware datetime; default: the clock),
so the rules are tested without waiting.
"""

import datetime as dt

from flask import current_app
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm.exc import StaleDataError

from backend.aftercare.models import SATISFIED_FROM, Complaint, ReturnVisitCall
from backend.aftercare.script import filled_script
from backend.apifields import id_exists_in_range
from backend.auth.models import User
from backend.errors import Conflict, InvalidInput, NotFound
from backend.extensions import db
from backend.timeutil import LOCAL_TZ, local_day_bounds, utcnow
from backend.visits.models import Visit
from backend.workorders.models import StatusChange, WorkOrder
from backend.workorders.services import get_visible_order
from backend.workorders.statemachine import transition

# Days after the local day of completion on which the return visit falls due (1: the next day).
DEFAULT_RETURN_VISIT_AFTER_DAYS = 1
# The standard: a complaint not answered at once is answered within three hours.
DEFAULT_COMPLAINT_ANSWER_HOURS = 3


def _setting(name: str, default):
    return current_app.config.get(name, default)


# --- return visits (回访) ------------------------------------------------------------------------


def _completions():
    """Return a subquery of each order's latest move to completed (work_order_id, completed_at)."""
    return (
        select(StatusChange.work_order_id, func.max(StatusChange.at).label("completed_at"))
        .where(StatusChange.to_status == "completed")
        .group_by(StatusChange.work_order_id)
        .subquery()
    )


def due_on(completed_at: dt.datetime) -> dt.date:
    """Return the local day a return visit falls due for an order completed at ``completed_at``."""
    after_days = _setting("RETURN_VISIT_AFTER_DAYS", DEFAULT_RETURN_VISIT_AFTER_DAYS)
    return completed_at.astimezone(LOCAL_TZ).date() + dt.timedelta(days=after_days)


def return_visit_queue_query(due: dt.date):
    """Return the SELECT of completed orders whose return visit is due on or before local day ``due``.

    Oldest completion first; an order stays in the queue until a call reaches the customer.
    """
    after_days = _setting("RETURN_VISIT_AFTER_DAYS", DEFAULT_RETURN_VISIT_AFTER_DAYS)
    # Due on or before `due` means completed before the end of local day `due - after_days`.
    _, cutoff = local_day_bounds(due - dt.timedelta(days=after_days))
    completions = _completions()
    return (
        select(WorkOrder)
        .join(completions, completions.c.work_order_id == WorkOrder.id)
        .where(WorkOrder.status == "completed", completions.c.completed_at < cutoff)
        .order_by(completions.c.completed_at, WorkOrder.id)
    )


def completed_at_of(order: WorkOrder) -> dt.datetime | None:
    """Return when ``order`` last moved to completed, or None if it never did."""
    return db.session.scalar(
        select(func.max(StatusChange.at)).where(
            StatusChange.work_order_id == order.id, StatusChange.to_status == "completed"
        )
    )


def queue_entries(orders: list[WorkOrder]) -> list[dict]:
    """Return queue rows for ``orders``: completion, due day, unreached attempts since, last attempt,
    and the open follow-up the technician agreed at the visit (修复后主动联系客户进行确认), if any."""
    if not orders:
        return []
    ids = [order.id for order in orders]
    completions = _completions()
    completed = dict(
        db.session.execute(
            select(completions.c.work_order_id, completions.c.completed_at).where(completions.c.work_order_id.in_(ids))
        ).all()
    )
    calls = db.session.scalars(
        select(ReturnVisitCall).where(ReturnVisitCall.work_order_id.in_(ids)).order_by(ReturnVisitCall.called_at)
    ).all()
    follow_ups = db.session.scalars(
        select(Complaint)
        .where(Complaint.work_order_id.in_(ids), Complaint.kind == "follow_up", Complaint.status == "open")
        .order_by(Complaint.opened_at)
    ).all()
    entries = []
    for order in orders:
        completed_at = completed[order.id]
        # Calls about an earlier completion (before a revisit) are not attempts at this one.
        attempts = [call for call in calls if call.work_order_id == order.id and call.called_at >= completed_at]
        entries.append(
            {
                "work_order": order,
                "customer": order.customer,
                "technician": order.technician,
                "completed_at": completed_at,
                "due_on": due_on(completed_at),
                "attempts": len(attempts),
                "last_attempt": attempts[-1] if attempts else None,
                "follow_up": next((case for case in follow_ups if case.work_order_id == order.id), None),
            }
        )
    return entries


def return_visit_sheet(caller, order_id: int, *, now: dt.datetime | None = None) -> dict:
    """Return what the caller needs on screen: the order, the filled script and every call so far."""
    order = get_visible_order(caller, order_id)
    return _sheet(caller, order, now or utcnow())


def _sheet(caller, order: WorkOrder, now: dt.datetime) -> dict:
    completed_at = completed_at_of(order)
    calls = db.session.scalars(
        select(ReturnVisitCall)
        .where(ReturnVisitCall.work_order_id == order.id)
        .order_by(ReturnVisitCall.called_at, ReturnVisitCall.id)
    ).all()
    return {
        "work_order": order,
        "customer": order.customer,
        "technician": order.technician,
        "completed_at": completed_at,
        "due_on": due_on(completed_at) if completed_at else None,
        "awaiting_return_visit": order.status == "completed",
        "script": filled_script(
            customer=order.customer, order=order, caller=caller, at=now, visit=latest_resulted_visit(order)
        ),
        "calls": calls,
    }


def latest_resulted_visit(order: WorkOrder) -> Visit | None:
    """Return the order's newest visit that recorded a result: the follow-up result the call reports."""
    return db.session.scalars(
        select(Visit)
        .where(Visit.work_order_id == order.id, Visit.result.is_not(None))
        .order_by(Visit.id.desc())
        .limit(1)
    ).first()


def check_call_outcome(*, reached: bool, unreached_reason=None, satisfaction=None, resolved=None) -> None:
    """Refuse an outcome that does not add up: a reached call has answers, an unreached one a reason."""
    errors = {}
    if reached:
        if satisfaction is None:
            errors["satisfaction"] = ["Ask the customer to rate the service (1–5) when reached."]
        if resolved is None:
            errors["resolved"] = ["Say whether the customer confirms the problem is solved."]
        if unreached_reason is not None:
            errors["unreached_reason"] = ["Only for a call that did not reach the customer."]
    else:
        if unreached_reason is None:
            errors["unreached_reason"] = ["Say why the call did not get through."]
        for field, value in (("satisfaction", satisfaction), ("resolved", resolved)):
            if value is not None:
                errors[field] = ["Only for a call that reached the customer."]
    if errors:
        raise InvalidInput(
            "The call's outcome is incomplete or contradictory.", code="inconsistent_outcome", errors={"json": errors}
        )


def record_return_visit(
    caller,
    order_id: int,
    *,
    reached: bool,
    unreached_reason: str | None = None,
    satisfaction: int | None = None,
    resolved: bool | None = None,
    notes: str = "",
    now: dt.datetime | None = None,
) -> dict:
    """Log a return-visit call and move the order on; return the updated sheet with the new ``call``.

    Reached and resolved: the order is closed. Reached but the customer says the problem is not
    solved: it goes to needs_revisit for another appointment. Not reached: the attempt is logged
    and the order stays in the queue.
    """
    now = now or utcnow()
    check_call_outcome(reached=reached, unreached_reason=unreached_reason, satisfaction=satisfaction, resolved=resolved)
    order = get_visible_order(caller, order_id, for_update=True)
    if order.status != "completed":
        raise Conflict(
            f"Work order {order.number} is {order.status}; return visits are for completed orders.",
            code="not_awaiting_return_visit",
            errors={"status": [f"Is {order.status}; must be completed."]},
        )
    call = ReturnVisitCall(
        work_order_id=order.id,
        caller_id=caller.id,
        called_at=now,
        reached=reached,
        unreached_reason=unreached_reason,
        satisfaction=satisfaction,
        resolved=resolved,
        notes=notes,
    )
    if reached and not (resolved and satisfaction >= SATISFIED_FROM):
        # Not solved, or not satisfied: a follow-up case goes to the team lead, never a silent close.
        lead = supervisor_for(order.branch)
        open_complaint(
            caller,
            work_order_id=order.id,
            kind="follow_up",
            channel="return_visit",
            description=_follow_up_description(satisfaction, resolved, notes),
            owner_id=lead.id if lead else None,
            now=now,
            commit=False,
        )
    if reached:
        to_status = "closed" if resolved else "needs_revisit"
        reason = (
            f"return visit: satisfaction {satisfaction}/5"
            if resolved
            else "return visit: customer reports the problem is not solved"
        )
        transition(order, to_status, caller, reason + (f"; {notes}" if notes else ""))
        call.order_status_after = to_status
    db.session.add(call)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict(
            f"Work order {order.number} was changed by someone else meanwhile; reload.", code="concurrent_update"
        ) from None
    sheet = _sheet(caller, order, now)
    sheet["call"] = call
    return sheet


def _follow_up_description(satisfaction, resolved, notes) -> str:
    findings = [] if resolved else ["问题未解决"]
    if satisfaction < SATISFIED_FROM:
        findings.append(f"客户不满意（满意度{satisfaction}/5）")
    return "回访：" + "，".join(findings) + (f"。{notes}" if notes else "")


# --- complaints (投诉) ---------------------------------------------------------------------------


def open_complaint(
    actor,
    *,
    channel: str,
    description: str,
    work_order_id: int | None = None,
    kind: str = "complaint",
    severity: str = "normal",
    place: str | None = None,
    person: str | None = None,
    contact_phone: str | None = None,
    owner_id: int | None = None,
    answer: str | None = None,
    now: dt.datetime | None = None,
    commit: bool = True,
) -> Complaint:
    """Open a case (个案) - a complaint, a query or a follow-up - due for an answer in three hours (config).

    003's record: 时间 (opened_at), 地点 (place, else the order's address), 人物 (person, else the order's
    customer), 事件 (description), 联系电话 (contact_phone, else the customer's first phone). A case
    about no order must say who and how to call back. ``answer`` records a reply given at once.
    """
    now = now or utcnow()
    order = None
    if work_order_id is not None:
        order = db.session.get(WorkOrder, work_order_id) if id_exists_in_range(work_order_id) else None
        if order is None:
            raise InvalidInput(
                "No such work order.",
                code="unknown_work_order",
                errors={"json": {"work_order_id": [f"No work order {work_order_id}."]}},
            )
        place = place or order.address
        person = person or order.customer.name
        contact_phone = contact_phone or next(iter(order.customer.phones), None)
    given = {"person": person, "contact_phone": contact_phone}
    missing = {name: ["Say who called and how to call back."] for name, value in given.items() if not value}
    if missing:
        raise InvalidInput(
            "A case needs the caller and a phone number.", code="case_incomplete", errors={"json": missing}
        )
    owner = _staff(owner_id, "owner_id") if owner_id is not None else None
    hours = _setting("COMPLAINT_ANSWER_HOURS", DEFAULT_COMPLAINT_ANSWER_HOURS)
    complaint = Complaint(
        work_order_id=order.id if order else None,
        work_order=order,
        kind=kind,
        channel=channel,
        severity=severity,
        place=place,
        person=person,
        contact_phone=contact_phone,
        description=description,
        status="open",
        opened_by_id=actor.id,
        opened_at=now,
        due_at=now + dt.timedelta(hours=hours),
        owner_id=owner.id if owner else None,
    )
    if answer:
        _answer(complaint, actor, answer, now)
    db.session.add(complaint)
    if commit:
        db.session.commit()
    return flag(complaint, now)


def _staff(user_id: int, field: str) -> User:
    user = db.session.get(User, user_id) if id_exists_in_range(user_id) else None
    if user is None or user.role == "technician" or not user.active:
        raise InvalidInput(
            "The owner must be an active member of the office staff.",
            code="unknown_owner",
            errors={"json": {field: [f"No active office user {user_id}."]}},
        )
    return user


# One row, not every manager: the branch's own first, then by id. Built once (every visit that
# agreed a follow-up asks, and composing the statement cost more than running it).
_MANAGERS = select(User).where(User.role == "manager", User.active.is_(True)).limit(1)
_FIRST_MANAGER = _MANAGERS.order_by(User.id)
_BRANCH_MANAGER_FIRST = _MANAGERS.order_by(case((User.branch == bindparam("branch"), 0), else_=1), User.id)


def supervisor_for(branch: str | None) -> User | None:
    """Return the supervisor an overdue case goes to: a manager of the branch, else the first manager."""
    if branch:
        return db.session.scalars(_BRANCH_MANAGER_FIRST, {"branch": branch}).first()
    return db.session.scalars(_FIRST_MANAGER).first()


def escalate_overdue(*, now: dt.datetime | None = None) -> list[Complaint]:
    """Escalate every case still unanswered past its deadline to a supervisor, once; return them.

    Run it every minute (``flask cases escalate`` from cron, or an RQ scheduler): the answer clock
    of 003 is three hours, so a minute's lag is what a supervisor sees at worst.
    """
    now = now or utcnow()
    overdue = db.session.scalars(
        select(Complaint)
        .where(Complaint.answered_at.is_(None), Complaint.due_at < now, Complaint.escalated_at.is_(None))
        .order_by(Complaint.due_at)
        .with_for_update(of=Complaint)
    ).all()
    for complaint in overdue:
        branch = complaint.work_order.branch if complaint.work_order else None
        supervisor = supervisor_for(branch)
        complaint.escalated_at = now
        complaint.escalated_to_id = supervisor.id if supervisor else None
    db.session.commit()
    return [flag(complaint, now) for complaint in overdue]


def complaints_query(
    *,
    now: dt.datetime,
    overdue: bool | None = None,
    status: str | None = None,
    work_order_id: int | None = None,
    kind: str | None = None,
):
    """Return the SELECT of complaints, soonest due first; ``overdue=True``: unanswered past due at ``now``."""
    query = select(Complaint).order_by(Complaint.due_at, Complaint.id)
    overdue_clause = Complaint.answered_at.is_(None) & (Complaint.due_at < now)
    if overdue is True:
        query = query.where(overdue_clause)
    elif overdue is False:
        query = query.where(~overdue_clause)
    if status:
        query = query.where(Complaint.status == status)
    if work_order_id:
        query = query.where(Complaint.work_order_id == work_order_id)
    if kind:
        query = query.where(Complaint.kind == kind)
    return query


def flag(complaint: Complaint, now: dt.datetime) -> Complaint:
    """Set ``complaint.overdue`` as of ``now`` for the response."""
    complaint.overdue = complaint.is_overdue(now)
    return complaint


def get_complaint(complaint_id: int, *, for_update=False) -> Complaint:
    """Return a complaint or raise NotFound."""
    if not id_exists_in_range(complaint_id):
        raise NotFound(f"No complaint {complaint_id}.")
    query = select(Complaint).where(Complaint.id == complaint_id)
    if for_update:
        query = query.with_for_update(of=Complaint)
    complaint = db.session.scalar(query)
    if complaint is None:
        raise NotFound(f"No complaint {complaint_id}.")
    return complaint


def _answer(complaint: Complaint, actor, notes: str, now: dt.datetime) -> None:
    complaint.answered_at, complaint.answered_by_id, complaint.answer_notes = now, actor.id, notes
    complaint.status = "answered"


def answer_complaint(actor, complaint_id: int, notes: str, *, now: dt.datetime | None = None) -> Complaint:
    """Record the answer given to the customer; an answer after the deadline is kept and shows as late."""
    now = now or utcnow()
    complaint = get_complaint(complaint_id, for_update=True)
    if complaint.status == "resolved":
        raise Conflict(f"Complaint {complaint.id} is already resolved.", code="complaint_resolved")
    if complaint.answered_at is not None:
        raise Conflict(
            f"Complaint {complaint.id} was already answered; resolve it with notes.", code="already_answered"
        )
    _answer(complaint, actor, notes, now)
    db.session.commit()
    return flag(complaint, now)


def resolve_complaint(actor, complaint_id: int, notes: str, *, now: dt.datetime | None = None) -> Complaint:
    """Close a complaint case with how it was resolved; resolving an unanswered case answers it too."""
    now = now or utcnow()
    complaint = get_complaint(complaint_id, for_update=True)
    if complaint.status == "resolved":
        raise Conflict(f"Complaint {complaint.id} is already resolved.", code="complaint_resolved")
    if complaint.answered_at is None:
        _answer(complaint, actor, notes, now)
    complaint.status = "resolved"
    complaint.resolved_at, complaint.resolved_by_id, complaint.resolution_notes = now, actor.id, notes
    db.session.commit()
    return flag(complaint, now)
