"""Sealed forms and customer signing links.

A sealed form's PDF and hash never change (the database refuses it); a correction is a new
version that supersedes the old, and both stay verifiable. The PDF bytes live in the database
(LargeBinary) so a form and its record cannot drift apart.
"""

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.timeutil import UTCDateTime, utcnow

FORM_KINDS = ("service", "feedback", "no_access")


class Form(db.Model):
    """One sealed version of one form of a work order."""

    __tablename__ = "forms"
    __table_args__ = (
        UniqueConstraint("work_order_id", "kind", "version", name="uq_forms_order_kind_version"),
        CheckConstraint(f"kind IN {FORM_KINDS!r}", name="kind"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid4: the public /verify/<id>
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"))
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(48))
    lang: Mapped[str] = mapped_column(String(8))
    supersedes_id: Mapped[str | None] = mapped_column(ForeignKey("forms.id"))
    superseded_by_id: Mapped[str | None] = mapped_column(String(36))
    superseded_at = mapped_column(UTCDateTime)
    correction_reason: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sealed_at = mapped_column(UTCDateTime, default=utcnow)
    sealed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signer_subject: Mapped[str] = mapped_column(String(255))
    # Who signed, when and from which device, and the document hash, kept with the form.
    audit: Mapped[dict] = mapped_column(JSON, default=dict)

    sealed_by = relationship("User")

    @property
    def current(self) -> bool:
        """Tell whether no later version supersedes this one."""
        return self.superseded_by_id is None


class SigningLink(db.Model):
    """A single-use, expiring link that lets the customer sign and give feedback on their phone."""

    __tablename__ = "signing_links"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow)
    expires_at = mapped_column(UTCDateTime)
    used_at = mapped_column(UTCDateTime)
    used_from: Mapped[dict | None] = mapped_column(JSON)  # {ip, user_agent}
    # What the customer gave on the page: {ratings, mot, comments}, and the drawn signature.
    feedback: Mapped[dict | None] = mapped_column(JSON)
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
