"""The sync protocol: apply a batch of outbox actions exactly once each, in the order sent.

The batch's op ids are looked up first: an op applied before is answered from what was stored
(a replay). Every other op is checked (pure code); each work order's state is loaded once, its
ops applied in memory as functions of (state, op), and written once per order (one statement
for the visit, one bulk insert of its sync ops, one of its audit events), in one transaction
per batch. A refused op leaves the state it found, so one bad op does not sink the others.
Only applied ops are remembered (SyncOp, op_id UNIQUE):
a refused op changed nothing, so the technician may retry it after fixing the cause.
Two identical batches racing each other: the orders they touch are locked (PostgreSQL:
SELECT ... FOR UPDATE, in id order; SQLite: every transaction is BEGIN IMMEDIATE), and the
UNIQUE op_id catches whatever still slips through, so each op applies once.
"""

import hashlib
import json
import logging
import math
import re
from collections import namedtuple
from contextlib import nullcontext
from datetime import datetime, timedelta

from flask import current_app
from marshmallow import ValidationError, validate
from sqlalchemy import ARRAY, String, any_, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from backend.extensions import db
from backend.forms.jobs import seal_visit_forms
from backend.jobs import queued_together
from backend.messages.services import tell_running_late
from backend.reports.rollups import refresh_after_sync
from backend.requestbody import text_problem
from backend.timeutil import LOCAL_TZ, as_utc, utcnow
from backend.visits.engine import (
    OpRefused,
    apply,
    attachment_ids,
    load_payload,
    load_states,
    order_not_found,
    rejected,
    write,
)
from backend.visits.models import SyncOp
from backend.visits.payloads import NOTES_MAX
from backend.visits.schemas import SyncOpSchema
from backend.workorders.models import WorkOrder

_op_schema = SyncOpSchema()
_OP_ID_LENGTH = next(v for v in _op_schema.fields["op_id"].validators if isinstance(v, validate.Length))
# What a replay needs of an op applied earlier in the same batch (a SyncOp row has the same two).
_Applied = namedtuple("_Applied", "body_hash result")
log = logging.getLogger(__name__)
# Deeper than any op the PWA sends; keeps the walk below (and later reads) cheap.
_MAX_DEPTH = 8


def _junk(value, path="", depth=0):
    """Return (field path, problem) for the first value no op may carry, or None.

    Text no request may hold (see `text_problem`) is refused here too; NaN/Infinity are not
    JSON and break later reads; strings longer than any free-text field are refused everywhere.
    """
    if depth > _MAX_DEPTH:
        return path, "Nested too deeply."
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            return path, problem
        if len(value) > NOTES_MAX:
            return path, f"Longer than {NOTES_MAX} characters."
    elif isinstance(value, float) and not math.isfinite(value):
        return path, "Not a finite number."
    elif isinstance(value, dict):
        for key, item in value.items():
            found = _junk(key, f"{path}.{key}" if path else str(key), depth + 1)
            if found:
                return found[0], "Key: " + found[1]
            found = _junk(item, f"{path}.{key}" if path else str(key), depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _junk(item, f"{path}.{i}", depth + 1)
            if found:
                return found
    return None


# Built once: json.dumps with options makes a new encoder on every call (a few µs of each op's hash).
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _canonical(op: dict) -> str:
    """Return an op's body (everything but its op_id) as canonical JSON text."""
    return _CANONICAL_JSON.encode({k: v for k, v in op.items() if k != "op_id"})


def body_hash(op: dict) -> str:
    """Return the SHA-256 of an op's body (everything but its op_id), canonically serialised.

    A lone surrogate (not valid UTF-8) is hashed as its code point's bytes instead of failing:
    such an op is refused, and the hash of a body that could be applied is unchanged.
    """
    return hashlib.sha256(_canonical(op).encode("utf-8", "surrogatepass")).hexdigest()


# Text in an op's canonical body that may stand for junk: a NUL (JSON escapes it), NaN or infinity.
_MAYBE_JUNK = re.compile(r"\\u0000|NaN|Infinity")


def _hash_and_junk(raw: dict, op_id):
    """Return (body_hash, junk) of a new op: its body's hash, and what `_junk` finds in it (or None).

    The canonical text made for the hash clears most ops at once: it encodes as UTF-8 (no lone
    surrogate), holds no NUL, NaN or infinity, is no longer than any text limit and has no more
    brackets than the nesting limit. Only an op it does not clear is walked value by value.
    """
    text = _canonical(raw)
    try:
        encoded = text.encode()
    except UnicodeEncodeError:
        encoded = text.encode("utf-8", "surrogatepass")
        clear = False
    else:
        clear = (
            op_id is not None  # a storable op_id: a sane string
            and len(text) <= NOTES_MAX
            and text.count("{") + text.count("[") <= _MAX_DEPTH
            and not _MAYBE_JUNK.search(text)
        )
    return hashlib.sha256(encoded).hexdigest(), None if clear else _junk(raw)


def _replay(op_id, digest, stored):
    if stored.body_hash != digest:
        return {
            "op_id": op_id,
            "status": "rejected",
            "code": "op_id_reused",
            "message": "This op_id was already used for a different action.",
            "errors": {"op_id": ["Already used for a different action."]},
        }
    return {"op_id": op_id, "status": "duplicate", "first_result": stored.result}


# Built once (composing a statement costs more than running this one). On PostgreSQL the ids go as
# one array: the same statement text for any number of ids, prepared once per connection.
_APPLIED_OPS = select(SyncOp.op_id, SyncOp.body_hash, SyncOp.result)
_APPLIED_OPS_BY_DIALECT = {
    "postgresql": _APPLIED_OPS.where(SyncOp.op_id == any_(bindparam("op_ids", type_=ARRAY(String)))),
    "sqlite": _APPLIED_OPS.where(SyncOp.op_id.in_(bindparam("op_ids", expanding=True))),
}


def _applied_ops(op_ids):
    """Return {op_id: (body_hash, result)} of the given op ids that were applied before."""
    if not op_ids:
        return {}
    connection = db.session.connection()
    # .all() fetches the rows at once (iterating fetched them one call at a time: ~0.2 ms a batch).
    rows = connection.execute(_APPLIED_OPS_BY_DIALECT[connection.dialect.name], {"op_ids": list(op_ids)}).all()
    return {row.op_id: row for row in rows}


def _storable_op_id(raw):
    """Return an op's op_id when it is one the server may have stored (a sane string), else None."""
    op_id = raw.get("op_id") if isinstance(raw, dict) else None
    if isinstance(op_id, str) and _OP_ID_LENGTH.min <= len(op_id) <= _OP_ID_LENGTH.max and text_problem(op_id) is None:
        return op_id
    return None


def _parse_op(raw, storable_op_id, received_at, clock_window):
    """Return (op, body_hash, None) when the envelope is valid, else (None, None, result).

    The op's device time must lie within `clock_window` of `received_at`.
    """
    op_id = raw.get("op_id") if isinstance(raw, dict) else None  # shown in a refusal, even if not storable

    def refuse(errors, message="The op is invalid."):
        shown_id = op_id if isinstance(op_id, str) and not _junk(op_id) else None
        return None, None, {"op_id": shown_id, **rejected("validation_error", message, errors).to_result()}

    digest, found = _hash_and_junk(raw, storable_op_id) if isinstance(raw, dict) else (None, None)
    if found:
        return refuse({found[0] or "op": [found[1]]})
    try:
        op = _op_schema.load(raw)
    except ValidationError as exc:
        return refuse(exc.messages)
    try:
        # Both conversions can overflow at the ends of the calendar (e.g. 0001-01-01T00:00:00+00:01).
        at = as_utc(datetime.fromisoformat(op["at"].replace("Z", "+00:00")))
        at.astimezone(LOCAL_TZ)
    except (ValueError, TypeError):
        return refuse({"at": ["Not an ISO 8601 time."]})
    except OverflowError:
        return refuse({"at": ["Outside the times the server can hold."]})
    if abs(at - received_at) > clock_window:
        return refuse({"at": [f"More than {clock_window.days} days from the server's time: check the device clock."]})
    op["at"] = at
    return op, digest, None


def sync_batch(user, device_id: str, raw_ops: list) -> list[dict]:
    """Apply a batch of ops for `user`; return one result per op, in the order sent, and commit.

    Replays are answered from one look-up; every other op is checked (no database), each work
    order's state loaded once, its ops applied in memory, in the order sent, and written once.
    """
    received_at = utcnow()
    clock_window = timedelta(days=int(current_app.config["SYNC_CLOCK_WINDOW_DAYS"]))
    results: list = [None] * len(raw_ops)
    # Replays are answered first, from one query and without locking anything: an op applied
    # before was valid then, so only its body's hash is compared, nothing parsed again.
    op_ids = [_storable_op_id(raw) for raw in raw_ops]
    known = _applied_ops({op_id for op_id in op_ids if op_id})
    to_apply = []
    for index, (raw, op_id) in enumerate(zip(raw_ops, op_ids, strict=True)):
        if op_id in known:
            results[index] = _replay(op_id, body_hash(raw), known[op_id])
            continue
        op, digest, error = _parse_op(raw, op_id, received_at, clock_window)
        if error:
            results[index] = error
            continue
        try:
            op["payload"] = load_payload(op["type"], op["data"])
        except OpRefused as refusal:
            results[index] = {"op_id": op["op_id"], **refusal.to_result()}
            continue
        to_apply.append((index, op, digest))

    if to_apply:
        orders = _lock_orders({op["work_order_id"] for _, op, _ in to_apply})
        # Another request may have applied some of these while we waited for the locks.
        known = _applied_ops([op["op_id"] for _, op, _ in to_apply])
        candidates = set().union(*(attachment_ids(op["payload"]) for _, op, _ in to_apply))
        states = load_states(list(orders.values()), user, candidates)
        applied = {order_id: [] for order_id in states}  # indexes of each order's applied ops
        seen, failed_orders = {}, set()
        for index, op, digest in to_apply:
            op_id, order_id = op["op_id"], op["work_order_id"]
            if order_id in failed_orders:
                # The order's earlier op failed unexpectedly: its later ops would see a half-known state.
                results[index] = {"op_id": op_id, **_internal_error()}
            elif op_id in known:
                results[index] = _replay(op_id, digest, known[op_id])
            elif op_id in seen:  # the same op twice in one batch
                results[index] = _replay(op_id, digest, seen[op_id])
            elif order_id not in states:
                results[index] = {"op_id": op_id, **order_not_found(order_id).to_result()}
            else:
                results[index] = _apply_one(user, device_id, states[order_id], op, digest, received_at)
                if results[index]["status"] == "applied":
                    seen[op_id] = _Applied(digest, results[index])
                    applied[order_id].append(index)
                elif results[index].get("code") == "internal_error":
                    failed_orders.add(order_id)
        writing = [(state, applied[order_id]) for order_id, state in states.items() if applied[order_id]]
        for state, indexes in writing:
            _write_order(user, state, indexes, results, raw_ops, alone=len(writing) == 1)
    db.session.commit()
    _after_commit(results, raw_ops)
    return results


# Only the orders' own columns (the customer and the status history are not the engine's), in id
# order so that two batches lock alike; built once, as the op look-up is.
_ORDERS = (
    select(WorkOrder)
    .options(lazyload(WorkOrder.customer), lazyload(WorkOrder.history))
    .where(WorkOrder.id.in_(bindparam("order_ids", expanding=True)))
    .order_by(WorkOrder.id)
    .execution_options(populate_existing=True)
)
_ORDERS_BY_DIALECT = {"postgresql": _ORDERS.with_for_update(of=WorkOrder), "sqlite": _ORDERS}


def _lock_orders(order_ids):
    statement = _ORDERS_BY_DIALECT[db.session.connection().dialect.name]
    rows = db.session.scalars(statement, {"order_ids": sorted(order_ids)}).unique()
    return {order.id: order for order in rows}


def _apply_one(user, device_id, state, op, digest, received_at):
    """Apply one op to its order's state in memory; return its result (the op's row joins the state)."""
    op_id = op["op_id"]
    try:
        extras = apply(
            state,
            user,
            op["type"],
            op["payload"],
            op["at"],
            data=op["data"],
            op_id=op_id,
            device_id=device_id,
            received_at=received_at,
        )
    except OpRefused as refusal:
        return {"op_id": op_id, **refusal.to_result()}
    except Exception:
        # A bug must cost this op (and its order's later ops), never the whole batch.
        log.exception("sync op %s on work order %s failed", op_id, state.order.id)
        return {"op_id": op_id, **_internal_error()}
    result = {"op_id": op_id, "status": "applied", **extras}
    state.sync_ops.append(
        {
            "op_id": op_id,
            "body_hash": digest,
            "work_order_id": state.order.id,
            "user_id": user.id,
            "device_id": device_id,
            "type": op["type"],
            "client_at": op["at"],
            "received_at": received_at,
            "result": result,
        }
    )
    return result


def _write_order(user, state, indexes, results, raw_ops, *, alone):
    """Write one order's applied ops; if that fails, none of them is applied.

    A savepoint keeps the other orders' writes when this order's fail. The batch's `alone` writing
    order needs none: a rollback undoes as much, two round trips fewer for a phone's usual batch.
    """
    order_id = state.order.id  # read before a rollback expires the order
    try:
        with nullcontext() if alone else db.session.begin_nested():
            write(state, user)
    except Exception as exc:
        if alone:
            db.session.rollback()
        if not isinstance(exc, IntegrityError):
            log.exception("writing the sync ops of work order %s failed", order_id)
            for i in indexes:
                results[i] = {"op_id": results[i]["op_id"], **_internal_error()}
            return
        # Another request applied one of these op_ids between our check and our insert
        # (the database is the judge): those are duplicates; the others were not applied.
        stored = _applied_ops([raw_ops[i]["op_id"] for i in indexes])
        for i in indexes:
            op_id = raw_ops[i]["op_id"]
            if op_id in stored:
                results[i] = _replay(op_id, body_hash(raw_ops[i]), stored[op_id])
            else:
                results[i] = {"op_id": op_id, **_internal_error()}


def _internal_error():
    return rejected("internal_error", "The server could not apply this op; it has been logged.").to_result()


def _ended_orders(results, raw_ops):
    """Return the ids of the orders whose visit ended (completed, or no access) in this batch."""
    return {
        raw["work_order_id"]
        for raw, result in zip(raw_ops, results, strict=True)
        if result.get("status") == "applied" and raw.get("type") in ("visit.complete", "arrive.no_access")
    }


def _after_commit(results, raw_ops):
    """Hand finished visits (completed, or no access) to the manager's figures and to the forms area,
    which renders and seals their PDFs; tell the customer of a late notice by message."""
    ended = sorted(_ended_orders(results, raw_ops))
    with queued_together():
        refresh_after_sync(ended)
        for work_order_id in ended:
            seal_visit_forms(work_order_id)
    for raw, result in zip(raw_ops, results, strict=True):
        if result.get("status") == "applied" and raw.get("type") == "call.late_notice":
            tell_running_late(raw["work_order_id"], as_utc(datetime.fromisoformat(raw["data"]["new_eta"])))
