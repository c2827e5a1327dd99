"""Appointments: a time window with one technician for one work order."""

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.timeutil import UTCDateTime, utcnow

APPOINTMENT_STATUSES = ("active", "cancelled", "superseded", "done")


class Appointment(db.Model):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="window"),
        CheckConstraint(f"status IN {APPOINTMENT_STATUSES!r}", name="status"),
        # One live appointment per work order.
        Index(
            "uq_appointments_active_order",
            "work_order_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
        Index("ix_appointments_technician_start", "technician_id", "starts_at"),
        # The dispatcher's day list picks appointments by day across all technicians.
        Index("ix_appointments_starts_at", "starts_at"),
        # A technician is never double-booked; PostgreSQL enforces it itself. SQLite serialises
        # bookings instead (see booking services).
        ExcludeConstraint(
            ("technician_id", "="),
            (func.tstzrange(text("starts_at"), text("ends_at")), "&&"),
            name="no_double_booking",
            using="gist",
            where=text("status = 'active'"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_at = mapped_column(UTCDateTime, nullable=False)
    ends_at = mapped_column(UTCDateTime, nullable=False)
    status: Mapped[str] = mapped_column(String(12), default="active")
    # For a reschedule: who asked (customer or company) and why.
    requested_by: Mapped[str | None] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow)

    work_order = relationship("WorkOrder")
    technician = relationship("User", foreign_keys=[technician_id])
