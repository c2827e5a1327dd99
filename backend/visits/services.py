"""Read side of visits: what the work-order detail, the forms and the sales team see."""

from sqlalchemy import select

from backend.extensions import db
from backend.visits.compliance import status_of, tally
from backend.visits.engine import current_step
from backend.visits.models import Lead, Visit, VisitEvent


def _iso(value):
    return value.isoformat() if value is not None else None


def compliance_of(visit: Visit) -> dict:
    """Return a visit's compliance record: the scores, the counts per status, and every rule with its evidence."""
    compliance = visit.compliance or {}
    return {
        **tally(compliance),
        "rules": [
            {
                "rule": rule,
                "status": status_of(check),
                "evidence": check.get("evidence"),
                "checked_at": check.get("checked_at"),
            }
            for rule, check in compliance.items()
        ],
        "flags": list(visit.flags or []),
    }


def visit_to_dict(visit: Visit) -> dict:
    """Return everything recorded on a visit, as JSON-ready data (the forms read this)."""
    return {
        "id": visit.id,
        "work_order_id": visit.work_order_id,
        "technician_id": visit.technician_id,
        "appointment_id": visit.appointment_id,
        "flow": {"type": visit.flow_type, "version": visit.flow_version},
        "window": {"starts_at": _iso(visit.window_starts_at), "ends_at": _iso(visit.window_ends_at)},
        "started_at": _iso(visit.started_at),
        "checkin": {
            "at": _iso(visit.checked_in_at),
            "lat": visit.checkin_lat,
            "lng": visit.checkin_lng,
            "accuracy_m": visit.checkin_accuracy_m,
        },
        "arrival_class": visit.arrival_class,
        "arrival_minutes_before_window": (
            round(visit.arrival_lead_seconds / 60, 1) if visit.arrival_lead_seconds is not None else None
        ),
        "late_notice": visit.late_notice,
        "ended_at": _iso(visit.ended_at),
        "outcome": visit.outcome,
        "current_step": current_step(visit) if visit.ended_at is None else None,
        "completed_steps": list(visit.completed_steps),
        "checklist": visit.checklist,
        "call_attempts": visit.call_attempts,
        "knocks": visit.knocks,
        "no_access_notice_id": visit.no_access_notice_id,
        "communicate": {
            "customer_description": visit.customer_description,
            "customer_style": visit.customer_style,
            "needs": visit.needs,
        },
        "operate": {
            "work_kinds": visit.work_kinds,
            "equipment_swaps": visit.equipment_swaps,
            "materials": visit.materials,
            "fees": visit.fees,
            "fees_total_cents": visit.fees_total_cents,
            "result": visit.result,
            "revisit": visit.revisit_window,
            "notes": visit.operate_notes,
            "technician_signature_attachment_id": visit.technician_signature_attachment_id,
            "technician_signed_at": _iso(visit.technician_signed_at),
        },
        "evaluate": {
            "ratings": visit.ratings,
            "mot": visit.mot,
            "comments": visit.comments,
            "signature_attachment_id": visit.signature_attachment_id,
            "declined_reason": visit.signature_declined_reason,
            "at": _iso(visit.evaluated_at),
        },
        "help": {
            "checks": visit.help_checks,
            "leaflet_given": visit.leaflet_given,
            "leads": [lead_to_dict(lead) for lead in visit.leads],
        },
        "attachments": visit.attachments,
        "compliance": compliance_of(visit),
    }


def event_to_dict(event: VisitEvent) -> dict:
    """Return one audit event as JSON-ready data."""
    return {
        "id": event.id,
        "type": event.type,
        "visit_id": event.visit_id,
        "op_id": event.op_id,
        "actor": {"id": event.actor_id, "name": event.actor.name if event.actor else None},
        "device_id": event.device_id,
        "client_at": _iso(event.client_at),
        "server_at": _iso(event.server_at),
        "payload": event.payload,
    }


def lead_to_dict(lead: Lead) -> dict:
    """Return one sales lead as JSON-ready data."""
    return {
        "id": lead.id,
        "visit_id": lead.visit_id,
        "work_order_id": lead.work_order_id,
        "customer_id": lead.customer_id,
        "technician_id": lead.technician_id,
        "product": lead.product,
        "interest": lead.interest,
        "notes": lead.notes,
        "created_at": _iso(lead.created_at),
    }


def visits_of(order_id: int) -> list[Visit]:
    """Return a work order's visits, oldest first."""
    return list(db.session.scalars(select(Visit).where(Visit.work_order_id == order_id).order_by(Visit.id)))


def latest_visit(order_id: int) -> Visit | None:
    """Return a work order's most recent visit, or None."""
    return db.session.scalar(select(Visit).where(Visit.work_order_id == order_id).order_by(Visit.id.desc()))


def visit_summary(order) -> dict:
    """Return what the work-order detail shows of its visits: compliance, visits and the audit trail."""
    visits = visits_of(order.id)
    events = db.session.scalars(select(VisitEvent).where(VisitEvent.work_order_id == order.id).order_by(VisitEvent.id))
    return {
        "compliance": compliance_of(visits[-1]) if visits else None,
        "visits": [visit_to_dict(v) for v in visits],
        "events": [event_to_dict(e) for e in events],
    }


def list_leads(since=None, until=None, technician_id=None, limit=500) -> list[Lead]:
    """Return sales leads, newest first, optionally within [since, until) and by technician."""
    query = select(Lead).order_by(Lead.created_at.desc(), Lead.id.desc()).limit(limit)
    if since is not None:
        query = query.where(Lead.created_at >= since)
    if until is not None:
        query = query.where(Lead.created_at < until)
    if technician_id is not None:
        query = query.where(Lead.technician_id == technician_id)
    return list(db.session.scalars(query))


def visit_for_work_order(order) -> dict | None:
    """Return the work-order detail's `visit` field: visit_summary, or None before any visit."""
    summary = visit_summary(order)
    return summary if summary["visits"] else None
