"""Marshmallow fields every area's request schemas share, so bad input is refused the same way."""

from marshmallow import fields
from marshmallow import validate as mvalidate

# Ids are 32-bit integers in the database; anything larger cannot exist, and PostgreSQL would refuse it.
MAX_ID = 2**31 - 1


def db_id(*, strict=True, **kwargs):
    """Return an integer field for a row id: positive, within the column's range; strict (no "3") in JSON.

    Query strings carry text, so their id parameters pass strict=False.
    """
    return fields.Integer(strict=strict, validate=mvalidate.Range(min=1, max=MAX_ID), **kwargs)


def text(max_length, *, min_length=0, validate=None, **kwargs):
    """Return a string field with a maximum length (the database column's, or a sane bound for Text)."""
    checks = [mvalidate.Length(min=min_length, max=max_length)] + ([validate] if validate else [])
    return fields.String(validate=checks, **kwargs)


def id_exists_in_range(value: int) -> bool:
    """Return whether a path id can name a row at all (larger ids would overflow the column type)."""
    return 1 <= value <= MAX_ID


class StrictFloat(fields.Float):
    """A JSON number, refusing numbers written as strings ("1.5") like strict integers do."""

    def _validated(self, value):
        if isinstance(value, str | bool):
            raise self.make_error("invalid")
        return super()._validated(value)


ORDER_TYPE_METADATA = "x-order-type"


def document_order_types(api):
    """Publish the work-order types (one per flow file: data, not code) as the enum of order-type fields."""
    from backend.visits.definitions import flow_types

    def order_type_enum(_converter, field, **_kwargs):
        return {"enum": flow_types()} if field.metadata.get(ORDER_TYPE_METADATA) else {}

    api.ma_plugin.converter.add_attribute_function(order_type_enum)
