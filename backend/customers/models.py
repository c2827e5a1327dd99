"""Customers of the operator."""

from sqlalchemy import JSON, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.timeutil import UTCDateTime, utcnow


class Customer(db.Model):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    # Title used in the call script when the name alone does not say it (先生/小姐/女士).
    title: Mapped[str | None] = mapped_column(String(16))
    phones: Mapped[list] = mapped_column(JSON, default=list)
    address: Mapped[str] = mapped_column(Text)
    account_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    area: Mapped[str | None] = mapped_column(String(64), index=True)
    branch: Mapped[str | None] = mapped_column(String(64))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
