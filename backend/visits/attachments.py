"""Attachments: photos and signature images, uploaded once by uuid and checked by content."""

import hashlib
import io
import uuid

from flask import current_app
from PIL import Image, UnidentifiedImageError
from sqlalchemy.exc import IntegrityError

from backend.errors import Conflict, DomainError, InvalidInput, NotFound
from backend.extensions import db
from backend.visits.models import Attachment
from backend.workorders.models import WorkOrder

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# A phone photo is ~12 MP; a few bytes must not make the server decode a giant canvas.
MAX_PIXELS = 40_000_000
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
PNG_END = b"IEND\xaeB`\x82"
# Where an upload is kept when another user's upload already has the id it was sent under.
_SCOPED_IDS = uuid.UUID("6f1c2a52-5d0e-4a61-9a43-2f7c3b1d8e90")


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


def _ends_where_its_format_ends(data: bytes, content_type: str) -> bool:
    """Tell whether nothing follows the image: a PNG ends with IEND, a JPEG with EOI, a WebP where RIFF says."""
    if content_type == "image/png":
        return data.endswith(PNG_END)
    if content_type == "image/jpeg":
        return data.endswith(b"\xff\xd9")
    return int.from_bytes(data[4:8], "little") + 8 == len(data)


def checked_image_type(data: bytes, field: str = "body") -> str:
    """Return the media type of a whole JPEG, PNG or WebP image, decoded to its last pixel.

    Raises UnsupportedMedia when the bytes do not even start like one, and InvalidInput naming
    `field` when they start like one but are not exactly one (truncated, corrupt, too many
    pixels, or with anything after the image, such as HTML): stored, such bytes could be served
    as something else.
    """
    content_type = sniff_image_type(data)
    if content_type is None:
        raise UnsupportedMedia("Only JPEG, PNG and WebP images are accepted.", errors={field: ["Not an image."]})
    kind = PILLOW_FORMATS[content_type]
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ValueError(f"{image.width}×{image.height} pixels is more than {MAX_PIXELS:,}")
            image.load()
    except UnidentifiedImageError:
        problem = "its chunks and headers cannot be read"
    except Exception as exc:  # hostile bytes fail a decoder many ways; each means "not this image"
        problem = str(exc) or type(exc).__name__
    else:
        if _ends_where_its_format_ends(data, content_type):
            return content_type
        problem = "bytes follow the end of the image"
    raise InvalidInput(
        f"This is not a whole {kind} image.",
        code="invalid_image",
        errors={field: [f"Starts like a {kind} image but does not decode as one: {problem}."]},
    )


def store_attachment(attachment_id: str, data: bytes, uploader, expected_sha256: str | None = None):
    """Store an upload under its uuid; return (attachment, created). Re-sending the same bytes is a no-op.

    The id names the upload among its uploader's own: another user's upload under the same id
    changes nothing of the answer (see `scoped_attachment_id`).
    """
    if len(data) > max_bytes():
        raise TooLarge(f"Attachments are limited to {max_bytes()} bytes.")
    content_type = checked_image_type(data)
    digest = hashlib.sha256(data).hexdigest()
    if expected_sha256 and expected_sha256.strip().lower() != digest:
        raise InvalidInput(
            "The content does not match the SHA-256 sent with it.",
            code="hash_mismatch",
            errors={"X-Content-SHA256": [f"The content's SHA-256 is {digest}."]},
        )
    existing = find_upload(uploader.id, attachment_id)
    if existing is None:
        stored_id = attachment_id
        if db.session.get(Attachment, attachment_id) is not None:  # another user's upload has it
            stored_id = scoped_attachment_id(uploader.id, attachment_id)
        attachment = Attachment(
            id=stored_id,
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
            existing = find_upload(uploader.id, attachment_id)
    if existing is None or existing.sha256 != digest:
        raise Conflict("This attachment id is taken: upload under a new one.", code="attachment_id_reused")
    return existing, False


def scoped_attachment_id(uploader_id: int, attachment_id: str) -> str:
    """Return the id an upload is stored under when another user's upload holds the one it was sent under.

    An id names an upload within its uploader's own uploads: answering "taken" for another
    user's id would tell a stranger that it exists, so the second upload is kept under this id.
    """
    return str(uuid.uuid5(_SCOPED_IDS, f"{uploader_id}/{attachment_id}"))


def find_upload(uploader_id: int, attachment_id: str) -> Attachment | None:
    """Return the uploader's own upload sent under `attachment_id`, wherever it is stored, or None."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is not None and attachment.uploaded_by_id == uploader_id:
        return attachment
    return db.session.get(Attachment, scoped_attachment_id(uploader_id, attachment_id))


def may_see_order(user, order) -> bool:
    """Tell whether a user may see a work order: office roles see all, a technician their own."""
    return user.role in ("dispatcher", "manager", "admin") or order.technician_id == user.id


def readable_attachment(attachment_id: str, user) -> Attachment:
    """Return an attachment the user may see (same rule as its work order), else raise NotFound."""
    attachment = find_upload(user.id, attachment_id) or db.session.get(Attachment, attachment_id)
    if attachment is not None:
        if attachment.work_order_id is None:
            allowed = attachment.uploaded_by_id == user.id
        else:
            allowed = may_see_order(user, db.session.get(WorkOrder, attachment.work_order_id))
        if allowed:
            return attachment
    # The same answer whether it does not exist or is not theirs: ids are not probeable.
    raise NotFound("No such attachment.")
