"""Schemas of the live-visits board and its change cursor."""

from marshmallow import Schema, fields, validate

from backend.live.services import ALERTS, MAX_WAIT_SECONDS

CURSOR = fields.String(
    validate=validate.Regexp(r"^\d{1,18}\.\d{1,18}\.\d{1,18}$", error="A cursor from an earlier answer."),
    metadata={"description": "Opaque; pass back the one from the last answer"},
)


class LiveQuerySchema(Schema):
    date = fields.Date(metadata={"description": "Local day (Asia/Shanghai); today when omitted"})
    branch = fields.String(validate=validate.Length(min=1, max=64))


class ChangesQuerySchema(Schema):
    cursor = fields.String(required=True, validate=CURSOR.validate, metadata=CURSOR.metadata)
    wait = fields.Integer(
        load_default=20,
        validate=validate.Range(0, MAX_WAIT_SECONDS),
        metadata={"description": "Seconds to hold the request open when nothing has changed"},
    )


class LiveOrderSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    type = fields.String()
    status = fields.String()


class LiveVisitStateSchema(Schema):
    current_step = fields.String(allow_none=True)
    completed_steps = fields.List(fields.String())
    checked_in_at = fields.DateTime(allow_none=True)
    arrival_class = fields.String(allow_none=True, metadata={"description": "early (by the standard), on_time, late"})
    late_notice = fields.Boolean()
    outcome = fields.String(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)


class LiveWindowSchema(Schema):
    start = fields.DateTime()
    end = fields.DateTime()


class LiveVisitSchema(Schema):
    work_order = fields.Nested(LiveOrderSchema)
    customer = fields.String(metadata={"description": "How to address the customer (张先生)"})
    address = fields.String()
    technician_id = fields.Integer()
    window = fields.Nested(LiveWindowSchema)
    visit = fields.Nested(
        LiveVisitStateSchema, allow_none=True, metadata={"description": "None until the visit starts"}
    )
    alerts = fields.List(fields.String(validate=validate.OneOf(ALERTS)))


class LiveTechnicianSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    employee_no = fields.String(allow_none=True)
    last_sync_at = fields.DateTime(allow_none=True)


class LiveDaySchema(Schema):
    date = fields.Date()
    server_time = fields.DateTime()
    visits = fields.List(fields.Nested(LiveVisitSchema))
    technicians = fields.List(fields.Nested(LiveTechnicianSchema))
    cursor = CURSOR


class ChangesSchema(Schema):
    cursor = CURSOR
    changed = fields.Boolean(metadata={"description": "True: reload the day; false: nothing changed in the wait"})
