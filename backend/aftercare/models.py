"""Return-visit calls and complaint cases."""

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.timeutil import UTCDateTime, utcnow

# Why a return-visit call did not get through; the order stays in the queue for another try.
UNREACHED_REASONS = ("no_answer", "busy", "switched_off", "wrong_number", "not_convenient")
COMPLAINT_CHANNELS = ("phone", "visit", "sms", "wechat", "web", "letter", "other", "return_visit")
COMPLAINT_STATUSES = ("open", "answered", "resolved")
# A return-visit score from which the customer counts as satisfied (of 1-5).
SATISFIED_FROM = 4
# A case (个案) is a complaint, a query the call centre could not answer at once, or the follow-up
# of a return visit that found the customer unsatisfied or the problem unsolved. All get the clock.
CASE_KINDS = ("complaint", "query", "follow_up")
CASE_SEVERITIES = ("low", "normal", "high")


class ReturnVisitCall(db.Model):
    """One return-visit call (回访) to the customer of a completed order. Never updated."""

    __tablename__ = "return_visit_calls"
    __table_args__ = (
        CheckConstraint(
            f"unreached_reason IS NULL OR unreached_reason IN {UNREACHED_REASONS!r}", name="unreached_reason"
        ),
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="satisfaction"),
        # A call that got through has the customer's answers; one that did not has a reason.
        CheckConstraint(
            "(reached AND satisfaction IS NOT NULL AND resolved IS NOT NULL AND unreached_reason IS NULL)"
            " OR (NOT reached AND satisfaction IS NULL AND resolved IS NULL"
            " AND unreached_reason IS NOT NULL)",
            name="outcome_consistent",
        ),
        # The manager's figures read a range of calls by when they were made.
        Index("ix_return_visit_calls_called_at", "called_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    caller_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    called_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    reached: Mapped[bool] = mapped_column(Boolean)
    unreached_reason: Mapped[str | None] = mapped_column(String(16))
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    notes: Mapped[str] = mapped_column(Text, default="")
    # The status the call moved the order to (closed / needs_revisit), or None when it stayed.
    order_status_after: Mapped[str | None] = mapped_column(String(20))

    caller = relationship("User", lazy="joined")

    @property
    def satisfied(self) -> bool | None:
        """Return whether the customer called the service satisfying (4 or 5 of 5)."""
        return None if self.satisfaction is None else self.satisfaction >= SATISFIED_FROM


class Complaint(db.Model):
    """A complaint case (投诉) about a work order; to be answered by ``due_at``."""

    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(f"channel IN {COMPLAINT_CHANNELS!r}", name="channel"),
        CheckConstraint(f"status IN {COMPLAINT_STATUSES!r}", name="status"),
        CheckConstraint(f"kind IN {CASE_KINDS!r}", name="kind"),
        CheckConstraint(f"severity IN {CASE_SEVERITIES!r}", name="severity"),
        # The queue of cases still waiting for an answer, soonest due first.
        Index("ix_complaints_status_due_at", "status", "due_at"),
        # The manager's figures read a range of cases by when they were opened.
        Index("ix_complaints_opened_at", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The order the case is about, if any (a query may concern no order).
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="complaint")
    channel: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(8), default="normal")
    # 时间、地点、人物、事件、联系电话 of 003: the time is opened_at, the event the description.
    place: Mapped[str | None] = mapped_column(Text)
    person: Mapped[str | None] = mapped_column(String(64))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    # 有关负责人: who must get the answer; an overdue case is escalated to a supervisor.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    escalated_at = mapped_column(UTCDateTime)
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    due_at = mapped_column(UTCDateTime, nullable=False)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at = mapped_column(UTCDateTime)
    answer_notes: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at = mapped_column(UTCDateTime)
    resolution_notes: Mapped[str | None] = mapped_column(Text)

    work_order = relationship("WorkOrder", lazy="joined")
    opened_by = relationship("User", foreign_keys=[opened_by_id], lazy="joined")
    answered_by = relationship("User", foreign_keys=[answered_by_id], lazy="joined")
    resolved_by = relationship("User", foreign_keys=[resolved_by_id], lazy="joined")
    owner = relationship("User", foreign_keys=[owner_id], lazy="joined")
    escalated_to = relationship("User", foreign_keys=[escalated_to_id], lazy="joined")

    @property
    def answered_late(self) -> bool:
        """Return whether the answer came after the deadline."""
        return self.answered_at is not None and self.answered_at > self.due_at

    def is_overdue(self, now) -> bool:
        """Return whether the case is still unanswered past its deadline at ``now``."""
        return self.answered_at is None and now > self.due_at
