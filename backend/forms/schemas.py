"""Shapes of the forms API."""

from marshmallow import Schema, fields, validate


class FormSchema(Schema):
    id = fields.String(metadata={"description": "Public id, used in /verify/<id>"})
    kind = fields.String(metadata={"description": "service | feedback | no_access"})
    version = fields.Integer()
    number = fields.String()
    sealed_at = fields.DateTime()
    sha256 = fields.String()
    size = fields.Integer()
    signer_subject = fields.String()
    current = fields.Boolean()
    supersedes_id = fields.String(allow_none=True)
    superseded_by_id = fields.String(allow_none=True)
    correction_reason = fields.String(allow_none=True)
    verify_url = fields.String()


class ResealSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


class SigningLinkInSchema(Schema):
    hours = fields.Integer(load_default=None, validate=validate.Range(min=1, max=24 * 14))


class SigningLinkSchema(Schema):
    id = fields.String()
    url = fields.String()
    expires_at = fields.DateTime()
