"""Schemas of the messages list."""

from marshmallow import Schema, fields, validate

from backend.apifields import db_id
from backend.messages.models import MESSAGE_STATUSES


class MessageSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "booked, rescheduled, running_late, signing_link"})
    work_order_id = fields.Integer(allow_none=True)
    to_phone = fields.String()
    text = fields.String()
    status = fields.String(metadata={"description": "queued, recorded (no gateway configured), sent, failed"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    gateway_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


class MessageQuerySchema(Schema):
    work_order_id = db_id(strict=False)
    status = fields.String(validate=validate.OneOf(MESSAGE_STATUSES))
