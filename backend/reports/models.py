"""The rollup table: one row per local day × technician × work-order type × branch × area."""

from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.timeutil import UTCDateTime, utcnow


class KpiRollup(db.Model):
    """The summed fact counters (backend/reports/facts.py) of the ended visits of one cell.

    Branch and area are the order's, stored as "" when unknown, so the unique key holds (NULLs
    would make every row distinct). `counts` is a flat {measure: int}: adding rows is adding dicts.
    """

    __tablename__ = "kpi_rollups"
    __table_args__ = (
        UniqueConstraint("day", "technician_id", "work_order_type", "branch", "area", name="uq_kpi_rollups_cell"),
        Index("ix_kpi_rollups_day_branch", "day", "branch"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    work_order_type: Mapped[str] = mapped_column(String(32))
    branch: Mapped[str] = mapped_column(String(64), default="")
    area: Mapped[str] = mapped_column(String(64), default="")
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
