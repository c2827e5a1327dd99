"""Accounts: technicians, dispatchers, managers and admins."""

from sqlalchemy import JSON, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.timeutil import UTCDateTime, utcnow

ROLES = ("technician", "dispatcher", "manager", "admin")


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64), default="")
    employee_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    branch: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    skills: Mapped[list] = mapped_column(JSON, default=list)
    areas: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped to revoke every token issued before (password change, deactivation).
    token_version: Mapped[int] = mapped_column(default=1)
    created_at = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_technician(self) -> bool:
        return self.role == "technician"
