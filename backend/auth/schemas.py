"""Request and response bodies of the auth endpoints."""

from marshmallow import Schema, fields, validate

from backend.auth.passwords import MAX_LENGTH, RULES


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String()
    name = fields.String()
    role = fields.String()
    employee_no = fields.String(allow_none=True)
    branch = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    skills = fields.List(fields.String())
    areas = fields.List(fields.String())


class TokenSchema(Schema):
    token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    user = fields.Nested(UserSchema)


def new_password_field():
    """Return the field of a password being set, documenting the rules the service checks."""
    return fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(max=MAX_LENGTH),
        metadata={"description": RULES},
    )


class PasswordChangeSchema(Schema):
    old_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_LENGTH))
    new_password = new_password_field()
