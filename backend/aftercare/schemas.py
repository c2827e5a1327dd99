"""Request and response bodies of the return-visit and complaint endpoints."""

from datetime import date

from marshmallow import Schema, fields, validate

from backend.aftercare.models import (
    CASE_KINDS,
    CASE_SEVERITIES,
    COMPLAINT_CHANNELS,
    COMPLAINT_STATUSES,
    UNREACHED_REASONS,
)
from backend.apifields import db_id, text
from backend.customers.schemas import PHONE
from backend.greetings import addressed_as

# Anchored, so marshmallow's match and the published pattern (searched) agree: some text that is
# not white space, and no NUL anywhere (as every request's text, see requestbody.STORABLE_TEXT_PATTERN).
NOT_BLANK = validate.Regexp(r"^\s*[^\s\u0000][^\u0000]*$", error="Must not be blank.")


class AftercareLocalizedSchema(Schema):
    zh = fields.String()
    en = fields.String()


class AftercareOrderSchema(Schema):
    id = fields.Integer()
    number = fields.String(metadata={"example": "WO-20261122-0042"})
    type = fields.String()
    status = fields.String()
    description = fields.String()
    address = fields.String()
    branch = fields.String(allow_none=True)


class AftercareCustomerSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    addressed_as = fields.Function(
        lambda customer: addressed_as(customer.name, customer.title),
        metadata={"description": "Surname + title (张先生), or 尊敬的客户 when no title is recorded"},
    )
    phones = fields.List(fields.String())


class AftercarePersonSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    employee_no = fields.String(allow_none=True)


class ReturnVisitCallSchema(Schema):
    id = fields.Integer()
    work_order_id = fields.Integer()
    caller = fields.Nested(AftercarePersonSchema)
    called_at = fields.DateTime()
    reached = fields.Boolean()
    unreached_reason = fields.String(allow_none=True)
    satisfaction = fields.Integer(allow_none=True)
    satisfied = fields.Boolean(allow_none=True, metadata={"description": "satisfaction 4 or 5"})
    resolved = fields.Boolean(allow_none=True)
    notes = fields.String()
    order_status_after = fields.String(
        allow_none=True, metadata={"description": "closed / needs_revisit, or null when not reached"}
    )


class FollowUpSchema(Schema):
    id = fields.Integer()
    description = fields.String()
    due_at = fields.DateTime()


class ReturnVisitQueueEntrySchema(Schema):
    work_order = fields.Nested(AftercareOrderSchema)
    customer = fields.Nested(AftercareCustomerSchema)
    technician = fields.Nested(AftercarePersonSchema, allow_none=True)
    completed_at = fields.DateTime()
    due_on = fields.Date(metadata={"description": "Local day the return visit fell due"})
    attempts = fields.Integer(metadata={"description": "Calls since completion that did not reach the customer"})
    last_attempt = fields.Nested(ReturnVisitCallSchema, allow_none=True)
    follow_up = fields.Nested(
        FollowUpSchema,
        allow_none=True,
        metadata={"description": "The open follow-up the technician agreed at the visit (修复后主动联系客户进行确认)"},
    )


class ReturnVisitQuerySchema(Schema):
    due = fields.Date(
        validate=validate.Range(min=date(2000, 1, 1), max=date(2999, 12, 31)),
        metadata={"description": "Local day (Asia/Shanghai); orders due on or before it. Default: today"},
    )


class ScriptStepSchema(Schema):
    id = fields.String()
    title = fields.Nested(AftercareLocalizedSchema)
    text = fields.Nested(AftercareLocalizedSchema)


class ReturnVisitSheetSchema(Schema):
    """What the call centre sees for one order's return visit."""

    work_order = fields.Nested(AftercareOrderSchema)
    customer = fields.Nested(AftercareCustomerSchema)
    technician = fields.Nested(AftercarePersonSchema, allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    due_on = fields.Date(allow_none=True)
    awaiting_return_visit = fields.Boolean()
    script = fields.List(
        fields.Nested(ScriptStepSchema),
        metadata={"description": "The standard's return-visit wording, filled for this call"},
    )
    calls = fields.List(fields.Nested(ReturnVisitCallSchema))
    call = fields.Nested(ReturnVisitCallSchema, metadata={"description": "The call just recorded (POST only)"})


class ReturnVisitInSchema(Schema):
    reached = fields.Boolean(
        required=True, metadata={"description": "The customer was reached and took the return-visit call"}
    )
    unreached_reason = fields.String(
        validate=validate.OneOf(UNREACHED_REASONS),
        load_default=None,
        metadata={"description": "Required when not reached"},
    )
    satisfaction = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=5),
        load_default=None,
        metadata={"description": "1–5, required when reached"},
    )
    resolved = fields.Boolean(
        load_default=None,
        metadata={
            "description": "The customer confirms the problem is solved; required when reached. "
            "false sends the order to needs_revisit"
        },
    )
    notes = text(2000, load_default="")


class ComplaintSchema(Schema):
    id = fields.Integer()
    work_order = fields.Nested(AftercareOrderSchema, allow_none=True)
    kind = fields.String(metadata={"description": "complaint, query or follow_up (of a return visit)"})
    channel = fields.String()
    severity = fields.String()
    place = fields.String(allow_none=True)
    person = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    description = fields.String()
    owner = fields.Nested(AftercarePersonSchema, allow_none=True, metadata={"description": "有关负责人"})
    escalated_at = fields.DateTime(allow_none=True)
    escalated_to = fields.Nested(AftercarePersonSchema, allow_none=True, metadata={"description": "The supervisor"})
    status = fields.String()
    opened_by = fields.Nested(AftercarePersonSchema)
    opened_at = fields.DateTime()
    due_at = fields.DateTime(metadata={"description": "An answer is due by then (3 hours after opening)"})
    overdue = fields.Boolean(metadata={"description": "Still unanswered past due_at"})
    answered_late = fields.Boolean()
    answered_by = fields.Nested(AftercarePersonSchema, allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
    answer_notes = fields.String(allow_none=True)
    resolved_by = fields.Nested(AftercarePersonSchema, allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    resolution_notes = fields.String(allow_none=True)


class ComplaintInSchema(Schema):
    work_order_id = db_id(load_default=None, metadata={"description": "The order the case is about, if any"})
    kind = fields.String(load_default="complaint", validate=validate.OneOf(CASE_KINDS))
    channel = fields.String(required=True, validate=validate.OneOf(COMPLAINT_CHANNELS))
    severity = fields.String(load_default="normal", validate=validate.OneOf(CASE_SEVERITIES))
    place = text(500, load_default=None, metadata={"description": "Default: the order's address"})
    person = text(64, load_default=None, metadata={"description": "Who called; default: the order's customer"})
    contact_phone = PHONE
    owner_id = db_id(load_default=None, metadata={"description": "有关负责人: the office user who must answer"})
    description = text(4000, min_length=1, required=True, validate=NOT_BLANK)
    answer = text(
        4000,
        min_length=1,
        validate=NOT_BLANK,
        load_default=None,
        metadata={"description": "An answer given at once, on the same call"},
    )


class ComplaintQuerySchema(Schema):
    overdue = fields.Boolean(metadata={"description": "true: only unanswered past due; false: the others"})
    kind = fields.String(validate=validate.OneOf(CASE_KINDS))
    status = fields.String(validate=validate.OneOf(COMPLAINT_STATUSES))
    work_order_id = db_id(strict=False)


class ComplaintNotesSchema(Schema):
    notes = text(4000, min_length=1, required=True, validate=NOT_BLANK)
