"""Request and response bodies of the work-order endpoints."""

from marshmallow import Schema, ValidationError, fields, validate

from backend.apifields import ORDER_TYPE_METADATA, db_id, text
from backend.booking.schemas import AppointmentSchema
from backend.callcentre.guide import fault_kinds
from backend.workorders.models import PRIORITIES, STATUSES


def order_types() -> list[str]:
    """Return the work-order types: one per flow definition file (types are data)."""
    from backend.visits.definitions import flow_types

    return flow_types()


def _known_fault(value):
    kinds = fault_kinds()
    if value not in kinds:
        raise ValidationError(f"Must be one of: {', '.join(kinds)}.")


def _known_type(value):
    types = order_types()
    if value not in types:
        raise ValidationError(f"Must be one of: {', '.join(types)}.")


class PersonSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    employee_no = fields.String(allow_none=True)
    branch = fields.String(allow_none=True)


class CustomerBriefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    title = fields.String(allow_none=True)
    phones = fields.List(fields.String())
    account_no = fields.String(allow_none=True)


class WorkOrderSchema(Schema):
    """A work order as lists show it."""

    id = fields.Integer()
    number = fields.String(metadata={"example": "WO-20261122-0042"})
    type = fields.String(metadata={ORDER_TYPE_METADATA: True})
    priority = fields.String()
    description = fields.String()
    fault_kind = fields.String(allow_none=True, metadata={"description": "An id of the intake guide's faults"})
    status = fields.String()
    customer_id = fields.Integer()
    customer = fields.Nested(CustomerBriefSchema)
    address = fields.String()
    branch = fields.String(allow_none=True)
    area = fields.String(allow_none=True)
    technician_id = fields.Integer(allow_none=True)
    technician = fields.Nested(PersonSchema, allow_none=True)
    appointment = fields.Nested(
        AppointmentSchema, allow_none=True, metadata={"description": "The live appointment, or the last one kept"}
    )
    version = fields.Integer(metadata={"description": "Also sent as the ETag; PATCH with If-Match"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class StatusChangeSchema(Schema):
    id = fields.Integer()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.Function(lambda change: change.actor.name if change.actor else None)
    reason = fields.String(allow_none=True)
    at = fields.DateTime()


class PhoneGuidanceSchema(Schema):
    id = fields.Integer()
    actor_id = fields.Integer()
    resolved = fields.Boolean()
    notes = fields.String()
    at = fields.DateTime()


class WorkOrderDetailSchema(WorkOrderSchema):
    """A work order with everything that happened to it."""

    history = fields.List(fields.Nested(StatusChangeSchema))
    appointments = fields.List(
        fields.Nested(AppointmentSchema),
        metadata={"description": "Every appointment, reschedules included, oldest first"},
    )
    phone_guidance = fields.List(fields.Nested(PhoneGuidanceSchema))
    allowed_statuses = fields.List(fields.String())
    visit = fields.Raw(allow_none=True, metadata={"description": "The visit's compliance record and audit events"})


class WorkOrderCreateSchema(Schema):
    customer_id = db_id(required=True)
    type = text(32, required=True, validate=_known_type, metadata={ORDER_TYPE_METADATA: True})
    priority = fields.String(load_default="normal", validate=validate.OneOf(PRIORITIES))
    description = text(2000, load_default="")
    address = text(500, min_length=1, metadata={"description": "Defaults to the customer's address"})
    fault_kind = text(32, allow_none=True, validate=_known_fault)
    branch = text(64, allow_none=True)
    area = text(64, allow_none=True)


class WorkOrderUpdateSchema(Schema):
    type = text(32, validate=_known_type, metadata={ORDER_TYPE_METADATA: True})
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    description = text(2000)
    address = text(500, min_length=1)
    fault_kind = text(32, allow_none=True, validate=_known_fault)
    branch = text(64, allow_none=True)
    area = text(64, allow_none=True)


class WorkOrderQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    technician_id = db_id(strict=False)
    customer_id = db_id(strict=False)
    date = fields.Date(metadata={"description": "Day of the appointment, local time (Asia/Shanghai)"})
    type = text(32, validate=_known_type, metadata={ORDER_TYPE_METADATA: True})
    q = text(24, min_length=1, metadata={"description": "Part of the work-order number"})


class StatusMoveSchema(Schema):
    to = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = text(500, allow_none=True)


class PhoneGuidanceInSchema(Schema):
    customer_verified = fields.Boolean(
        required=True, metadata={"description": "The customer's details were checked (核对客户信息); must be true"}
    )
    resolved = fields.Boolean(required=True)
    notes = text(2000, load_default="")
