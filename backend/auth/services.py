"""Passwords, bearer tokens and account creation."""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, select

from backend.auth.models import ROLES, User
from backend.auth.passwords import check_password
from backend.errors import Conflict, InvalidInput, Unauthorized
from backend.extensions import db

_hasher = PasswordHasher()
# Verifying against a real hash even for unknown users keeps response times alike.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def _serializer() -> URLSafeTimedSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"])


@lru_cache(maxsize=8)
def _serializer_for(secret_key) -> URLSafeTimedSerializer:
    # Built once per key: every authenticated request checks a token.
    return URLSafeTimedSerializer(secret_key, salt="doorstep-auth")


def create_user(
    username, password, role, *, name="", employee_no=None, branch=None, phone=None, skills=(), areas=()
) -> User:
    """Create an account; the caller commits."""
    if role not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}.", errors={"role": [f"Must be one of {', '.join(ROLES)}."]})
    check_password(password, username)
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"User {username!r} exists.", code="username_taken")
    user = User(
        username=username,
        password_hash=_hasher.hash(password),
        role=role,
        name=name or username,
        employee_no=employee_no,
        branch=branch,
        phone=phone,
        skills=list(skills),
        areas=list(areas),
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(username: str, password: str) -> User:
    """Return the active user with these credentials or raise Unauthorized."""
    user = db.session.scalar(select(User).where(User.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.active:
        raise Unauthorized("Wrong username or password.", code="bad_credentials")
    return user


def set_password(user: User, password: str, *, field="password") -> None:
    """Give the account a new password (checked, errors naming `field`) and revoke its tokens; the caller commits."""
    check_password(password, user.username, field=field)
    user.password_hash = _hasher.hash(password)
    user.token_version += 1


def change_own_password(user: User, old_password: str, new_password: str) -> User:
    """Change one's own password, proving the old one; every earlier token of the account stops working."""
    try:
        _hasher.verify(user.password_hash, old_password)
    except (VerificationError, InvalidHashError):
        raise InvalidInput(
            "The old password is wrong.", code="wrong_password", errors={"json": {"old_password": ["Wrong password."]}}
        ) from None
    if new_password == old_password:
        raise InvalidInput(
            "The new password is the old one.",
            errors={"json": {"new_password": ["Must differ from the old password."]}},
        )
    set_password(user, new_password, field="new_password")
    db.session.commit()
    return user


def issue_token(user: User) -> str:
    """Return a signed bearer token for the user."""
    return _serializer().dumps({"uid": user.id, "v": user.token_version})


# Built once: composing the lookup on every request cost more than running it (Session.get builds
# a new statement, and its cache key, each time).
_USER_BY_ID = select(User).where(User.id == bindparam("user_id"))


def user_from_token(token: str) -> User:
    """Return the user a valid, unexpired token names, or raise Unauthorized."""
    try:
        claims = _serializer().loads(token, max_age=current_app.config["TOKEN_MAX_AGE_SECONDS"])
    except SignatureExpired:
        raise Unauthorized("The session has expired; log in again.", code="token_expired") from None
    except BadSignature:
        raise Unauthorized("Invalid token.", code="bad_token") from None
    user = (
        db.session.execute(_USER_BY_ID, {"user_id": claims.get("uid")}).scalar_one_or_none()
        if isinstance(claims, dict)
        else None
    )
    if user is None or not user.active or user.token_version != claims.get("v"):
        raise Unauthorized("Invalid token.", code="bad_token")
    return user
