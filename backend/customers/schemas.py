"""Request and response bodies of the customer endpoints."""

from marshmallow import Schema, fields, validate

from backend.apifields import StrictFloat, text
from backend.greetings.scripts import TITLES

PHONE = fields.String(
    validate=[
        validate.Length(min=3, max=32),
        validate.Regexp(r"^\+?[0-9][0-9 \-]*$", error="Digits, spaces, '-' and a leading '+'."),
    ]
)


class CustomerUpdateSchema(Schema):
    """A customer's fields, all optional: PATCH changes only what it names."""

    id = fields.Integer(dump_only=True)
    name = text(64, min_length=1)
    # Only the titles the scripts know: anything else would be stored and then silently not used.
    title = text(
        16,
        allow_none=True,
        validate=validate.OneOf(TITLES),
        metadata={"description": "先生 / 女士 / 小姐: addressed as surname + title (张先生); null when unknown"},
    )
    phones = fields.List(PHONE, validate=validate.Length(max=5))
    address = text(500, min_length=1)
    account_no = text(32, min_length=1, allow_none=True)
    area = text(64, allow_none=True)
    branch = text(64, allow_none=True)
    lat = StrictFloat(allow_none=True, validate=validate.Range(min=-90, max=90))
    lng = StrictFloat(allow_none=True, validate=validate.Range(min=-180, max=180))
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class CustomerSchema(CustomerUpdateSchema):
    name = text(64, min_length=1, required=True)
    phones = fields.List(PHONE, validate=validate.Length(max=5), load_default=list)
    address = text(500, min_length=1, required=True)


class CustomerQuerySchema(Schema):
    q = text(
        64,
        min_length=1,
        metadata={"description": "Part of the name, a phone number or the address, or the account number"},
    )
    branch = text(64)
    area = text(64)
