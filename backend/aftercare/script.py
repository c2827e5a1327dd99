"""The return-visit call script: data in return_visit.yaml, validated when loaded, filled per call."""

import datetime as dt
from functools import lru_cache
from pathlib import Path

import yaml
from marshmallow import Schema, ValidationError, fields, validate

from backend.greetings import customer_title, fill_script, greeting_for

SCRIPT_FILE = Path(__file__).parent / "return_visit.yaml"
# The steps of the standard's return visit, in its order; the file may word them, not drop them.
REQUIRED_STEPS = ("confirm_identity", "introduce", "ask_convenient", "report_follow_up", "ask_satisfaction")


class _Localized(Schema):
    zh = fields.String(required=True, validate=validate.Length(min=1))
    en = fields.String(required=True, validate=validate.Length(min=1))


class _Step(Schema):
    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]*$"))
    title = fields.Nested(_Localized, required=True)
    text = fields.Nested(_Localized, required=True)


class _Script(Schema):
    version = fields.Integer(required=True)
    steps = fields.List(fields.Nested(_Step), required=True)


def load_script(path: Path = SCRIPT_FILE) -> dict:
    """Read and validate a return-visit script file; raise ValueError naming what is wrong."""
    try:
        script = _Script().load(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as error:
        raise ValueError(f"{path}: {error.messages}") from None
    ids = [step["id"] for step in script["steps"]]
    missing = [step for step in REQUIRED_STEPS if step not in ids]
    if missing:
        raise ValueError(f"{path}: the standard's steps are missing: {', '.join(missing)}")
    ordered = [step for step in ids if step in REQUIRED_STEPS]
    if ordered != list(REQUIRED_STEPS):
        raise ValueError(f"{path}: steps must keep the standard's order: {', '.join(REQUIRED_STEPS)}")
    for step in script["steps"]:
        for lang in ("zh", "en"):
            fill_script(step["text"][lang])  # refuses unknown placeholders now, not mid-call
    return script


@lru_cache(maxsize=1)
def return_visit_script() -> dict:
    """Return the validated script (read once per process)."""
    return load_script()


def filled_script(*, customer, order, caller, at: dt.datetime) -> list[dict]:
    """Return the script's steps with this call's names, the caller's employee number and the greeting."""
    technician = order.technician.name if order.technician is not None else None
    branch = order.branch or customer.branch or caller.branch
    greeting = greeting_for(at)
    steps = []
    for step in return_visit_script()["steps"]:
        text = {}
        for lang in ("zh", "en"):
            text[lang] = fill_script(
                step["text"][lang],
                greeting=greeting[lang],
                branch=branch,
                technician=technician,
                employee_no=caller.employee_no,
                customer=customer_title(customer.name, customer.title, lang=lang),
            )
        steps.append({"id": step["id"], "title": step["title"], "text": text})
    return steps
