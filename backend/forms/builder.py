"""Build the forms' plain data from a work order, its visit and what the customer gave."""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from backend.config import public_base_url
from backend.extensions import db
from backend.forms.data import (
    MAX_PHOTOS,
    Company,
    ComplianceSummary,
    EquipmentSwap,
    Fee,
    FeedbackFormData,
    Lead,
    Material,
    NoAccessNoticeData,
    Photo,
    ServiceFormData,
    Signature,
    mask_phone,
)
from backend.forms.photos import shrink_photo
from backend.greetings import customer_title, fill_script
from backend.timeutil import LOCAL_TZ
from backend.visits.compliance import rule_label, tally
from backend.visits.definitions import NO_ACCESS_NOTICE_SCRIPT, flow_step, get_flow
from backend.visits.models import Attachment, Visit, VisitEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CustomerInput:
    """What the customer gave through a signing link, replacing the visit's evaluation."""

    signature_png: bytes
    signed_at: datetime
    ratings: dict = field(default_factory=dict)
    mot: dict = field(default_factory=dict)
    comments: str = ""


def verify_url(form_id: str) -> str:
    """Return the public verification address of a form (the QR code's target)."""
    return public_base_url() + f"/verify/{form_id}"


def company(order, lang: str) -> Company:
    """Return the operator as printed in the header of order's forms."""
    name = current_app.config.get("COMPANY_NAME") or ""
    if lang == "en":
        name = current_app.config.get("COMPANY_NAME_EN") or name
    return Company(name=name, hotline=current_app.config.get("FORMS_HOTLINE", ""), branch=order.branch or "")


def customer_name(customer) -> str:
    """Return the customer as a form's 客户 row records them: the recorded name (张三), not a form of address.

    Where a form speaks to the customer (the notice's salutation) it uses ``customer_title``
    instead: surname + title (张先生), or the neutral 尊敬的客户 when no title is recorded.
    """
    return customer.name


class AttachmentImages:
    """The images one job's forms print, each attachment read (a photo shrunk to its printed size) once.

    One per job, shared by the forms it seals: a photo used twice is shrunk once. Not kept across
    jobs: each visit's photos are its own.
    """

    def __init__(self):
        self._found: dict[tuple[str, bool], tuple[bytes, str] | None] = {}

    def get(self, attachment_id: str | None, *, photo: bool = False) -> tuple[bytes, str] | None:
        """Return an attachment's bytes and media type (a photo's at its printed size), or None."""
        if not attachment_id:
            return None
        key = (attachment_id, photo)
        if key not in self._found:
            attachment = db.session.get(Attachment, attachment_id)
            found = (attachment.data, attachment.content_type) if attachment else None
            if found and photo:
                try:
                    found = shrink_photo(*found)
                except Exception:  # checked at upload, so unexpected: print it as stored, as before
                    log.warning("forms: photo %s could not be shrunk; printed as stored", attachment_id, exc_info=True)
            self._found[key] = found
        return self._found[key]


def _event_time(visit: Visit, event_type: str) -> datetime | None:
    return db.session.scalar(
        select(VisitEvent.client_at)
        .where(VisitEvent.visit_id == visit.id, VisitEvent.type == event_type)
        .order_by(VisitEvent.id)
        .limit(1)
    )


def _photos(visit: Visit, images: AttachmentImages) -> tuple[Photo, ...]:
    links = [a for a in visit.attachments or [] if a.get("kind") == "photo"]
    # The operate step's before/after photos first: they are the ones the customer confirmed.
    links.sort(key=lambda a: a.get("step") != "operate")
    photos = []
    for link in links[:MAX_PHOTOS]:
        found = images.get(link["id"], photo=True)
        if found:
            photos.append(Photo(content=found[0], mime_type=found[1]))
    return tuple(photos)


def _technician_signature(visit: Visit, images: AttachmentImages) -> Signature | None:
    found = images.get(visit.technician_signature_attachment_id)
    return Signature(found[0], found[1], signed_at=visit.technician_signed_at) if found else None


def _compliance(visit: Visit, lang: str) -> ComplianceSummary:
    record = tally(visit.compliance)
    flow = get_flow(visit.flow_type)
    return ComplianceSummary(
        score=record["score"],
        verified_score=record["verified_score"],
        attested_score=record["attested_score"],
        verified=record["verified"],
        attested=record["attested"],
        missed=record["missed"],
        not_applicable=record["not_applicable"],
        missed_rules=tuple(rule_label(rule, flow, lang) for rule in record["missed_rules"]),
    )


def service_form_data(
    order,
    visit: Visit,
    *,
    form_id: str,
    number: str,
    lang: str,
    customer_input: CustomerInput | None = None,
    images: AttachmentImages | None = None,
) -> ServiceFormData:
    """Return the Service Form of a completed visit (its images read through `images`, if given)."""
    images = images if images is not None else AttachmentImages()
    customer = order.customer
    customer_signature = None
    if customer_input:
        customer_signature = Signature(customer_input.signature_png, signed_at=customer_input.signed_at)
    else:
        found = images.get(visit.signature_attachment_id)
        if found:
            customer_signature = Signature(found[0], found[1], signed_at=visit.evaluated_at)
    fault = order.description or ""
    if visit.customer_description and visit.customer_description != fault:
        fault = f"{fault}\n{visit.customer_description}".strip()
    diagnosis = (visit.checklist or {}).get("operate", {}).get("fault_diagnosed", {}).get("value") or ""
    return ServiceFormData(
        company=company(order, lang),
        form_number=number,
        work_order_number=order.number,
        work_order_type=order.type,
        customer_name=customer_name(customer),
        customer_phone=mask_phone(customer.phones[0]) if customer.phones else "",
        address=order.address,
        technician_name=visit.technician.name,
        technician_employee_no=visit.technician.employee_no or "",
        verify_url=verify_url(form_id),
        appointment_start=visit.window_starts_at,
        appointment_end=visit.window_ends_at,
        arrived_at=visit.checked_in_at,
        started_at=_event_time(visit, "communicate.record"),
        finished_at=visit.ended_at,
        fault=fault,
        diagnosis=str(diagnosis),
        work_done=visit.operate_notes or "",
        equipment_swaps=tuple(
            EquipmentSwap(s["kind"], s["old_serial"], s["new_serial"]) for s in visit.equipment_swaps or []
        ),
        materials=tuple(
            Material(m["name"], f"{m['qty']:g} {m.get('unit') or ''}".strip()) for m in visit.materials or []
        ),
        fees=tuple(
            Fee(
                f["tariff_code"],
                f["name"][lang],
                f["qty"],
                f["unit"][lang],
                f["unit_price_cents"],
                f["amount_cents"],
                in_warranty=f.get("in_warranty", False),
            )
            for f in visit.fees or []
        ),
        result=visit.result or "",
        customer_signature=customer_signature,
        technician_signature=_technician_signature(visit, images),
        photos=_photos(visit, images),
        compliance=_compliance(visit, lang),
    )


def feedback_form_data(
    order,
    visit: Visit,
    *,
    form_id: str,
    number: str,
    lang: str,
    customer_input: CustomerInput | None = None,
    images: AttachmentImages | None = None,
) -> FeedbackFormData:
    """Return the Customer Feedback Form of a completed visit (its images read through `images`, if given)."""
    images = images if images is not None else AttachmentImages()
    if customer_input:
        ratings, mot, comments = customer_input.ratings, customer_input.mot, customer_input.comments
        signature = Signature(customer_input.signature_png, signed_at=customer_input.signed_at)
        signed_on, declined = customer_input.signed_at.astimezone(LOCAL_TZ).date(), ""
    else:
        ratings, mot, comments = visit.ratings or {}, visit.mot or {}, visit.comments or ""
        found = images.get(visit.signature_attachment_id)
        signature = Signature(found[0], found[1]) if found else None
        signed_on = visit.evaluated_at.astimezone(LOCAL_TZ).date() if visit.evaluated_at else None
        declined = visit.signature_declined_reason or ""
    return FeedbackFormData(
        company=company(order, lang),
        form_number=number,
        work_order_number=order.number,
        customer_name=customer_name(order.customer),
        technician_name=visit.technician.name,
        technician_employee_no=visit.technician.employee_no or "",
        verify_url=verify_url(form_id),
        ratings=ratings,
        mot=mot,
        comments=comments,
        leads=tuple(Lead(lead.product, lead.interest, lead.notes) for lead in visit.leads),
        declined_reason=declined if not signature else "",
        customer_signature=signature,
        signed_on=signed_on,
    )


def came_at(visit: Visit) -> datetime:
    """Return when the technician came to the door: the first knock (the check-in, the end, if none)."""
    if visit.knocks:
        return datetime.fromisoformat(visit.knocks[0]["at"])
    return visit.checked_in_at or visit.ended_at


def notice_message(order, visit: Visit, lang: str) -> str:
    """Return the words of the notice left at the door: the flow's no_access_notice script, filled.

    The app shows the same script filled with the same values (``scriptValues`` in
    ``pwa/src/flow.js``), so what the technician copies onto the paper form and what is sealed agree.
    """
    arrive = flow_step(get_flow(visit.flow_type), "arrive")
    script = next(s for s in arrive["scripts"] if s["id"] == NO_ACCESS_NOTICE_SCRIPT)
    technician = visit.technician
    return fill_script(
        script["text"][lang],
        customer=customer_title(order.customer.name, order.customer.title, lang),
        branch=technician.branch,
        technician=technician.name,
        employee_no=technician.employee_no,
        time=came_at(visit).astimezone(LOCAL_TZ).strftime("%H:%M"),
        phone=technician.phone,
    )


def no_access_notice_data(
    order,
    visit: Visit,
    *,
    form_id: str,
    number: str,
    lang: str,
    customer_input: CustomerInput | None = None,
    images: AttachmentImages | None = None,
) -> NoAccessNoticeData:
    """Return the Service Form left at the door when nobody was home (留单), as sealed."""
    technician = visit.technician
    return NoAccessNoticeData(
        company=company(order, lang),
        form_number=number,
        work_order_number=order.number,
        customer_name=customer_name(order.customer),
        address=order.address,
        technician_name=technician.name,
        technician_employee_no=technician.employee_no or "",
        verify_url=verify_url(form_id),
        message=notice_message(order, visit, lang),
    )


BUILDERS = {
    "service": service_form_data,
    "feedback": feedback_form_data,
    "no_access": no_access_notice_data,
}
