"""Work orders, their append-only status history, and phone-guidance attempts."""

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.timeutil import UTCDateTime, utcnow

STATUSES = (
    "new",
    "scheduled",
    "en_route",
    "on_site",
    "completed",
    "closed",
    "resolved_by_phone",
    "no_access",
    "needs_revisit",
    "cancelled",
)
PRIORITIES = ("low", "normal", "high", "urgent")


class WorkOrder(db.Model):
    __tablename__ = "work_orders"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        CheckConstraint(f"priority IN {PRIORITIES!r}", name="priority"),
        Index("ix_work_orders_technician_status", "technician_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    # Types are data (one flow file each), so no CHECK on the value.
    type: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    description: Mapped[str] = mapped_column(Text, default="")
    # The fault as the call centre classed it (an id of callcentre/intake.yaml's faults).
    fault_kind: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    # The address at the time of the order: a customer who moves keeps the old order's address.
    address: Mapped[str] = mapped_column(Text)
    branch: Mapped[str | None] = mapped_column(String(64))
    area: Mapped[str | None] = mapped_column(String(64))
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic locking: an update against a stale copy fails instead of losing a change.
    version: Mapped[int] = mapped_column(default=1)

    customer = relationship("Customer", lazy="joined")
    technician = relationship("User", foreign_keys=[technician_id])
    history = relationship("StatusChange", order_by="StatusChange.id", lazy="selectin", back_populates="work_order")

    __mapper_args__ = {"version_id_col": version}


class StatusChange(db.Model):
    """One recorded move of a work order's status: who, when, from, to, why. Never updated."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    at = mapped_column(UTCDateTime, default=utcnow)

    work_order = relationship("WorkOrder", back_populates="history")
    actor = relationship("User", lazy="joined")


class PhoneGuidance(db.Model):
    """An attempt by the dispatcher to solve the request by phone (电话指导) before a visit."""

    __tablename__ = "phone_guidance"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    resolved: Mapped[bool]
    notes: Mapped[str] = mapped_column(Text, default="")
    at = mapped_column(UTCDateTime, default=utcnow)


class WorkOrderCounter(db.Model):
    """The last number handed out per day, for readable numbers like WO-20261122-0042."""

    __tablename__ = "work_order_counters"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
