"""API throughput on PostgreSQL with 200,000+ work orders: the agenda and the dispatcher's day list.

Seeds the database `doorstep_bench` (created if missing) by COPY, serves the app and a minimal
Flask JSON endpoint with the same gunicorn settings, drives each with wrk (32 connections, 10 s)
and prints requests/s, p50, p99 and the ratio to the minimal endpoint.

    make bench-api          # or: .venv/bin/python benchmarks/bench_api.py [--orders N] [--duration S]
"""

import argparse
import io
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.timeutil import LOCAL_TZ, local_today  # noqa: E402
from benchmarks.httpbench import (  # noqa: E402
    GUNICORN,
    app_env,
    database_url,
    drive,
    ensure_database,
    load_average,
    migrate,
    serve,
    token_for,
)

DATABASE = os.environ.get("BENCH_DATABASE", "doorstep_bench")
TECHNICIANS = 200
CUSTOMERS = 50_000
SLOTS = [clock(8, 30), clock(10, 30), clock(13, 30), clock(15, 30), clock(17, 30)]


def _copy(connection, table, columns, rows):
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buffer.seek(0)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)


def seed(orders_wanted):
    """Bulk-insert technicians, customers, work orders and non-overlapping appointments (once)."""
    from argon2 import PasswordHasher

    with psycopg.connect(database_url(DATABASE)) as connection:
        have = connection.execute("SELECT count(*) FROM work_orders").fetchone()[0]
        if have >= orders_wanted:
            print(f"seed: {have:,} work orders already there")
            return
        print(f"seed: inserting {orders_wanted:,} work orders by COPY ...", flush=True)
        started = time.perf_counter()
        for table in (
            "status_changes",
            "phone_guidance",
            "appointments",
            "work_orders",
            "work_order_counters",
            "customers",
            "users",
        ):
            connection.execute(f"TRUNCATE {table} RESTART IDENTITY CASCADE")
        now = datetime.now(UTC).isoformat()
        password = PasswordHasher().hash("bench-password")
        users = [(1, "dispatcher", password, "dispatcher", "调度", None, "福州", "[]", "[]", True, 1, now)]
        users += [
            (
                1 + n,
                f"tech{n}",
                password,
                "technician",
                f"技师{n}",
                f"B{n:05d}",
                "福州",
                '["install", "repair"]',
                "[]",
                True,
                1,
                now,
            )
            for n in range(1, TECHNICIANS + 1)
        ]
        _copy(
            connection,
            "users",
            [
                "id",
                "username",
                "password_hash",
                "role",
                "name",
                "employee_no",
                "branch",
                "skills",
                "areas",
                "active",
                "token_version",
                "created_at",
            ],
            users,
        )
        _copy(
            connection,
            "customers",
            ["id", "name", "phones", "address", "account_no", "area", "branch", "created_at", "updated_at"],
            (
                (n, f"客户{n}", f'["138{n:08d}"]', f"福州市鼓楼区五四路{n}号", f"B{n:09d}", "鼓楼区", "福州", now, now)
                for n in range(1, CUSTOMERS + 1)
            ),
        )
        per_day = TECHNICIANS * len(SLOTS)
        days_needed = -(-orders_wanted // per_day)
        today = local_today()
        first_day = today - timedelta(days=days_needed - 8)
        order_rows, appointment_rows = [], []
        for n in range(orders_wanted):
            day = first_day + timedelta(days=n // per_day)
            technician = 2 + (n % TECHNICIANS)
            slot = SLOTS[(n // TECHNICIANS) % len(SLOTS)]
            starts = datetime.combine(day, slot, tzinfo=LOCAL_TZ).astimezone(UTC)
            past = day < today
            status = ("closed" if n % 7 else "cancelled") if past else "scheduled"
            created = (starts - timedelta(days=1)).isoformat()
            order_rows.append(
                (
                    n + 1,
                    f"WO-{day:%Y%m%d}-{n % per_day + 1:04d}",
                    "repair" if n % 3 else "install",
                    "normal",
                    "无信号",
                    status,
                    1 + n % CUSTOMERS,
                    f"福州市鼓楼区五四路{n}号",
                    "福州",
                    "鼓楼区",
                    technician,
                    1,
                    created,
                    created,
                    1,
                )
            )
            appointment_status = "active" if status == "scheduled" else ("done" if status == "closed" else "cancelled")
            appointment_rows.append(
                (
                    n + 1,
                    n + 1,
                    technician,
                    starts.isoformat(),
                    (starts + timedelta(minutes=90)).isoformat(),
                    appointment_status,
                    1,
                    created,
                )
            )
        _copy(
            connection,
            "work_orders",
            [
                "id",
                "number",
                "type",
                "priority",
                "description",
                "status",
                "customer_id",
                "address",
                "branch",
                "area",
                "technician_id",
                "created_by_id",
                "created_at",
                "updated_at",
                "version",
            ],
            order_rows,
        )
        _copy(
            connection,
            "appointments",
            ["id", "work_order_id", "technician_id", "starts_at", "ends_at", "status", "booked_by_id", "created_at"],
            appointment_rows,
        )
        for table in ("users", "customers", "work_orders", "appointments"):
            connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        connection.commit()
        connection.execute("ANALYZE")
        print(f"seed: done in {time.perf_counter() - started:.0f} s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    ensure_database(DATABASE)
    migrate(DATABASE)
    seed(args.orders)
    env = app_env(DATABASE)
    technician_token, dispatcher_token = token_for(DATABASE, "tech1"), token_for(DATABASE, "dispatcher")
    today = local_today().isoformat()
    targets = [
        ("minimal Flask JSON endpoint", "benchmarks.minimal_app:app", 5101, "/ping", None),
        (
            "GET /api/v1/me/agenda?date=",
            "backend:create_app()",
            5102,
            f"/api/v1/me/agenda?date={today}",
            technician_token,
        ),
        (
            "GET /api/v1/work-orders?status=scheduled&date=",
            "backend:create_app()",
            5102,
            f"/api/v1/work-orders?status=scheduled&date={today}",
            dispatcher_token,
        ),
    ]
    print(f"gunicorn {' '.join(GUNICORN)}; wrk -t2 -c32 -d{args.duration}s on {os.cpu_count()} cores")
    print(f"load average before: {load_average()}")
    results, servers = [], {}
    try:
        for label, app_spec, port, path, token in targets:
            if app_spec not in servers:
                for other in servers.values():
                    other.terminate()
                    other.wait()
                servers = {app_spec: serve(app_spec, port, env)}
            drive(f"http://127.0.0.1:{port}{path}", token, 2)  # warm up workers and connection pools
            results.append((label, *drive(f"http://127.0.0.1:{port}{path}", token, args.duration)))
    finally:
        for process in servers.values():
            process.terminate()
            process.wait()
    print(f"load average after: {load_average()}")
    baseline = results[0][1]
    print(f"\n{'endpoint':<50}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}{'errors':>8}")
    for label, rate, p50, p99, bad in results:
        print(f"{label:<50}{rate:>9.0f}{p50:>9.1f}{p99:>9.1f}{rate / baseline:>8.2f}{bad:>8}")
    agenda = results[1]
    verdict = "met" if agenda[1] / baseline >= 0.3 and agenda[3] <= 50 else "NOT met"
    print(f"\ntarget (agenda ratio >= 0.3 and p99 <= 50 ms): {verdict}")


if __name__ == "__main__":
    main()
