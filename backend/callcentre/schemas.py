"""Schemas of the intake guide and the caller's history."""

from marshmallow import Schema, fields

from backend.aftercare.schemas import ComplaintSchema
from backend.customers.schemas import CustomerSchema
from backend.workorders.schemas import WorkOrderSchema


class IntakeTextSchema(Schema):
    zh = fields.String()
    en = fields.String()


class CheckSchema(Schema):
    id = fields.String()
    label = fields.Nested(IntakeTextSchema)


class ForbiddenSchema(Schema):
    say_not = fields.String(metadata={"description": "Words the call centre must not use"})
    say = fields.String(metadata={"description": "What to say instead"})


class FaultSchema(Schema):
    id = fields.String(metadata={"description": "Recorded on the work order as fault_kind"})
    label = fields.Nested(IntakeTextSchema)
    order_types = fields.List(fields.String())
    guidance = fields.List(fields.Nested(IntakeTextSchema), metadata={"description": "Phone guidance (电话指导)"})


class OrderTypeSchema(Schema):
    id = fields.String()
    name = fields.Nested(IntakeTextSchema)


class IntakeGuideSchema(Schema):
    version = fields.Integer()
    answer = fields.Nested(IntakeTextSchema, metadata={"description": "Answering script, with the agent's number"})
    closing = fields.List(fields.Nested(IntakeTextSchema))
    verify = fields.List(fields.Nested(CheckSchema), metadata={"description": "核对客户信息 checklist"})
    forbidden = fields.List(fields.Nested(ForbiddenSchema))
    tips = fields.List(fields.Nested(IntakeTextSchema))
    case_tips = fields.List(fields.Nested(IntakeTextSchema), metadata={"description": "Complaint-handling guidance"})
    faults = fields.List(fields.Nested(FaultSchema))
    order_types = fields.List(fields.Nested(OrderTypeSchema), metadata={"description": "Work-order types and names"})


class HistoryOrderSchema(Schema):
    order = fields.Nested(WorkOrderSchema)
    visit_overall = fields.Integer(allow_none=True, metadata={"description": "The customer's overall rating 1-5"})
    return_visit_satisfaction = fields.Integer(allow_none=True)


class CustomerHistorySchema(Schema):
    customer = fields.Nested(CustomerSchema)
    orders = fields.List(fields.Nested(HistoryOrderSchema), metadata={"description": "The newest 20, newest first"})
    open_complaints = fields.List(fields.Nested(ComplaintSchema))
