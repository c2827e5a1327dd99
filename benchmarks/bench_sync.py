"""Benchmark the sync protocol: apply a 500-op batch (35 visits), replay it, beside bare inserts.

For SQLite (a file) and PostgreSQL (BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432/bench_sync,
created and wiped by this script), prints ops/s of:
  apply   - sync_batch() applying 500 new ops of 35 visits (one transaction, one write per work order);
  replay  - the same batch again (every op a duplicate);
  bare    - SQLAlchemy Core inserting one row per op, one transaction per op, same database;
and the ratios apply/bare (target >= 0.3) and replay/apply (target >= 3).
Form sealing, which a completed visit queues as a job, is not part of the measured sync.
"""

import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402

from backend import create_app  # noqa: E402
from backend.auth.models import User  # noqa: E402
from backend.auth.services import create_user  # noqa: E402
from backend.booking.models import Appointment  # noqa: E402
from backend.customers.models import Customer  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.timeutil import LOCAL_TZ  # noqa: E402
from backend.visits import sync  # noqa: E402
from backend.visits.definitions import flow_step, get_flow  # noqa: E402
from backend.workorders.models import WorkOrder  # noqa: E402

VISITS = 35
OPS = 500
ROUNDS = 3
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/bench_sync")


def visit_ops(order, window_start):
    """Return a visit's ops in the order the PWA sends them (call, then arrive, then communicate...)."""
    flow = get_flow(order.type)
    at = iter(window_start - timedelta(days=1) + timedelta(seconds=i) for i in range(10_000))
    ops = [("call.attempt", {"outcome": "reached", "notes": "约好上午"})]
    for step in ("call", "arrive"):
        ops += [
            ("checklist.answer", {"step": step, "item": i["id"], "value": True if i["kind"] == "check" else "ok"})
            for i in flow_step(flow, step)["checklist"]
            if i["kind"] in ("check", "text")
        ]
        ops.append(("step.complete", {"step": step}))
        if step == "call":
            ops.append(("arrive.checkin", {"lat": 26.08, "lng": 119.3, "accuracy_m": 10}))
    return [
        {"op_id": str(uuid.uuid4()), "work_order_id": order.id, "type": t, "at": next(at).isoformat(), "data": d}
        for t, d in ops
    ]


def make_batch(technician, day):
    """Create 35 scheduled orders with appointments and return a 500-op batch interleaving their visits."""
    per_visit = []
    for n in range(VISITS):
        customer = Customer(name=f"客户{n}", phones=["13800000000"], address="福州市")
        order = WorkOrder(
            number=f"WO-B{uuid.uuid4().hex[:8]}",
            type="install" if n % 2 else "repair",
            customer=customer,
            address="福州市",
            technician_id=technician.id,
            status="scheduled",
        )
        db.session.add(order)
        db.session.flush()
        starts = day + timedelta(hours=n)  # one technician, never double-booked
        db.session.add(
            Appointment(
                work_order_id=order.id,
                technician_id=technician.id,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=50),
                status="active",
            )
        )
        per_visit.append(visit_ops(order, starts))
    db.session.commit()
    # Each visit contributes its first ops, so the batch holds exactly OPS ops over 35 visits.
    quota = [OPS // VISITS + (1 if i < OPS % VISITS else 0) for i in range(VISITS)]
    return [op for ops, q in zip(per_visit, quota, strict=True) for op in ops[:q]]


def bare_inserts(n):
    """Return seconds to insert n rows with SQLAlchemy Core, one transaction per row."""
    table = sa.Table(
        "bench_bare",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("op_id", sa.String(64), unique=True),
        sa.Column("payload", sa.JSON),
    )
    table.drop(db.engine, checkfirst=True)
    table.create(db.engine)
    rows = [
        {"op_id": str(uuid.uuid4()), "payload": {"step": "call", "item": "no_wei", "value": True}} for _ in range(n)
    ]
    started = time.perf_counter()
    for row in rows:
        with db.engine.begin() as connection:
            connection.execute(table.insert(), row)
    elapsed = time.perf_counter() - started
    table.drop(db.engine)
    return elapsed


def fresh_postgres(url):
    admin = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    with admin.connect() as connection:
        if not connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def run(label, url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "PUBLIC_BASE_URL": "http://bench.test"})
    applied, replayed, bare = [], [], []
    with app.app_context():
        logging.disable(logging.INFO)  # alembic's progress lines
        flask_migrate.upgrade()
        technician = create_user(
            f"bench-{uuid.uuid4().hex[:6]}",
            "bench-password-1",
            "technician",
            name="王明",
            employee_no=f"B{uuid.uuid4().hex[:6]}",
            branch="福州",
        )
        db.session.commit()
        technician_id = technician.id
        sync._after_commit = lambda results, raw_ops: None  # form sealing is a queued job, not the sync
        for r in range(ROUNDS):
            day = datetime(2026, 12, 1 + 3 * r, 8, 0, tzinfo=LOCAL_TZ)
            batch = make_batch(db.session.get(User, technician_id), day)
            db.session.close()
            technician = db.session.get(User, technician_id)  # as the request's login does
            started = time.perf_counter()
            results = sync.sync_batch(technician, "bench-device", batch)
            applied.append(time.perf_counter() - started)
            assert all(r["status"] == "applied" for r in results), [r for r in results if r["status"] != "applied"]
            db.session.close()
            technician = db.session.get(User, technician_id)
            started = time.perf_counter()
            results = sync.sync_batch(technician, "bench-device", batch)
            replayed.append(time.perf_counter() - started)
            assert all(r["status"] == "duplicate" for r in results)
            db.session.close()
            bare.append(bare_inserts(OPS))
        db.engine.dispose()
    apply_rate, replay_rate, bare_rate = (OPS / statistics.median(t) for t in (applied, replayed, bare))
    print(
        f"{label:<11} apply {apply_rate:8.0f} ops/s   replay {replay_rate:9.0f} ops/s   "
        f"bare insert {bare_rate:8.0f} rows/s   apply/bare {apply_rate / bare_rate:5.2f} (target >= 0.3)   "
        f"replay/apply {replay_rate / apply_rate:5.1f}x (target >= 3)"
    )


def main():
    print(f"sync benchmark: {OPS}-op batch over {VISITS} visits, median of {ROUNDS} rounds")
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", "sqlite:///" + os.path.join(tmp, "bench.db"))
    run("PostgreSQL", fresh_postgres(PG_URL))


if __name__ == "__main__":
    main()
