"""The console's two heavy reads on PostgreSQL at 10k and at 1M work orders: customer search and a board day.

Seeds one database per size, `doorstep_bench_console_10000` and `…_1000000` (created if missing),
with set-based SQL (INSERT … SELECT generate_series: a million orders in a couple of minutes, no
ORM loop): customers half as many as orders, 200 technicians in 10 branches, 5 visits each a day,
so a day's board holds the same visits at either size and only the history grows. Both sizes are
served at once (gunicorn each) and measured in turn, probe by probe, and the in-process rounds
alternate between them too: on a machine shared with other work, a load that rises or falls
during the run then weighs on both sizes alike instead of on whichever was measured second.

- GET /api/v1/customers?q=… by part of a phone number, a name, a given name (two characters), an
  account number, part of an address
  (the intake's search, as the console asks it: page_size=10; in-process, the service the
  endpoint calls: the page and its bounded total);
- GET /api/v1/technicians/availability?date=today&branch=… (the board's day for a branch: one request).

It prints requests/s and p50 at each size and the growth of the cost per request (time per request
at the same concurrency); the target is a growth of at most 2× across the 100× growth.

    make bench-console      # or: .venv/bin/python benchmarks/bench_console.py [--sizes 10000,1000000] [--duration S]
"""

import argparse
import os
import sys
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.timeutil import local_today  # noqa: E402
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

DATABASE = os.environ.get("BENCH_DATABASE", "doorstep_bench_console")
TECHNICIANS = 200
BRANCHES = 10
SLOTS_PER_DAY = 5
PER_DAY = TECHNICIANS * SLOTS_PER_DAY
# Days of visits after today, so today's board is full at every size.
FUTURE_DAYS = 7
# One port per size; 5111/5112 are bench-sync-http's, which may run beside this on a shared machine.
PORTS = (5121, 5122)
CONNECTIONS = 8
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鑫斌宇浩凯健俊帆"
DISTRICTS = ["鼓楼区", "台江区", "仓山区", "晋安区", "马尾区", "长乐区"]
ROADS = [
    "五四",
    "杨桥",
    "工业",
    "湖东",
    "六一",
    "华林",
    "乌山",
    "白马",
    "温泉",
    "东街",
    "西洪",
    "铜盘",
    "福新",
    "晋连",
    "福马",
    "连江",
    "南江滨",
    "北江滨",
    "金山",
    "浦上",
]


def _sql_array(items) -> str:
    return "ARRAY[" + ",".join(f"'{item}'" for item in items) + "]"


# Customer n: a name of 3 characters from 30 × 43 × 43 (so names repeat at a million, as they do),
# a phone scrambled by a multiplier coprime to 10^8 (a unique 11-digit number, not a counter), an
# account number, an address with district, road, number and flat.
CUSTOMERS_SQL = f"""
INSERT INTO customers (id, name, phones, address, account_no, area, branch, created_at, updated_at)
SELECT n,
       substr('{SURNAMES}', 1 + n %% 30, 1) || substr('{GIVEN}', 1 + (n / 30) %% {len(GIVEN)}, 1)
         || substr('{GIVEN}', 1 + (n / {30 * len(GIVEN)}) %% {len(GIVEN)}, 1),
       json_build_array('139' || lpad(((n::bigint * 7919) %% 100000000)::text, 8, '0')),
       '福州市' || ({_sql_array(DISTRICTS)})[1 + n %% 6] || ({_sql_array(ROADS)})[1 + (n / 6) %% 20] || '路'
         || (1 + (n / 120) %% 400) || '号' || (101 + n %% 120) || '室',
       'FZ' || lpad(n::text, 9, '0'),
       ({_sql_array(DISTRICTS)})[1 + n %% 6],
       '分公司' || (n %% {BRANCHES}),
       now(), now()
FROM generate_series(1, %(customers)s) AS n
"""

# Order n (0-based) on day n / PER_DAY from the first day, technician 2 + n %% 200 at slot
# (n / 200) %% 5; the past is closed (one in seven cancelled), today and after are scheduled.
ORDERS_SQL = f"""
INSERT INTO work_orders (id, number, type, priority, description, status, customer_id, address, branch, area,
                         technician_id, created_by_id, created_at, updated_at, version)
SELECT n + 1,
       'WO-' || to_char(d, 'YYYYMMDD') || '-' || lpad((n %% {PER_DAY} + 1)::text, 4, '0'),
       CASE WHEN n %% 3 = 0 THEN 'install' ELSE 'repair' END,
       'normal', '无信号',
       CASE WHEN d >= %(today)s THEN 'scheduled' WHEN n %% 7 = 0 THEN 'cancelled' ELSE 'closed' END,
       1 + n %% %(customers)s, '福州市鼓楼区五四路' || n || '号',
       '分公司' || ((n %% {TECHNICIANS}) %% {BRANCHES}), '鼓楼区',
       2 + n %% {TECHNICIANS}, 1, s - interval '1 day', s - interval '1 day', 1
FROM (SELECT n, d, (d + time '08:30' + ((n / {TECHNICIANS}) %% {SLOTS_PER_DAY}) * interval '2 hours')
                   AT TIME ZONE 'Asia/Shanghai' AS s
      FROM (SELECT n, %(first_day)s::date + (n / {PER_DAY}) AS d FROM generate_series(0, %(orders)s - 1) AS n) AS days
     ) AS slots
"""

APPOINTMENTS_SQL = """
INSERT INTO appointments (id, work_order_id, technician_id, starts_at, ends_at, status, booked_by_id, created_at)
SELECT o.id, o.id, o.technician_id, o.created_at + interval '1 day', o.created_at + interval '1 day 90 minutes',
       CASE o.status WHEN 'scheduled' THEN 'active' WHEN 'closed' THEN 'done' ELSE 'cancelled' END, 1, o.created_at
FROM work_orders AS o
"""


def database_of(size: int) -> str:
    return f"{DATABASE}_{size}"


def seed(database: str, orders: int) -> dict:
    """Replace the database's rows with `orders` work orders (and their customers, technicians, visits)."""
    from argon2 import PasswordHasher

    customers = max(orders // 2, 1)
    today = local_today()
    first_day = today - timedelta(days=-(-orders // PER_DAY) - FUTURE_DAYS - 1)
    print(f"seed {database}: {orders:,} orders, {customers:,} customers ...", flush=True)
    started = time.perf_counter()
    with psycopg.connect(database_url(database)) as connection:
        connection.execute(
            "TRUNCATE status_changes, phone_guidance, appointments, work_orders, work_order_counters,"
            " customers, users RESTART IDENTITY CASCADE"
        )
        password = PasswordHasher().hash("bench-password")
        connection.execute(
            "INSERT INTO users (id, username, password_hash, role, name, employee_no, branch, skills, areas,"
            " active, token_version, created_at) VALUES"
            " (1, 'dispatcher', %s, 'dispatcher', '调度', 'D0001', '分公司0', '[]', '[]', true, 1, now())",
            (password,),
        )
        connection.execute(
            "INSERT INTO users (id, username, password_hash, role, name, employee_no, branch, skills, areas,"
            " active, token_version, created_at)"
            " SELECT 2 + t, 'tech' || t, %s, 'technician', '技师' || t, 'B' || lpad(t::text, 5, '0'),"
            f" '分公司' || (t %% {BRANCHES}), '[\"install\", \"repair\"]', '[]', true, 1, now()"
            f" FROM generate_series(0, {TECHNICIANS - 1}) AS t",
            (password,),
        )
        connection.execute(CUSTOMERS_SQL, {"customers": customers})
        connection.execute(
            ORDERS_SQL, {"orders": orders, "customers": customers, "today": today, "first_day": first_day}
        )
        connection.execute(APPOINTMENTS_SQL)
        for table in ("users", "customers", "work_orders", "appointments"):
            connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        connection.commit()
    with psycopg.connect(database_url(database), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")  # fresh statistics and visibility map, as a live database has
    print(f"seed: done in {time.perf_counter() - started:.0f} s", flush=True)
    return {"customers": customers}


def service_costs(seeded: dict, repeats: int = 15) -> dict:
    """Median ms of the services behind each probe at each size, in-process: the database work and the Python around it.

    Less shaken than wrk by whatever else runs on the machine (no HTTP, no gunicorn workers
    competing), so it says more plainly whether the cost follows the table's size. The sizes take
    turns, call by call, so both see the same machine.
    """
    from flask_smorest.pagination import PaginationParameters

    from backend.booking.services import availability
    from backend.customers.services import search_page
    from backend.extensions import db
    from benchmarks.httpbench import app_for

    def call_for(path):
        args = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        if "q" in args:
            return lambda q=args["q"][0]: search_page(page_params=PaginationParameters(1, 10), q=q)
        return lambda b=args["branch"][0]: availability(local_today(), branch=b)

    apps = {size: app_for(database_of(size)) for size in seeded}
    calls = {size: probes(database_of(size), customers) for size, customers in seeded.items()}
    costs = {size: {} for size in seeded}
    for index, (label, _) in enumerate(next(iter(calls.values()))):
        timings = {size: [] for size in seeded}
        for round_ in range(repeats + 1):  # the first round warms caches and is not counted
            for size, app in apps.items():
                call = call_for(calls[size][index][1])
                with app.app_context():
                    started = time.perf_counter()
                    call()
                    elapsed = (time.perf_counter() - started) * 1000
                    db.session.rollback()
                if round_:
                    timings[size].append(elapsed)
        for size in seeded:
            costs[size][label] = sorted(timings[size])[len(timings[size]) // 2]
    return costs


def probes(database: str, customers: int) -> list[tuple[str, str]]:
    """The requests measured, chosen from a customer in the middle so each size has one to find."""
    with psycopg.connect(database_url(database)) as connection:
        name, phone, address, account = connection.execute(
            "SELECT name, phones->>0, address, account_no FROM customers WHERE id = %s", (customers // 2 + 1,)
        ).fetchone()
    search = "/api/v1/customers?page_size=10&q="
    quote = urllib.parse.quote
    return [
        ("search: part of a phone (7 digits)", search + phone[3:10]),
        ("search: a name (3 characters)", search + quote(name)),
        ("search: a given name (2 characters)", search + quote(name[1:])),
        ("search: an account number", search + account),
        ("search: part of an address", search + quote(address[3:])),
        (
            "board day of a branch (one request)",
            f"/api/v1/technicians/availability?date={local_today()}&branch=" + quote("分公司3"),
        ),
    ]


def measure(duration: int, seeded: dict) -> dict:
    """wrk figures per size: both sizes served at once, each probe driven at one size then the other."""
    servers, urls, tokens = [], {}, {}
    results = {size: {} for size in seeded}
    try:
        for port, (size, customers) in zip(PORTS, seeded.items(), strict=False):
            database = database_of(size)
            servers.append(serve("backend:create_app()", port, app_env(database)))
            tokens[size] = token_for(database, "dispatcher")
            urls[size] = [(label, f"http://127.0.0.1:{port}{path}") for label, path in probes(database, customers)]
        for index in range(len(next(iter(urls.values())))):
            for size in seeded:
                label, url = urls[size][index]
                drive(url, tokens[size], 2, CONNECTIONS)  # warm the workers, pools and caches
                results[size][label] = drive(url, tokens[size], duration, CONNECTIONS)
    finally:
        for server in servers:
            server.terminate()
            server.wait()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000", help="order counts, smallest first")
    parser.add_argument("--duration", type=int, default=8)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if len(sizes) > len(PORTS):
        parser.error(f"at most {len(PORTS)} sizes")
    print(f"gunicorn {' '.join(GUNICORN)}; wrk -c{CONNECTIONS} -d{args.duration}s on {os.cpu_count()} cores")
    seeded = {}
    for size in sizes:
        ensure_database(database_of(size))
        migrate(database_of(size))
        seeded[size] = seed(database_of(size), size)["customers"]
    print(f"load average before HTTP: {load_average()}", flush=True)
    runs = measure(args.duration, seeded)
    print(f"load average before in-process: {load_average()}", flush=True)
    services = service_costs(seeded)
    print(f"load average after: {load_average()}", flush=True)
    small, large = sizes[0], sizes[-1]
    print(f"\nHTTP (wrk -c{CONNECTIONS}): req/s and p50 at each size; cost x = time per request, largest over smallest")
    header = f"{'request':<40}" + "".join(f"{f'{size:,} req/s':>16}{'p50 ms':>9}" for size in sizes)
    print(header + f"{'cost x':>9}{'errors':>8}")
    worst_http = 0.0
    for label in runs[small]:
        row = f"{label:<40}"
        for size in sizes:
            rate, p50, _p99, _bad = runs[size][label]
            row += f"{rate:>16.0f}{p50:>9.1f}"
        growth = runs[small][label][0] / runs[large][label][0]
        worst_http = max(worst_http, growth)
        errors = sum(runs[size][label][3] for size in sizes)
        print(row + f"{growth:>9.2f}{errors:>8}")
    print("\nin-process service (median of 15): ms at each size; cost x = largest over smallest")
    print(f"{'request':<40}" + "".join(f"{f'{size:,} ms':>16}" for size in sizes) + f"{'cost x':>9}")
    worst_service = 0.0
    for label in services[small]:
        growth = services[large][label] / services[small][label]
        worst_service = max(worst_service, growth)
        print(f"{label:<40}" + "".join(f"{services[size][label]:>16.1f}" for size in sizes) + f"{growth:>9.2f}")
    for what, worst in (("HTTP", worst_http), ("service", worst_service)):
        verdict = "met" if worst <= 2 else "NOT met"
        print(f"target, {what} (cost grows <= 2x from {small:,} to {large:,} orders): {verdict} (worst {worst:.2f}x)")


if __name__ == "__main__":
    main()
