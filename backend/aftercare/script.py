"""The return-visit call script: data in return_visit.yaml, validated when loaded, filled per call."""

import datetime as dt
from functools import lru_cache
from pathlib import Path

import yaml
from marshmallow import Schema, ValidationError, fields, validate

from backend.greetings import customer_title, fill_script, greeting_for
from backend.greetings.scripts import ALWAYS_KNOWN, PLACEHOLDERS
from backend.timeutil import LOCAL_TZ
from backend.visits.models import RESULTS

SCRIPT_FILE = Path(__file__).parent / "return_visit.yaml"
# The steps of the standard's return visit, in its order; the file may word them, not drop them.
REQUIRED_STEPS = ("confirm_identity", "introduce", "ask_convenient", "report_follow_up", "ask_satisfaction")
# 003's return call names the day the customer called, what they reported and the follow-up result
# (您曾经在**日致电我们反映了**情况……我们已有跟进结果了); those come from the record, per call.
SCRIPT_PLACEHOLDERS = PLACEHOLDERS | {"called_on", "reported", "result", "work_done"}
# Every order has a creation day, so the date may stand outside [ ]; the rest may be unknown.
SCRIPT_ALWAYS_KNOWN = ALWAYS_KNOWN | {"called_on"}
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


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
    # How the visit's result is said as the follow-up result, one wording per result the app records.
    results = fields.Dict(keys=fields.String(validate=validate.OneOf(RESULTS)), values=fields.Nested(_Localized))


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
            # Refuses unknown placeholders now, not mid-call.
            fill_script(step["text"][lang], placeholders=SCRIPT_PLACEHOLDERS, always_known=SCRIPT_ALWAYS_KNOWN)
    unworded = [result for result in RESULTS if result not in script.get("results", {})]
    if unworded:
        raise ValueError(f"{path}: results without wording: {', '.join(unworded)}")
    return script


@lru_cache(maxsize=1)
def return_visit_script() -> dict:
    """Return the validated script (read once per process)."""
    return load_script()


def called_on(at: dt.datetime, lang: str) -> str:
    """Return the local day of ``at`` as said on the phone: 11月28日, 28 November."""
    day = at.astimezone(LOCAL_TZ).date()
    return f"{day.month}月{day.day}日" if lang == "zh" else f"{day.day} {_MONTHS_EN[day.month - 1]}"


def filled_script(*, customer, order, caller, at: dt.datetime, visit=None) -> list[dict]:
    """Return the script's steps filled from the record for this call.

    The names, the caller's employee number and the greeting; the day the customer called (the
    order's creation), what they reported (the order's description) and, from ``visit`` (the
    order's latest visit with a result), the follow-up result and the work done.
    """
    script = return_visit_script()
    technician = order.technician.name if order.technician is not None else None
    branch = order.branch or customer.branch or caller.branch
    greeting = greeting_for(at)
    result = visit.result if visit is not None else None
    steps = []
    for step in script["steps"]:
        text = {}
        for lang in ("zh", "en"):
            text[lang] = fill_script(
                step["text"][lang],
                placeholders=SCRIPT_PLACEHOLDERS,
                always_known=SCRIPT_ALWAYS_KNOWN,
                greeting=greeting[lang],
                branch=branch,
                technician=technician,
                employee_no=caller.employee_no,
                customer=customer_title(customer.name, customer.title, lang=lang),
                called_on=called_on(order.created_at, lang),
                reported=(order.description or "").strip(),
                result=script["results"][result][lang] if result else None,
                work_done=((visit.operate_notes or "").strip() if visit is not None else None),
            )
        steps.append({"id": step["id"], "title": step["title"], "text": text})
    return steps
