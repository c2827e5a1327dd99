"""Request and response bodies of account administration."""

from marshmallow import Schema, fields, validate

from backend.apifields import text
from backend.auth.models import ROLES
from backend.auth.schemas import UserSchema, new_password_field

USERNAME = validate.Regexp(r"^[A-Za-z0-9_.\-]+$", error="Letters, digits, '.', '_' and '-'.")
SHORT_LIST = validate.Length(max=20)


class AccountSchema(UserSchema):
    active = fields.Boolean()
    created_at = fields.DateTime()


class AccountCreateSchema(Schema):
    username = fields.String(required=True, validate=[validate.Length(min=2, max=64), USERNAME])
    password = new_password_field()
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    name = text(64, load_default="")
    employee_no = text(32, min_length=1, allow_none=True)
    branch = text(64, allow_none=True)
    phone = text(32, allow_none=True)
    skills = fields.List(text(32, min_length=1), validate=SHORT_LIST, load_default=list)
    areas = fields.List(text(64, min_length=1), validate=SHORT_LIST, load_default=list)


class AccountUpdateSchema(Schema):
    name = text(64)
    role = fields.String(validate=validate.OneOf(ROLES))
    employee_no = text(32, min_length=1, allow_none=True)
    branch = text(64, allow_none=True)
    phone = text(32, allow_none=True)
    skills = fields.List(text(32, min_length=1), validate=SHORT_LIST)
    areas = fields.List(text(64, min_length=1), validate=SHORT_LIST)
    active = fields.Boolean(metadata={"description": "false deactivates the account and revokes its tokens"})


class AccountQuerySchema(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()
    q = text(64, min_length=1, metadata={"description": "Part of the username or name"})


class PasswordResetSchema(Schema):
    password = new_password_field()
