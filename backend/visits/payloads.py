"""The payload (`data`) of each sync op type: marshmallow schemas, checked before anything is applied.

Which schema belongs to which op type is declared once, in the op registry (`engine.OPS`).
"""

from marshmallow import Schema, ValidationError, fields, validate

from backend.greetings import greeting_ids
from backend.visits.definitions import CALL_OUTCOMES, CUSTOMER_STYLES, STEP_IDS, SWAP_KINDS, WORK_KINDS
from backend.visits.models import RESULTS

NEEDS = ("physical", "business", "information", "emotional")
ATTACHMENT_KINDS = ("photo", "signature", "notice")
LEAD_INTEREST = ("high", "medium", "low")
RATING_KEYS = ("overall", "punctuality", "attitude", "professionalism", "tidiness")
MOT_KEYS = ("call", "arrival", "communication", "operation")
# The scales the customer scores on: ratings 1-5 stars, moments of truth -3..+3 (the standard's MOT scale).
RATING_SCALE = (1, 5)
MOT_SCALE = (-3, 3)

NonEmpty = validate.Length(min=1)


def not_blank(value):
    """Refuse a text of spaces only (a reason that says nothing)."""
    if not value.strip():
        raise ValidationError("Must not be blank.")


Uuid = fields.UUID
# Caps on what a technician types: a name or code, and notes / descriptions / comments.
SHORT_TEXT_MAX = 200
NOTES_MAX = 2000
QTY_MAX = 999  # one line of materials or fees; also keeps a fee total far from any overflow
Qty = validate.Range(min=0, min_inclusive=False, max=QTY_MAX)


class Text(fields.String):
    """A string with a length cap (SHORT_TEXT_MAX unless told), so no stored text is unbounded."""

    def __init__(self, *, max_length=SHORT_TEXT_MAX, **kwargs):
        super().__init__(**kwargs)
        self.validators.insert(0, validate.Length(max=max_length))


class Notes(Text):
    """Free text: notes, descriptions, comments, reasons."""

    def __init__(self, **kwargs):
        super().__init__(max_length=NOTES_MAX, **kwargs)


class ConfirmedWindowSchema(Schema):
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)


class CallAttemptData(Schema):
    outcome = Text(required=True, validate=validate.OneOf(CALL_OUTCOMES))
    window = fields.Nested(ConfirmedWindowSchema)
    fault_description = Notes()
    notes = Notes()
    # The greeting the app showed at the moment of the call (an id of backend/greetings/greetings.yaml).
    greeting = Text(validate=validate.OneOf(greeting_ids()))


class PhoneFixData(Schema):
    """电话指导 on the call: what the guidance fixed (the order closes as resolved_by_phone)."""

    notes = Notes(required=True, validate=not_blank)


class LateNoticeData(Schema):
    reason = Notes(required=True, validate=NonEmpty)
    new_eta = fields.AwareDateTime(required=True)


class CheckinData(Schema):
    lat = fields.Float(validate=validate.Range(-90, 90), allow_none=True)
    lng = fields.Float(validate=validate.Range(-180, 180), allow_none=True)
    accuracy_m = fields.Float(validate=validate.Range(min=0), allow_none=True)


class KnockData(Schema):
    round = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=99))


class NoAccessData(Schema):
    notice_attachment_id = Uuid(required=True)


class ChecklistAnswerData(Schema):
    step = Text(required=True, validate=validate.OneOf(STEP_IDS))
    item = Text(required=True, validate=NonEmpty)
    value = fields.Raw(required=True, allow_none=True)


class ChecklistCorrectData(Schema):
    """A correction of an answer of a completed step: the new value and why it changed."""

    step = Text(required=True, validate=validate.OneOf(STEP_IDS))
    item = Text(required=True, validate=NonEmpty)
    value = fields.Raw(required=True)
    reason = Notes(required=True, validate=not_blank)


class CommunicateData(Schema):
    customer_description = Notes(required=True, validate=NonEmpty)
    customer_style = Text(required=True, validate=validate.OneOf(CUSTOMER_STYLES))
    needs = fields.List(Text(validate=validate.OneOf(NEEDS)), load_default=list, validate=validate.Length(max=50))


class SwapData(Schema):
    kind = Text(required=True, validate=validate.OneOf(SWAP_KINDS))
    # Serials are checked by the engine, so a missing one gets its own code.
    old_serial = Text(allow_none=True)
    new_serial = Text(allow_none=True)
    # In warranty the swap is free; out of it, priced by the tariff item for its kind (《售后服务管理规定》).
    in_warranty = fields.Boolean(required=True)


class MaterialData(Schema):
    name = Text(required=True, validate=NonEmpty)
    qty = fields.Float(required=True, validate=Qty)
    unit = Text()


class FeeData(Schema):
    tariff_code = Text(required=True, validate=NonEmpty)
    qty = fields.Float(required=True, validate=Qty)


class OperateData(Schema):
    work_kinds = fields.List(
        Text(validate=validate.OneOf(WORK_KINDS)), load_default=list, validate=validate.Length(max=50)
    )
    equipment_swaps = fields.List(fields.Nested(SwapData), load_default=list, validate=validate.Length(max=50))
    materials = fields.List(fields.Nested(MaterialData), load_default=list, validate=validate.Length(max=50))
    fees = fields.List(fields.Nested(FeeData), load_default=list, validate=validate.Length(max=50))
    result = Text(required=True, validate=validate.OneOf(RESULTS))
    # The new time agreed with the customer when the work is left unfixed (另约时间); the engine
    # requires it then (revisit_time_required) and refuses it after a fix.
    revisit = fields.Nested(ConfirmedWindowSchema, allow_none=True, load_default=None)
    notes = Notes(load_default="")
    # The technician's drawn signature of this record; the engine requires one before the step completes.
    technician_signature_attachment_id = Uuid(allow_none=True)


class LinkData(Schema):
    attachment_id = Uuid(required=True)
    step = Text(required=True, validate=validate.OneOf(STEP_IDS))
    kind = Text(required=True, validate=validate.OneOf(ATTACHMENT_KINDS))


class DeclinedSchema(Schema):
    reason = Notes(required=True)


class Declined(fields.Field):
    """A refusal to sign: true/false, or {"reason": "..."} (loaded with DeclinedSchema)."""

    _nested = DeclinedSchema()

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        if isinstance(value, dict):
            return self._nested.load(value)
        raise ValidationError('Either true/false or {"reason": "..."}.')


class EvaluateData(Schema):
    # Ranges are checked by the engine (codes rating_out_of_range, mot_out_of_range).
    # The customer's own scores; none when the customer declined the evaluation (issue 10.3).
    ratings = fields.Dict(keys=Text(), values=fields.Integer(strict=True), load_default=None)
    mot = fields.Dict(keys=Text(), values=fields.Integer(strict=True), load_default=None)
    comments = Notes(load_default="")
    signature_attachment_id = Uuid(allow_none=True)
    # `declined` is either {"reason": "..."} or true with `declined_reason`.
    declined = Declined(allow_none=True)
    declined_reason = Notes(allow_none=True)


class LeadData(Schema):
    product = Text(required=True, validate=NonEmpty)
    interest = Text(required=True, validate=validate.OneOf(LEAD_INTEREST))
    notes = Notes(load_default="")


class HelpData(Schema):
    checks = fields.List(Text(), load_default=list, validate=validate.Length(max=50))
    leads = fields.List(fields.Nested(LeadData), load_default=list, validate=validate.Length(max=50))
    leaflet_given = fields.Boolean(load_default=False)


class StepCompleteData(Schema):
    step = Text(required=True, validate=validate.OneOf(STEP_IDS))


class EmptyData(Schema):
    pass
