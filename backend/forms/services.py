"""Seal a visit's forms, list and fetch them, verify copies, and run customer signing links."""

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.config import public_base_url
from backend.errors import Conflict, DomainError, InvalidInput, NotFound
from backend.extensions import db
from backend.forms import configure_for_app
from backend.forms.builder import BUILDERS, AttachmentImages, CustomerInput
from backend.forms.models import Form, SigningLink
from backend.forms.render import render_pdf
from backend.forms.seal import get_sealer, sha256_hex
from backend.messages.services import compose, dispatch
from backend.timeutil import utcnow
from backend.visits.attachments import checked_image_type
from backend.visits.models import Visit, VisitEvent
from backend.visits.payloads import MOT_KEYS, MOT_SCALE, RATING_KEYS, RATING_SCALE
from backend.workorders.models import WorkOrder

log = logging.getLogger(__name__)

NUMBER_PREFIX = {"service": "SF", "feedback": "FB", "no_access": "NA"}
LINK_SALT = "doorstep.forms.signing-link"
DEFAULT_LINK_HOURS = 72
MAX_SIGNATURE_BYTES = 512 * 1024


class NoFinishedVisit(Conflict):
    code = "no_finished_visit"


class LinkUnusable(DomainError):
    """A signing link that is expired, used or forged; `reason` says which."""

    status = 410
    code = "signing_link_unusable"

    def __init__(self, reason: str):
        super().__init__(f"This signing link cannot be used: {reason}.")
        self.reason = reason


def finished_visit(order_id: int) -> Visit:
    visit = db.session.scalar(
        select(Visit)
        .where(Visit.work_order_id == order_id, Visit.ended_at.is_not(None))
        .order_by(Visit.ended_at.desc(), Visit.id.desc())
        .limit(1)
    )
    if visit is None:
        raise NoFinishedVisit(f"Work order {order_id} has no finished visit to make forms from.")
    return visit


def current_form(order_id: int, kind: str) -> Form | None:
    """Return the current (not superseded) form of a kind for a work order."""
    return db.session.scalar(
        select(Form)
        .where(Form.work_order_id == order_id, Form.kind == kind, Form.superseded_by_id.is_(None))
        .order_by(Form.version.desc())
        .limit(1)
    )


def _device_of(visit: Visit) -> str | None:
    return db.session.scalar(
        select(VisitEvent.device_id)
        .where(VisitEvent.visit_id == visit.id, VisitEvent.type.in_(("visit.complete", "arrive.no_access")))
        .order_by(VisitEvent.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class _NewVersion:
    """Everything needed to seal and store one new form version, read before rendering starts."""

    kind: str
    order_number: str
    form: dict  # the Form row's columns, except the PDF, its hash, size and seal time
    data: object  # the form's plain data (ServiceFormData, ...) the renderer draws
    audit: dict


def seal_visit_forms(
    work_order_id: int,
    *,
    actor_id: int | None = None,
    device_id: str | None = None,
    signing_link_id: str | None = None,
    reason: str | None = None,
) -> list[str]:
    """Render and seal the forms of a work order's finished visit; return the current form ids.

    The job a queue worker runs when a visit completes. Running it again for the same visit
    changes nothing; a correction (`reason`) or a customer's signature through a link
    (`signing_link_id`) makes new versions that supersede the current ones.

    Three phases, so no transaction is open while PDFs are drawn (~0.2 s of CPU a form): read
    what the forms show, end that transaction, render and seal, then store every new version
    of the visit in one short write transaction.
    """
    configure_for_app(current_app)
    ids, new_versions = _plan(work_order_id, actor_id, device_id, signing_link_id, reason)
    # Ends the read transaction: on SQLite every transaction is BEGIN IMMEDIATE, so holding it
    # through rendering would keep every other technician's sync waiting for the write lock.
    db.session.commit()
    if not new_versions:
        return ids
    sealer = get_sealer()
    pdfs = [sealer.seal(render_pdf(version.data, version.form["lang"])) for version in new_versions]
    _store(new_versions, pdfs, sealer.subject)
    return ids


def _plan(work_order_id, actor_id, device_id, signing_link_id, reason) -> tuple[list, list[_NewVersion]]:
    """Return the current form ids, new versions' included, and what to seal for the new versions."""
    order = db.session.get(WorkOrder, work_order_id)
    if order is None:
        raise NotFound(f"No work order {work_order_id}.")
    visit = finished_visit(order.id)
    kinds = ("no_access",) if visit.outcome == "no_access" else ("service", "feedback")
    link = db.session.get(SigningLink, signing_link_id) if signing_link_id else None
    customer_input = _customer_input(link) if link else None
    lang = current_app.config.get("FORMS_LANG", "zh")
    customer_signed_at = (
        customer_input.signed_at if customer_input else (visit.evaluated_at if visit.signature_attachment_id else None)
    )
    device_id = device_id or _device_of(visit)
    images = AttachmentImages()  # the job's forms share their images: each read, a photo shrunk, once
    ids, new_versions = [], []
    for kind in kinds:
        existing = current_form(order.id, kind)
        if existing and existing.visit_id == visit.id and not reason and not link:
            ids.append(existing.id)
            continue
        if customer_input is None and link is not None and kind == "no_access":
            continue
        version = (
            db.session.scalar(select(func.max(Form.version)).where(Form.work_order_id == order.id, Form.kind == kind))
            or 0
        ) + 1
        form_id = str(uuid.uuid4())
        number = f"{NUMBER_PREFIX[kind]}-{order.number.removeprefix('WO-')}-{version}"
        data = BUILDERS[kind](
            order, visit, form_id=form_id, number=number, lang=lang, customer_input=customer_input, images=images
        )
        ids.append(form_id)
        new_versions.append(
            _NewVersion(
                kind=kind,
                order_number=order.number,
                form={
                    "id": form_id,
                    "work_order_id": order.id,
                    "visit_id": visit.id,
                    "kind": kind,
                    "version": version,
                    "number": number,
                    "lang": lang,
                    "supersedes_id": existing.id if existing else None,
                    "correction_reason": reason,
                    "sealed_by_id": actor_id,
                },
                data=data,
                audit={
                    "technician_id": visit.technician_id,
                    "device_id": device_id,
                    "visit_id": visit.id,
                    "customer_signed": customer_signed_at is not None,
                    "customer_signed_at": customer_signed_at.isoformat() if customer_signed_at else None,
                    "customer_signed_via": (
                        "signing_link" if link else ("technician_device" if customer_signed_at else None)
                    ),
                    "signing_link_id": link.id if link else None,
                    "signing_link_used_from": link.used_from if link else None,
                    "correction_reason": reason,
                },
            )
        )
    return ids, new_versions


def _store(new_versions: list[_NewVersion], pdfs: list[bytes], signer_subject: str) -> None:
    """Store the sealed versions and supersede the ones they replace, in one transaction."""
    now = utcnow()
    digests = [sha256_hex(pdf) for pdf in pdfs]
    try:
        for version, pdf, digest in zip(new_versions, pdfs, digests, strict=True):
            db.session.add(
                Form(
                    **version.form,
                    sha256=digest,
                    size=len(pdf),
                    pdf=pdf,
                    sealed_at=now,
                    signer_subject=signer_subject,
                    audit={
                        "document_sha256": digest,
                        "sealed_at": now.isoformat(),
                        "sealed_by_id": version.form["sealed_by_id"],
                        "signer_subject": signer_subject,
                        **version.audit,
                    },
                )
            )
            if version.form["supersedes_id"] is not None:
                previous = db.session.get(Form, version.form["supersedes_id"])
                previous.superseded_by_id, previous.superseded_at = version.form["id"], now
            db.session.flush()
    except IntegrityError:
        # Another worker sealed this version first; keep theirs.
        db.session.rollback()
        raise Conflict(f"The {version.kind} form of {version.order_number} was sealed meanwhile; try again.") from None
    db.session.commit()
    for version, digest in zip(new_versions, digests, strict=True):
        log.info(
            "forms: sealed %s v%s of %s (%s)",
            version.kind,
            version.form["version"],
            version.order_number,
            digest,
        )


def _latest_visits_without_forms():
    """The latest finished visit of each work order that has no current form sealed from it.

    A visit ended by a fix on the phone has no forms: nobody came to the door to fill them in.
    """
    latest_visit = (
        select(Visit.work_order_id, func.max(Visit.id).label("visit_id"))
        .where(Visit.ended_at.is_not(None), Visit.outcome != "resolved_by_phone")
        .group_by(Visit.work_order_id)
        .subquery()
    )
    sealed = select(Form.id).where(Form.visit_id == latest_visit.c.visit_id, Form.superseded_by_id.is_(None))
    return latest_visit, ~sealed.exists()


def orders_awaiting_forms() -> list[int]:
    """Return the work orders whose latest finished visit has no current form sealed from it."""
    latest_visit, unsealed = _latest_visits_without_forms()
    return list(
        db.session.scalars(select(latest_visit.c.work_order_id).where(unsealed).order_by(latest_visit.c.work_order_id))
    )


def sealing_backlog() -> dict:
    """Return how many finished visits still wait for their forms, and when the oldest ended."""
    latest_visit, unsealed = _latest_visits_without_forms()
    count, oldest = db.session.execute(
        select(func.count(), func.min(Visit.ended_at))
        .select_from(latest_visit)
        .join(Visit, Visit.id == latest_visit.c.visit_id)
        .where(unsealed)
    ).one()
    return {"visits": count, "oldest_ended_at": oldest}


def _customer_input(link: SigningLink) -> CustomerInput:
    feedback = link.feedback or {}
    return CustomerInput(
        signature_png=link.signature_png,
        signed_at=link.used_at,
        ratings=feedback.get("ratings", {}),
        mot=feedback.get("mot", {}),
        comments=feedback.get("comments", ""),
    )


def forms_of(order_id: int) -> list[Form]:
    """Return every version of every form of a work order, newest first per kind."""
    return list(
        db.session.scalars(select(Form).where(Form.work_order_id == order_id).order_by(Form.kind, Form.version.desc()))
    )


def current_pdf(order_id: int, kind: str) -> Form:
    """Return the current form of a kind, with its PDF, or raise NotFound."""
    form = current_form(order_id, kind)
    if form is None:
        raise NotFound(f"Work order {order_id} has no sealed {kind} form yet.")
    return form


def get_form(form_id: str) -> Form:
    """Return a form by its public id, or raise NotFound."""
    try:
        uuid.UUID(form_id)
    except ValueError:
        raise NotFound("No such form.") from None
    form = db.session.get(Form, form_id)
    if form is None:
        raise NotFound("No such form.")
    return form


def matches(form: Form, uploaded: bytes) -> bool:
    """Tell whether uploaded is byte for byte the sealed PDF of form."""
    return hashlib.sha256(uploaded).hexdigest() == form.sha256


# --- customer signing links -------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def create_signing_link(order: WorkOrder, actor, *, hours: int | None = None) -> tuple[SigningLink, str]:
    """Create a single-use link for the customer to sign; return it and its token."""
    finished_visit(order.id)
    hours = hours or int(current_app.config.get("SIGNING_LINK_HOURS", DEFAULT_LINK_HOURS))
    link = SigningLink(
        id=str(uuid.uuid4()),
        work_order_id=order.id,
        created_by_id=actor.id,
        created_at=utcnow(),
        expires_at=utcnow() + timedelta(hours=hours),
    )
    db.session.add(link)
    token = _serializer().dumps({"l": link.id, "h": hours})
    message = compose("signing_link", order, url=signing_link_url(token))
    db.session.commit()
    dispatch(message)  # the link also goes to the customer's phone, after the commit
    return link, token


def signing_link_url(token: str) -> str:
    """Return the address the customer opens for a token."""
    return public_base_url() + f"/sign/{token}"


def open_signing_link(token: str) -> SigningLink:
    """Return the link a token stands for if it can still be used, else raise LinkUnusable."""
    try:
        payload = _serializer().loads(token, max_age=DEFAULT_LINK_HOURS * 3600 * 30)
    except SignatureExpired:
        raise LinkUnusable("expired") from None
    except BadSignature:
        raise LinkUnusable("invalid") from None
    link = db.session.get(SigningLink, payload.get("l"))
    if link is None:
        raise LinkUnusable("invalid")
    if link.used_at is not None:
        raise LinkUnusable("used")
    if utcnow() >= link.expires_at:
        raise LinkUnusable("expired")
    return link


def submit_signing_link(
    token: str, *, signature_png: bytes, ratings: dict, mot: dict, comments: str, used_from: dict
) -> list[str]:
    """Record the customer's signature and feedback once, then seal new versions of the forms."""
    link = open_signing_link(token)
    if len(signature_png) > MAX_SIGNATURE_BYTES or checked_image_type(signature_png, "signature") != "image/png":
        raise InvalidInput("The signature must be a drawn PNG image.", errors={"signature": ["Sign first."]})
    errors = {}
    for key, value in ratings.items():
        if key not in RATING_KEYS or not RATING_SCALE[0] <= value <= RATING_SCALE[1]:
            errors.setdefault("ratings", {})[key] = ["Must be from 1 to 5."]
    for key, value in mot.items():
        if key not in MOT_KEYS or not MOT_SCALE[0] <= value <= MOT_SCALE[1]:
            errors.setdefault("mot", {})[key] = ["Must be from −3 to +3."]
    if errors:
        raise InvalidInput("Some answers are out of range.", errors=errors)
    # Mark the link used in the same statement that checks it is unused, so two submits race safely.
    now = utcnow()
    claimed = db.session.execute(
        SigningLink.__table__.update()
        .where(SigningLink.id == link.id, SigningLink.used_at.is_(None))
        .values(
            used_at=now,
            used_from=used_from,
            signature_png=signature_png,
            feedback={"ratings": ratings, "mot": mot, "comments": comments},
        )
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise LinkUnusable("used")
    db.session.commit()
    db.session.refresh(link)
    return seal_visit_forms(
        link.work_order_id,
        signing_link_id=link.id,
        reason="客户通过签名链接签名 / signed by the customer through a link",
    )
