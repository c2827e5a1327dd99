"""Compose messages in the caller's transaction; send them after it commits, from a job.

The sender is chosen by configuration (MESSAGE_SENDER): ``record`` (the default) keeps the
message in the table the console shows; ``http`` posts it to an SMS gateway (SMS_GATEWAY_URL)
with retries, recording the gateway's id or the last error. Sending never runs inside a
database transaction: the job reads the message, ends that transaction, calls the gateway, then
records the outcome in a short write.
"""

import json
import time
import urllib.error
import urllib.request
from functools import lru_cache
from pathlib import Path

import yaml
from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from backend.extensions import db
from backend.greetings import addressed_as, check_script, fill_script
from backend.jobs import enqueue
from backend.messages.models import MESSAGE_KINDS, Message
from backend.timeutil import LOCAL_TZ, utcnow
from backend.workorders.models import WorkOrder

TEMPLATES_FILE = Path(__file__).parent / "templates.yaml"
PLACEHOLDERS = frozenset({"customer", "number", "date", "start", "end", "technician", "minutes", "url", "hotline"})
ALWAYS_KNOWN = frozenset({"customer", "number", "date", "start", "end", "minutes", "url"})
RETRY_DELAYS_SECONDS = (1, 4, 15)


class _Templates(Schema):
    version = fields.Integer(required=True)
    templates = fields.Dict(
        keys=fields.String(validate=validate.OneOf(MESSAGE_KINDS)),
        values=fields.String(validate=validate.Length(min=1, max=500)),
        required=True,
    )


def load_templates(path: Path = TEMPLATES_FILE) -> dict[str, str]:
    """Read and check the message templates; raise ValueError naming the file and the template."""
    try:
        data = _Templates().load(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as error:
        raise ValueError(f"{path}: {error.messages}") from None
    missing = set(MESSAGE_KINDS) - set(data["templates"])
    if missing:
        raise ValueError(f"{path}: templates missing: {', '.join(sorted(missing))}")
    for kind, text in data["templates"].items():
        try:
            check_script(text, placeholders=PLACEHOLDERS, always_known=ALWAYS_KNOWN)
        except ValueError as error:
            raise ValueError(f"{path}: templates.{kind}: {error}") from None
    return data["templates"]


@lru_cache(maxsize=1)
def templates() -> dict[str, str]:
    """Return the checked templates (read once per process)."""
    return load_templates()


def compose(kind: str, order, *, appointment=None, **values) -> Message | None:
    """Add the message of ``kind`` about ``order`` to the session (the caller commits); None without a phone."""
    phone = next(iter(order.customer.phones or []), None)
    if not phone:
        return None
    if appointment is not None:
        starts, ends = appointment.starts_at.astimezone(LOCAL_TZ), appointment.ends_at.astimezone(LOCAL_TZ)
        values.update(date=f"{starts:%m月%d日}", start=f"{starts:%H:%M}", end=f"{ends:%H:%M}")
    technician = order.technician.name if order.technician is not None else None
    text = fill_script(
        templates()[kind],
        placeholders=PLACEHOLDERS,
        always_known=ALWAYS_KNOWN,
        customer=addressed_as(order.customer.name, order.customer.title),
        number=order.number,
        technician=technician,
        hotline=current_app.config.get("FORMS_HOTLINE"),
        **values,
    )
    message = Message(kind=kind, work_order_id=order.id, to_phone=phone, text=text, status="queued")
    db.session.add(message)
    return message


def dispatch(message: Message | None) -> None:
    """After the commit that stored ``message``: send it from a job (RQ, or in-process)."""
    if message is not None:
        enqueue(send_message, message.id)


def tell_running_late(work_order_id: int, new_eta) -> Message | None:
    """After a late notice synced: tell the customer by how many minutes the technician will be late."""
    from backend.booking.models import Appointment
    from backend.workorders.models import WorkOrder

    order = db.session.get(WorkOrder, work_order_id)
    appointment = db.session.scalar(
        select(Appointment).where(Appointment.work_order_id == work_order_id, Appointment.status == "active")
    )
    if order is None or appointment is None:
        return None
    minutes = max(1, round((new_eta - appointment.starts_at).total_seconds() / 60))
    message = compose("running_late", order, minutes=str(minutes))
    db.session.commit()
    dispatch(message)
    return message


def send_message(message_id: int, *, sleep=time.sleep) -> str:
    """The job: send one queued message with the configured sender; return its new status."""
    message = db.session.get(Message, message_id)
    if message is None or message.status != "queued":
        db.session.rollback()
        return message.status if message else "missing"
    to_phone, text, ref = message.to_phone, message.text, str(message.id)
    db.session.rollback()  # no transaction is open while the gateway is called
    sender = current_app.config.get("MESSAGE_SENDER", "record")
    if sender == "record":
        outcome = {"status": "recorded", "attempts": 0}
    else:
        outcome = _post_to_gateway(to_phone, text, ref, sleep=sleep)
    message = db.session.get(Message, message_id)
    message.status = outcome["status"]
    message.attempts = outcome["attempts"]
    message.gateway_id = outcome.get("gateway_id")
    message.last_error = outcome.get("error")
    message.sent_at = utcnow() if outcome["status"] in ("sent", "recorded") else None
    db.session.commit()
    return message.status


def _post_to_gateway(to_phone, text, ref, *, sleep) -> dict:
    """POST to the SMS gateway, retrying network errors and 5xx; a 4xx is a refusal, not retried.

    The standard library's client is enough for one JSON POST (no extra dependency).
    """
    url = current_app.config["SMS_GATEWAY_URL"]
    timeout = float(current_app.config.get("SMS_GATEWAY_TIMEOUT_SECONDS", 5))
    body = json.dumps({"to": to_phone, "text": text, "ref": ref}).encode()
    error, attempt = None, 0
    for attempt, delay in enumerate((0, *RETRY_DELAYS_SECONDS), start=1):
        if delay:
            sleep(delay)
        request = urllib.request.Request(url, body, {"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                answer = response.read()
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code}: {exc.read()[:300].decode(errors='replace')}"
            if exc.code < 500:
                return {"status": "failed", "attempts": attempt, "error": error}
            continue
        except OSError as exc:  # refused, reset or timed out: try again
            error = f"{type(exc).__name__}: {exc}"[:500]
            continue
        return {"status": "sent", "attempts": attempt, "gateway_id": _gateway_id(answer)}
    return {"status": "failed", "attempts": attempt, "error": error}


def _gateway_id(answer: bytes) -> str | None:
    """Return the id the gateway gave the message, if its (accepting) answer carries one."""
    try:
        parsed = json.loads(answer or b"{}")
    except ValueError:
        return None
    return (str(parsed.get("id") or "")[:64] or None) if isinstance(parsed, dict) else None


def messages_query(*, work_order_id=None, work_order_number=None, status=None):
    """Return the SELECT of messages, newest first, optionally of one order (by id or number) and status."""
    query = select(Message).order_by(Message.id.desc())
    if work_order_id:
        query = query.where(Message.work_order_id == work_order_id)
    if work_order_number:
        number = select(WorkOrder.id).where(WorkOrder.number == work_order_number.strip().upper())
        query = query.where(Message.work_order_id.in_(number.scalar_subquery()))
    if status:
        query = query.where(Message.status == status)
    return query
