"""Attachments: photos and signature images, uploaded once by uuid and checked by content."""

import hashlib

from flask import current_app
from sqlalchemy.exc import IntegrityError

from backend.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from backend.extensions import db
from backend.visits.models import Attachment
from backend.workorders.models import WorkOrder

DEFAULT_MAX_BYTES = 5 * 1024 * 1024


class TooLarge(DomainError):
    code = "too_large"
    status = 413


class UnsupportedMedia(DomainError):
    code = "unsupported_media_type"
    status = 415


def max_bytes() -> int:
    """Return the largest attachment accepted (config ATTACHMENT_MAX_BYTES)."""
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def sniff_image_type(data: bytes) -> str | None:
    """Return the image's media type from its first bytes: JPEG, PNG or WebP, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def store_attachment(attachment_id: str, data: bytes, uploader, expected_sha256: str | None = None):
    """Store an upload under its uuid; return (attachment, created). Re-sending the same bytes is a no-op."""
    if len(data) > max_bytes():
        raise TooLarge(f"Attachments are limited to {max_bytes()} bytes.")
    content_type = sniff_image_type(data)
    if content_type is None:
        raise UnsupportedMedia("Only JPEG, PNG and WebP images are accepted.")
    digest = hashlib.sha256(data).hexdigest()
    if expected_sha256 and expected_sha256.strip().lower() != digest:
        raise InvalidInput(
            "The content does not match the SHA-256 sent with it.",
            code="hash_mismatch",
            errors={"X-Content-SHA256": [f"The content's SHA-256 is {digest}."]},
        )
    existing = db.session.get(Attachment, attachment_id)
    if existing is None:
        attachment = Attachment(
            id=attachment_id,
            sha256=digest,
            content_type=content_type,
            size=len(data),
            data=data,
            uploaded_by_id=uploader.id,
        )
        try:
            with db.session.begin_nested():
                db.session.add(attachment)
            db.session.commit()
            return attachment, True
        except IntegrityError:  # the same upload raced us: compare with what won
            existing = db.session.get(Attachment, attachment_id)
    if existing.sha256 != digest:
        raise Conflict("This attachment id already holds different content.", code="attachment_id_reused")
    if existing.uploaded_by_id != uploader.id:
        raise Forbidden("This attachment was uploaded by someone else.")
    return existing, False


def may_see_order(user, order) -> bool:
    """Tell whether a user may see a work order: office roles see all, a technician their own."""
    return user.role in ("dispatcher", "manager", "admin") or order.technician_id == user.id


def readable_attachment(attachment_id: str, user) -> Attachment:
    """Return an attachment the user may see (same rule as its work order), else raise NotFound."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is not None:
        if attachment.work_order_id is None:
            allowed = attachment.uploaded_by_id == user.id
        else:
            allowed = may_see_order(user, db.session.get(WorkOrder, attachment.work_order_id))
        if allowed:
            return attachment
    # The same answer whether it does not exist or is not theirs: ids are not probeable.
    raise NotFound("No such attachment.")
