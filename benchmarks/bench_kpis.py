"""Benchmark the manager's overview for one month on PostgreSQL with 100k and with 1M visits stored.

Each size gets a fresh schema (BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432/bench_kpis,
created and wiped by this script) filled by SQL: 100 technicians doing 400 visits a day between
them (so more visits means a longer history, as a province's database grows), 70% of orders with a
return-visit call, 3% with a complaint. The last full month and the one before are rolled up by
`rollups.rebuild` (the code the sync and `flask reports rebuild` run); the older days' rollup rows
are copies of one real day's, so the rollup table grows with the history too. Prints the median
time of `service.overview` (which also reads the previous month) and the ratio 1M / 100k
(target <= 1.5).
"""

import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402

from backend import create_app  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.reports import rollups, service  # noqa: E402
from backend.timeutil import LOCAL_TZ, local_today  # noqa: E402

SIZES = [int(s) for s in os.environ.get("BENCH_KPI_SIZES", "100000,1000000").split(",")]
TECHNICIANS, PER_DAY, CUSTOMERS, RUNS = 100, 400, 20_000, 5
URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/bench_kpis")


def _fill(connection, visits, last_day):
    """Insert technicians, customers, orders, ended visits, return-visit calls and complaints."""
    days = visits // PER_DAY
    first = datetime.combine(last_day - timedelta(days=days - 1), datetime.min.time(), tzinfo=LOCAL_TZ)
    params = {"first": first, "n": visits, "techs": TECHNICIANS, "per_day": PER_DAY, "customers": CUSTOMERS}
    for sql in (
        """INSERT INTO users (username, password_hash, role, name, employee_no, branch, skills, areas, active,
               token_version, created_at)
           SELECT 'bt' || g, 'x', 'technician', '维护员' || g, 'B' || g, (ARRAY['福州','厦门','泉州'])[1 + g % 3],
               '[]', '[]', true, 1, now() FROM generate_series(1, :techs) g""",
        """INSERT INTO customers (name, phones, address, branch, area, created_at, updated_at)
           SELECT '客户' || g, '[]', '地址', '福州', 'A' || g % 4, now(), now()
           FROM generate_series(1, :customers) g""",
        """INSERT INTO work_orders (number, type, priority, description, status, customer_id, address, branch, area,
               technician_id, created_at, updated_at, version)
           SELECT 'WO-B-' || g, CASE WHEN g % 3 = 0 THEN 'install' ELSE 'repair' END, 'normal', '', 'closed',
               1 + (g::bigint * 7919) % :customers, '地址', (ARRAY['福州','厦门','泉州'])[1 + (g % :techs + 1) % 3],
               'A' || g % 4, 1 + g % :techs, now(), now(), 1
           FROM generate_series(1, :n) g""",
        """INSERT INTO visits (work_order_id, technician_id, flow_type, flow_version, window_starts_at,
               window_ends_at, started_at, checked_in_at, arrival_class, arrival_lead_seconds, flags, ended_at,
               outcome, result, checklist, call_attempts, knocks, needs, work_kinds, equipment_swaps, materials,
               fees, fees_total_cents, attachments, completed_steps, help_checks, ratings, mot, evaluated_at,
               compliance, compliance_score, updated_at)
           SELECT g, 1 + g % :techs, CASE WHEN g % 3 = 0 THEN 'install' ELSE 'repair' END, 1, w, w + interval '2 hours',
               w - make_interval(secs => lead + 1200), w - make_interval(secs => lead),
               CASE WHEN lead >= 300 THEN 'early' WHEN lead >= 0 THEN 'on_time' ELSE 'late' END, lead,
               CASE WHEN lead < 0 AND g % 2 = 0 THEN '["late_without_notice"]'::json ELSE '[]'::json END,
               w + interval '70 minutes', CASE WHEN g % 17 = 0 THEN 'no_access' WHEN g % 11 = 0
               THEN 'needs_revisit' ELSE 'completed' END, 'fixed', '{}', '[]', '[]', '[]', '[]', '[]', '[]', '[]',
               0, '[]', '[]', '[]',
               json_build_object('overall', 1 + g % 5, 'punctuality', 1 + g % 4, 'attitude', 5,
                   'professionalism', 4, 'tidiness', 1 + g % 5),
               json_build_object('call', g % 7 - 3, 'arrival', g % 5 - 2, 'communication', 1, 'operation', 2),
               w + interval '65 minutes',
               json_build_object('arrive.on_time', json_build_object('status',
                   CASE WHEN lead >= 0 THEN 'verified' ELSE 'missed' END),
                   'arrive.early_5_10_min', json_build_object('status',
                   CASE WHEN lead BETWEEN 300 AND 600 THEN 'verified' ELSE 'missed' END),
                   'help.proactive_help', json_build_object('status', 'attested')),
               50 + g % 51, now()
           FROM (SELECT g, (g * 37) % 1500 - 300 AS lead,
                   CAST(:first AS timestamptz) + make_interval(days => (g - 1) / :per_day, hours => 8 + 2 * (g % 5))
                   AS w FROM generate_series(1, :n) g) s""",
        """INSERT INTO return_visit_calls (work_order_id, caller_id, called_at, reached, satisfaction, resolved, notes)
           SELECT v.work_order_id, 1, v.ended_at + interval '1 day', true, 1 + v.id % 5, true, ''
           FROM visits v WHERE v.id % 10 < 7""",
        """INSERT INTO complaints (work_order_id, kind, channel, severity, description, status, opened_by_id,
               opened_at, due_at, answered_at)
           SELECT v.work_order_id, 'complaint', 'phone', 'normal', '投诉', 'answered', 1,
               v.ended_at + interval '3 hours', v.ended_at + interval '6 hours', v.ended_at + interval '5 hours'
           FROM visits v WHERE v.id % 33 = 0""",
    ):
        connection.execute(sa.text(sql), params)
    return first.date()


def _bench(app, visits):
    today = local_today()
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    month_end = today.replace(day=1) - timedelta(days=1)
    previous = (month - timedelta(days=1)).replace(day=1)
    with app.app_context():
        engine = db.engine
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        flask_migrate.upgrade()
        started = time.perf_counter()
        with engine.begin() as connection:
            first_day = _fill(connection, visits, month_end)
        rollups.rebuild(previous, month_end)
        db.session.commit()
        if first_day < previous:  # the older history's rollups: copies of one rolled-up day
            db.session.execute(
                sa.text(
                    """INSERT INTO kpi_rollups (day, technician_id, work_order_type, branch, area, counts, updated_at)
                       SELECT d::date, r.technician_id, r.work_order_type, r.branch, r.area, r.counts, now()
                       FROM kpi_rollups r, generate_series(CAST(:first AS date), CAST(:last AS date), '1 day') d
                       WHERE r.day = :template"""
                ),
                {"first": first_day, "last": previous - timedelta(days=1), "template": previous},
            )
            db.session.commit()
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        print(f"  filled {visits:,} visits in {time.perf_counter() - started:.0f} s", flush=True)
        f = service.Filters(month, month_end)
        now = datetime.now(LOCAL_TZ)
        timings = []
        for _ in range(RUNS):
            db.session.remove()
            t = time.perf_counter()
            figures = service.overview(f, now)
            timings.append(time.perf_counter() - t)
        visits_in_month = next(x for x in figures["headline"] if x["kpi"] == "visits")["value"]
        rows = db.session.scalar(sa.text("SELECT count(*) FROM kpi_rollups"))
        median = statistics.median(timings)
        print(f"  overview {month:%Y-%m} ({visits_in_month:,} visits, {rows:,} rollup rows): {median * 1000:.0f} ms")
        return median


def main():
    url = URL.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        name = url.rsplit("/", 1)[1]
        if not connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "PUBLIC_BASE_URL": "http://bench"})
    results = {}
    for visits in SIZES:
        print(f"== {visits:,} visits", flush=True)
        results[visits] = _bench(app, visits)
    if len(results) == 2:
        small, large = sorted(results)
        ratio = results[large] / results[small]
        print(f"ratio {large:,} / {small:,}: {ratio:.2f} (target <= 1.5): {'met' if ratio <= 1.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
