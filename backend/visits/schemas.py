"""Marshmallow schemas of the visits API: the sync envelope and request, results, attachments.

OpenAPI publishes each op type's envelope with its payload schema, all read from the op
registry (`engine.OPS`), as a `oneOf` discriminated by `type`.
"""

import re

from marshmallow import Schema, fields, validate

from backend.visits.compliance import STATUSES
from backend.visits.engine import OPS
from backend.visits.payloads import Declined, DeclinedSchema

_SYNC_OPS_METADATA = "sync_ops_one_of"


class SyncOpSchema(Schema):
    """The envelope every op shares; its payload (`data`) is loaded by its type's schema afterwards."""

    op_id = fields.String(required=True, validate=validate.Length(min=8, max=64))
    work_order_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    type = fields.String(required=True, validate=validate.OneOf(list(OPS)))
    at = fields.String(
        required=True,
        validate=validate.Length(max=64),
        metadata={"description": "device time, ISO 8601 with offset", "format": "date-time"},
    )
    data = fields.Dict(load_default=dict, metadata={"description": "payload of the action type"})


def _published_op(op):
    """Return the envelope of one op type as OpenAPI shows it: `type` fixed, `data` its payload schema."""
    name = "SyncOp" + "".join(word.capitalize() for word in re.split(r"[._]", op.name))
    return type(
        name,
        (SyncOpSchema,),
        {
            "type": fields.String(required=True, validate=validate.OneOf([op.name])),
            "data": fields.Nested(type(op.payload), load_default=dict),
        },
    )


PUBLISHED_OPS = {name: _published_op(op) for name, op in OPS.items()}


class SyncRequestSchema(Schema):
    device_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    # Loaded as any JSON values: a bad op (even null or a number) is refused on its own, in
    # its own result, never the batch.
    ops = fields.List(
        fields.Raw(allow_none=True),
        required=True,
        validate=validate.Length(max=1000),
        metadata={
            "description": "Each op is checked on its own: one that breaks its schema is `rejected` in the reply",
            _SYNC_OPS_METADATA: True,
        },
    )


def document_sync_ops(api):
    """Publish the sync request's ops as a `oneOf` of each op type's envelope, discriminated by `type`."""

    def one_of(converter, field, **_kwargs):
        if isinstance(field, Declined):
            return {"oneOf": [{"type": "boolean"}, converter.resolve_nested_schema(DeclinedSchema)]}
        if not field.metadata.get(_SYNC_OPS_METADATA):
            return {}
        refs = {name: converter.resolve_nested_schema(schema) for name, schema in PUBLISHED_OPS.items()}
        mapping = {name: ref["$ref"] for name, ref in refs.items()}
        return {"items": {"oneOf": list(refs.values()), "discriminator": {"propertyName": "type", "mapping": mapping}}}

    api.ma_plugin.converter.add_attribute_function(one_of)


class OpResultSchema(Schema):
    op_id = fields.String(allow_none=True, metadata={"description": "null when the op had no usable op_id"})
    status = fields.String(metadata={"description": "applied, duplicate, conflict or rejected"})
    code = fields.String()
    message = fields.String()
    errors = fields.Dict()
    flags = fields.List(fields.String(), metadata={"description": "e.g. late_without_notice"})
    first_result = fields.Dict(metadata={"description": "for a duplicate: the result it had when applied"})


class SyncResponseSchema(Schema):
    results = fields.List(fields.Nested(OpResultSchema))
    server_time = fields.String()


class AttachmentSchema(Schema):
    id = fields.String()
    sha256 = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    uploaded_at = fields.DateTime()
    work_order_id = fields.Integer(allow_none=True)


class ComplianceRuleSchema(Schema):
    rule = fields.String(metadata={"description": "e.g. arrive.on_time, or <step>.<checklist item id>"})
    status = fields.String(
        validate=validate.OneOf(STATUSES),
        metadata={"description": "verified (the server checked the evidence), attested (ticked), missed, n.a."},
    )
    evidence = fields.Dict(allow_none=True, metadata={"description": "what the status rests on"})
    checked_at = fields.String(allow_none=True)


class ComplianceSchema(Schema):
    score = fields.Integer(allow_none=True, metadata={"description": "% of applicable rules met"})
    verified_score = fields.Integer(allow_none=True, metadata={"description": "% met on the server's evidence"})
    attested_score = fields.Integer(allow_none=True, metadata={"description": "% met on the technician's tick"})
    applicable = fields.Integer()
    verified = fields.Integer()
    attested = fields.Integer()
    missed = fields.Integer()
    not_applicable = fields.Integer()
    missed_rules = fields.List(fields.String())
    rules = fields.List(fields.Nested(ComplianceRuleSchema))
    flags = fields.List(fields.String(), metadata={"description": "e.g. late_without_notice"})


class VisitSummarySchema(Schema):
    compliance = fields.Nested(ComplianceSchema, allow_none=True, metadata={"description": "of the latest visit"})
    visits = fields.List(fields.Dict(), metadata={"description": "every visit, oldest first, each with its compliance"})
    events = fields.List(fields.Dict(), metadata={"description": "the audit trail, oldest first"})
