"""The intake guide: intake.yaml validated when loaded, then filled with the answering agent's number."""

from functools import lru_cache
from pathlib import Path

import yaml
from marshmallow import Schema, ValidationError, fields, validate

from backend.greetings import fill_script

GUIDE_FILE = Path(__file__).parent / "intake.yaml"
SLUG = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="Use lower-case letters, digits and '_'.")


class _Localized(Schema):
    zh = fields.String(required=True, validate=validate.Length(min=1))
    en = fields.String(required=True, validate=validate.Length(min=1))


class _Check(Schema):
    id = fields.String(required=True, validate=SLUG)
    label = fields.Nested(_Localized, required=True)


class _Forbidden(Schema):
    say_not = fields.String(required=True, validate=validate.Length(min=1))
    say = fields.String(required=True, validate=validate.Length(min=1))


class _Fault(Schema):
    id = fields.String(required=True, validate=SLUG)
    label = fields.Nested(_Localized, required=True)
    order_types = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    guidance = fields.List(fields.Nested(_Localized), required=True)


class _Guide(Schema):
    version = fields.Integer(required=True)
    answer = fields.Nested(_Localized, required=True)
    closing = fields.List(fields.Nested(_Localized), required=True, validate=validate.Length(min=1))
    verify = fields.List(fields.Nested(_Check), required=True, validate=validate.Length(min=1))
    forbidden = fields.List(fields.Nested(_Forbidden), required=True)
    tips = fields.List(fields.Nested(_Localized), required=True)
    case_tips = fields.List(fields.Nested(_Localized), required=True)
    faults = fields.List(fields.Nested(_Fault), required=True, validate=validate.Length(min=1))


def load_guide(path: Path = GUIDE_FILE) -> dict:
    """Read and validate an intake guide file; raise ValueError naming the file and the field."""
    try:
        guide = _Guide().load(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as error:
        raise ValueError(f"{path}: {error.messages}") from None
    for kind in ("verify", "faults"):
        ids = [entry["id"] for entry in guide[kind]]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{path}: {kind}: ids must be unique")
    for lang in ("zh", "en"):
        try:
            fill_script(guide["answer"][lang])  # refuses unknown placeholders at start-up, not mid-call
        except ValueError as error:
            raise ValueError(f"{path}: answer.{lang}: {error}") from None
    return guide


@lru_cache(maxsize=1)
def intake_guide() -> dict:
    """Return the validated guide (read once per process)."""
    return load_guide()


def fault_kinds() -> list[str]:
    """Return the fault kinds a work order may record (the guide's ids)."""
    return [fault["id"] for fault in intake_guide()["faults"]]


def guide_for(agent) -> dict:
    """Return the guide with the answering script filled with ``agent``'s employee number.

    The work-order types come with their names from the flow files, so the console shows 维修, not ``repair``.
    """
    from backend.visits.definitions import flow_types, get_flow

    guide = intake_guide()
    answer = {lang: fill_script(text, employee_no=agent.employee_no) for lang, text in guide["answer"].items()}
    order_types = [{"id": order_type, "name": get_flow(order_type)["name"]} for order_type in flow_types()]
    return {**guide, "answer": answer, "order_types": order_types}
