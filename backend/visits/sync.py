"""The sync protocol: apply a batch of outbox actions exactly once each, in the order sent.

One transaction per batch and a savepoint per op, so an op applies wholly or not at all and
one bad op does not sink the others. Only applied ops are remembered (SyncOp, op_id UNIQUE):
a refused op changed nothing, so the technician may retry it after fixing the cause.
Two identical batches racing each other: the orders they touch are locked (PostgreSQL:
SELECT ... FOR UPDATE, in id order; SQLite: every transaction is BEGIN IMMEDIATE), and the
UNIQUE op_id catches whatever still slips through, so each op applies once.
"""
import hashlib
import json
from collections import namedtuple
from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.extensions import db
from backend.forms.jobs import seal_visit_forms
from backend.timeutil import as_utc, utcnow
from backend.visits.engine import OpRefused, apply_op, insert_events, rejected
from backend.visits.models import SyncOp
from backend.visits.schemas import SyncOpSchema
from backend.workorders.models import WorkOrder

_op_schema = SyncOpSchema()
# What a replay needs of an op applied earlier in the same batch (a SyncOp row has the same two).
_Applied = namedtuple("_Applied", "body_hash result")


def body_hash(op: dict) -> str:
    """Return the SHA-256 of an op's body (everything but its op_id), canonically serialised."""
    body = {k: v for k, v in op.items() if k != "op_id"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(op_id, digest, stored):
    if stored.body_hash != digest:
        return {"op_id": op_id, "status": "rejected", "code": "op_id_reused",
                "message": "This op_id was already used for a different action.",
                "errors": {"op_id": ["Already used for a different action."]}}
    return {"op_id": op_id, "status": "duplicate", "first_result": stored.result}


def _applied_ops(op_ids):
    if not op_ids:
        return {}
    rows = db.session.execute(select(SyncOp.op_id, SyncOp.body_hash, SyncOp.result)
                              .where(SyncOp.op_id.in_(op_ids)))
    return {row.op_id: row for row in rows}


def _parse_op(raw):
    """Return (op, None) when the envelope is valid, else (None, result)."""
    op_id = raw.get("op_id") if isinstance(raw, dict) else None
    try:
        op = _op_schema.load(raw)
        at = datetime.fromisoformat(op["at"].replace("Z", "+00:00"))
    except ValidationError as exc:
        return None, {"op_id": op_id, **rejected("validation_error", "The op is invalid.", exc.messages).to_result()}
    except (ValueError, TypeError):
        return None, {"op_id": op_id, **rejected("validation_error", "The op is invalid.",
                                                   {"at": ["Not an ISO 8601 time."]}).to_result()}
    op["at"] = as_utc(at)
    return op, None


def sync_batch(user, device_id: str, raw_ops: list) -> list[dict]:
    """Apply a batch of ops for `user`; return one result per op, in the order sent, and commit."""
    received_at = utcnow()
    results: list = [None] * len(raw_ops)
    pending = []
    for index, raw in enumerate(raw_ops):
        op, error = _parse_op(raw)
        if error:
            results[index] = error
        else:
            pending.append((index, op, body_hash(raw)))

    # Replays are answered from one query, without locking anything.
    known = _applied_ops([op["op_id"] for _, op, _ in pending])
    to_apply = []
    for index, op, digest in pending:
        if op["op_id"] in known:
            results[index] = _replay(op["op_id"], digest, known[op["op_id"]])
        else:
            to_apply.append((index, op, digest))

    if to_apply:
        orders = _lock_orders({op["work_order_id"] for _, op, _ in to_apply})
        # Another request may have applied some of these while we waited for the locks.
        known = _applied_ops([op["op_id"] for _, op, _ in to_apply])
        seen, open_visits, events = {}, {}, []
        for index, op, digest in to_apply:
            op_id = op["op_id"]
            if op_id in known:
                results[index] = _replay(op_id, digest, known[op_id])
            elif op_id in seen:  # the same op twice in one batch
                results[index] = _replay(op_id, digest, seen[op_id])
            else:
                results[index], stored = _apply_one(user, device_id, orders.get(op["work_order_id"]),
                                                    op, digest, received_at, open_visits, events)
                if stored is not None:
                    seen[op_id] = stored
        # Only applied ops reach this list, in the order sent; same transaction as their effects.
        insert_events(events)
    db.session.commit()
    _after_commit(results, raw_ops)
    return results


def _lock_orders(order_ids):
    query = select(WorkOrder).where(WorkOrder.id.in_(sorted(order_ids))).order_by(WorkOrder.id)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(of=WorkOrder)
    rows = db.session.scalars(query.execution_options(populate_existing=True)).unique()
    return {order.id: order for order in rows}


def _apply_one(user, device_id, order, op, digest, received_at, open_visits, events):
    """Apply one op inside a savepoint; return (result, what a replay in this batch needs, or None).

    The op's audit event is appended to `events` once the op is applied.
    """
    op_id = op["op_id"]
    if order is None:
        return {"op_id": op_id, **rejected("order_not_found", f"Work order {op['work_order_id']} does not exist.",
                                           {"work_order_id": ["Unknown."]}).to_result()}, None
    savepoint = db.session.begin_nested()
    try:
        op_events = []
        extras = apply_op(order, user, op["type"], op["data"], op["at"], device_id=device_id,
                          op_id=op_id, received_at=received_at, open_visits=open_visits, events=op_events)
        result = {"op_id": op_id, "status": "applied", **extras}
        db.session.connection().execute(SyncOp.__table__.insert(), {
            "op_id": op_id, "body_hash": digest, "work_order_id": order.id, "user_id": user.id,
            "device_id": device_id, "type": op["type"], "client_at": op["at"], "received_at": received_at,
            "result": result})
        savepoint.commit()
        events += op_events
        return result, _Applied(digest, result)
    except OpRefused as refusal:
        savepoint.rollback()
        return {"op_id": op_id, **refusal.to_result()}, None
    except IntegrityError:
        # Another request applied this op_id between our check and our insert.
        savepoint.rollback()
        stored = db.session.scalar(select(SyncOp).where(SyncOp.op_id == op_id))
        if stored is None:
            raise
        return _replay(op_id, digest, stored), None


def _after_commit(results, raw_ops):
    """Hand finished visits (completed, or no access) to the forms area, which renders and seals their PDFs."""
    completed = {raw["work_order_id"] for raw, result in zip(raw_ops, results, strict=True)
                 if result.get("status") == "applied" and raw.get("type") in ("visit.complete", "arrive.no_access")}
    for work_order_id in sorted(completed):
        seal_visit_forms(work_order_id)
