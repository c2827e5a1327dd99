"""Account administration: list, create, change and deactivate accounts (admins only)."""

from sqlalchemy import or_, select

from backend.apifields import id_exists_in_range
from backend.auth.models import User
from backend.auth.services import create_user, set_password
from backend.errors import Conflict, NotFound
from backend.extensions import db


def accounts_query(*, role=None, active=None, q=None):
    """Return the SELECT of accounts, filtered by role, active flag and a name fragment."""
    query = select(User).order_by(User.role, User.username)
    if role:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active.is_(active))
    if q:
        query = query.where(or_(User.username.contains(q, autoescape=True), User.name.contains(q, autoescape=True)))
    return query


def get_account(user_id: int) -> User:
    """Return an account or raise NotFound."""
    user = db.session.get(User, user_id) if id_exists_in_range(user_id) else None
    if user is None:
        raise NotFound(f"No account {user_id}.")
    return user


def create_account(data: dict) -> User:
    """Create an account and commit."""
    _ensure_employee_no_free(data.get("employee_no"))
    user = create_user(data.pop("username"), data.pop("password"), data.pop("role"), **data)
    db.session.commit()
    return user


def update_account(admin, user: User, changes: dict) -> User:
    """Change an account; deactivating it (or changing its role) revokes its tokens."""
    if user.id == admin.id and (changes.get("active") is False or changes.get("role", user.role) != user.role):
        raise Conflict("An admin cannot deactivate or demote their own account.", code="cannot_change_self")
    if changes.get("employee_no") and changes["employee_no"] != user.employee_no:
        _ensure_employee_no_free(changes["employee_no"])
    revoke = changes.get("active") is False or changes.get("role", user.role) != user.role
    for field, value in changes.items():
        setattr(user, field, value)
    if revoke:
        user.token_version += 1
    db.session.commit()
    return user


def _ensure_employee_no_free(employee_no):
    if employee_no and db.session.scalar(select(User.id).where(User.employee_no == employee_no)):
        raise Conflict(
            f"Employee number {employee_no} is taken.",
            code="employee_no_taken",
            errors={"json": {"employee_no": ["Already used."]}},
        )


def reset_password(user: User, password: str) -> None:
    """Set an account's password (an admin's reset) and revoke every token it had."""
    set_password(user, password)
    db.session.commit()
