"""Visits and what they leave behind: sync ops, the audit trail, attachments and sales leads."""

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.timeutil import UTCDateTime, utcnow

ARRIVAL_CLASSES = ("early", "on_time", "late")
OUTCOMES = ("completed", "needs_revisit", "no_access", "resolved_by_phone")
RESULTS = ("fixed", "not_fixed", "needs_revisit")
# A visit's flag: it arrived late without calling the customer first (the standard requires the call).
LATE_WITHOUT_NOTICE = "late_without_notice"


class Visit(db.Model):
    """One trip of a technician to a work order's customer, following the six steps.

    Per-step data is kept as JSON because its shape follows the flow definition (data, not
    code); what managers filter on (arrival class, outcome, score, style) are real columns.
    """

    __tablename__ = "visits"
    __table_args__ = (
        # At most one open visit per work order.
        Index(
            "uq_visits_open_order",
            "work_order_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
        CheckConstraint(f"arrival_class IN {ARRIVAL_CLASSES!r}", name="arrival_class"),
        CheckConstraint(f"outcome IN {OUTCOMES!r}", name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    flow_type: Mapped[str] = mapped_column(String(32))
    flow_version: Mapped[int] = mapped_column(Integer)
    # The appointment window as it was when the visit started.
    window_starts_at = mapped_column(UTCDateTime)
    window_ends_at = mapped_column(UTCDateTime)

    # Times are the device's clock (when it happened), the server's receive times are on events.
    started_at = mapped_column(UTCDateTime, default=utcnow)
    checked_in_at = mapped_column(UTCDateTime)
    checkin_lat: Mapped[float | None] = mapped_column(Float)
    checkin_lng: Mapped[float | None] = mapped_column(Float)
    checkin_accuracy_m: Mapped[float | None] = mapped_column(Float)
    arrival_class: Mapped[str | None] = mapped_column(String(8))
    # Seconds before the window start (negative when late).
    arrival_lead_seconds: Mapped[int | None] = mapped_column(Integer)
    late_notice_at = mapped_column(UTCDateTime)
    late_notice: Mapped[dict | None] = mapped_column(JSON)
    ended_at = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(20))

    # Step data.
    checklist: Mapped[dict] = mapped_column(JSON, default=dict)  # step -> item -> {value, at}
    call_attempts: Mapped[list] = mapped_column(JSON, default=list)
    knocks: Mapped[list] = mapped_column(JSON, default=list)
    no_access_notice_id: Mapped[str | None] = mapped_column(String(36))
    customer_description: Mapped[str | None] = mapped_column(Text)
    customer_style: Mapped[str | None] = mapped_column(String(8))
    needs: Mapped[list] = mapped_column(JSON, default=list)
    work_kinds: Mapped[list] = mapped_column(JSON, default=list)
    equipment_swaps: Mapped[list] = mapped_column(JSON, default=list)
    materials: Mapped[list] = mapped_column(JSON, default=list)
    fees: Mapped[list] = mapped_column(JSON, default=list)
    fees_total_cents: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[str | None] = mapped_column(String(16))
    operate_notes: Mapped[str | None] = mapped_column(Text)
    # Work left unfixed: the new time agreed with the customer, {start, end} (另约时间).
    revisit_window: Mapped[dict | None] = mapped_column(JSON)
    # The technician signs the work record (operate.record); a later record without one clears it.
    technician_signature_attachment_id: Mapped[str | None] = mapped_column(String(36))
    technician_signed_at = mapped_column(UTCDateTime)
    ratings: Mapped[dict | None] = mapped_column(JSON)
    mot: Mapped[dict | None] = mapped_column(JSON)
    comments: Mapped[str | None] = mapped_column(Text)
    signature_attachment_id: Mapped[str | None] = mapped_column(String(36))
    signature_declined_reason: Mapped[str | None] = mapped_column(Text)
    evaluated_at = mapped_column(UTCDateTime)
    help_checks: Mapped[list] = mapped_column(JSON, default=list)
    leaflet_given: Mapped[bool | None] = mapped_column(Boolean)
    attachments: Mapped[list] = mapped_column(JSON, default=list)  # [{id, step, kind}]
    completed_steps: Mapped[list] = mapped_column(JSON, default=list)
    flags: Mapped[list] = mapped_column(JSON, default=list)

    # Compliance with the standard: rule id -> {passed, evidence, checked_at}.
    compliance: Mapped[dict] = mapped_column(JSON, default=dict)
    compliance_score: Mapped[int | None] = mapped_column(Integer)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Read-only: visits and leads are written by id, and the unit of work then has no
    # dependencies to sort on the flush that follows every applied sync op.
    work_order = relationship("WorkOrder", viewonly=True)
    technician = relationship("User", foreign_keys=[technician_id], viewonly=True)
    leads = relationship("Lead", back_populates="visit", order_by="Lead.id", viewonly=True)


class Lead(db.Model):
    """A customer's interest in another product, for the sales team (主动营销)."""

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    product: Mapped[str] = mapped_column(String(64))
    interest: Mapped[str] = mapped_column(String(8))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, index=True)

    visit = relationship("Visit", back_populates="leads", viewonly=True)


class SyncOp(db.Model):
    """One client action seen by the server, kept so it is applied exactly once.

    The UNIQUE op_id is what makes two identical batches racing each other apply once.
    """

    __tablename__ = "sync_ops"

    id: Mapped[int] = mapped_column(primary_key=True)
    op_id: Mapped[str] = mapped_column(String(64), unique=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    work_order_id: Mapped[int | None] = mapped_column(Integer, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(40))
    client_at = mapped_column(UTCDateTime)
    received_at = mapped_column(UTCDateTime, default=utcnow)
    result: Mapped[dict | None] = mapped_column(JSON)


class VisitEvent(db.Model):
    """An applied action, append-only (the database refuses updates and deletes)."""

    __tablename__ = "visit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"))
    op_id: Mapped[str | None] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str | None] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(40))
    client_at = mapped_column(UTCDateTime)
    server_at = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)

    actor = relationship("User", lazy="joined")


class Attachment(db.Model):
    """A photo or signature image uploaded by a technician, referenced from ops by its uuid."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at = mapped_column(UTCDateTime, default=utcnow)
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
