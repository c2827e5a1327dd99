"""Schemas of the messages list."""

from marshmallow import Schema, fields, validate

from backend.apifields import db_id, text
from backend.forms.data import mask_phone
from backend.messages.models import MESSAGE_STATUSES


class MessageSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "booked, rescheduled, running_late, signing_link"})
    work_order_id = fields.Integer(allow_none=True)
    to_phone = fields.String()
    # The console lists the masked number: the office finds a message by its order, and a screen
    # of customers' full numbers is readable by anyone passing the desk.
    to_phone_masked = fields.Function(
        lambda m: mask_phone(m.to_phone), metadata={"type": "string", "example": "139****5678"}
    )
    work_order_number = fields.Function(
        lambda m: m.work_order.number if m.work_order is not None else None,
        allow_none=True,
        metadata={"type": "string", "description": "The order's number (WO-…), for the console's link"},
    )
    text = fields.String()
    status = fields.String(metadata={"description": "queued, recorded (no gateway configured), sent, failed"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    gateway_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


class MessageQuerySchema(Schema):
    work_order_id = db_id(strict=False)
    work_order_number = text(32, metadata={"description": "The order's number as read over the phone (WO-…)"})
    status = fields.String(validate=validate.OneOf(MESSAGE_STATUSES))
