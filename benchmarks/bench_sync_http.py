"""Sync over HTTP: whole repair visits (every op of one, ~70) per POST /api/v1/sync, gunicorn on PostgreSQL, wrk.

Seeds the database `doorstep_bench_sync` (created if missing, wiped each run) by COPY with booked
repair orders, each with its photos and signature already uploaded; serves the app with gunicorn
(2 sync workers, forms sealing queued to a private Redis that no worker drains) and the minimal
Flask endpoint with the same settings; drives each with wrk. Every request is one whole visit
(every checklist answer, ~70 ops) for its own order; a replay sends an applied visit again,
byte for byte. Prints visits/s, p50, p99 and the ratio to the minimal endpoint, and checks that
every request of a new-visit run completed its visit.

The per-visit cost must not grow with the history: the runs start with 10,000 sync ops (and as
many audit events) already stored for earlier visits; then the history is grown to 1,000,000 by
`INSERT … SELECT generate_series` and new visits are measured again at 8 connections.

    make bench-sync-http    # or: .venv/bin/python benchmarks/bench_sync_http.py [--code DIR] [--duration S]

`--code DIR` serves another checkout of the app (e.g. main's, to measure before a change).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_api import _copy  # noqa: E402
from benchmarks.httpbench import ADMIN_URL, _millis, app_env, load_average  # noqa: E402
from benchmarks.httpbench import database_url as _database_url  # noqa: E402

DATABASE = os.environ.get("BENCH_DATABASE", "doorstep_bench_sync")
TECHNICIANS = 100
REDIS_PORT = 6391
THREADS = 2
BLOCK = 3000  # orders per wrk thread and run: more than a thread sends in one run
# The setting (2 sync workers on 2 cores); --workers/--threads measure others alike.
WORKERS, WORKER_THREADS = 2, 1
GUNICORN_COMMON = ["--backlog", "2048", "--preload", "--log-level", "warning"]


def gunicorn_options(workers, threads):
    """Return gunicorn's options for both servers: sync workers, or gthread when threads > 1."""
    kind = ["--worker-class", "sync"] if threads == 1 else ["--worker-class", "gthread", "--threads", str(threads)]
    return ["--workers", str(workers), *kind, *GUNICORN_COMMON]


PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + bytes(64)
# Attachment uuids derive from the order id: kind k of order n is 0000000k-0000-4000-8000-<n, 12 digits>.
# Sync ops (and as many audit events) stored for earlier visits before the runs and before the last one.
STORED_OPS = (10_000, 1_000_000)
OPS_PER_EARLIER_VISIT = 72
ATTACHMENT_KINDS = ("photo_before", "photo_after", "photo_fault", "photo_meter", "signature", "technician_signature")

LUA = r"""
local tokens = {%(tokens)s}
local first, count, technicians, replay, block = %(first)d, %(count)d, %(technicians)d, %(replay)s, %(block)d
local template = [==[%(template)s]==]
local threads_started = 0
local counter = 0

-- thread:set makes `me` a global of that thread's Lua state.
function setup(thread)
  thread:set("me", threads_started)
  threads_started = threads_started + 1
end

-- A new-visit run: each thread takes the orders of its own block, in turn. A replay: cycle.
request = function()
  local n = me * block + counter
  if replay then n = counter %% count end
  counter = counter + 1
  local wo = first + n
  local body = template:gsub("__WOPAD__", string.format("%%012d", wo)):gsub("__WO__", tostring(wo))
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[((wo - 1) %% technicians) + 1],
  }
  return wrk.format("POST", "/api/v1/sync", headers, body)
end
"""


def database_url():
    return _database_url(DATABASE)


def _run(code, *args, env):
    subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "backend", *args], cwd=code, env=env, check=True, capture_output=True
    )


def prepare_database(code, env):
    """Create the database if missing, wipe it, and build the schema with the served code's migrations."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
            connection.execute(f'CREATE DATABASE "{DATABASE}"')
    with psycopg.connect(database_url(), autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
    _run(code, "db", "upgrade", env=env)


def seed(orders, window_start):
    """COPY technicians, customers, booked repair orders (one per request) and their uploads."""
    from argon2 import PasswordHasher

    now = datetime.now(UTC).isoformat()
    password = PasswordHasher().hash("bench-password")
    with psycopg.connect(database_url()) as connection:
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
                '["repair"]',
                "[]",
                True,
                1,
                now,
            )
            for n in range(1, TECHNICIANS + 1)
        ]
        columns = "id username password_hash role name employee_no branch skills areas active token_version created_at"
        _copy(connection, "users", columns.split(), users)
        _copy(
            connection,
            "customers",
            ["id", "name", "phones", "address", "account_no", "area", "branch", "created_at", "updated_at"],
            (
                (n, f"客户{n}", '["13800000000"]', f"五四路{n}号", f"B{n:09d}", "鼓楼区", "福州", now, now)
                for n in range(1, orders + 1)
            ),
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
            (
                (n, f"WO-B{n:08d}", "repair", "normal", "无信号", "scheduled", n, f"五四路{n}号", "福州", "鼓楼区")
                + (_technician(n), 1, now, now, 1)
                for n in range(1, orders + 1)
            ),
        )
        # One order per technician per 3 hours: the exclusion constraint sees no overlap.
        _copy(
            connection,
            "appointments",
            ["id", "work_order_id", "technician_id", "starts_at", "ends_at", "status", "booked_by_id", "created_at"],
            ((n, n, _technician(n), *_window(window_start, n), "active", 1, now) for n in range(1, orders + 1)),
        )
        data = "\\\\x" + PNG.hex()
        _copy(
            connection,
            "attachments",
            ["id", "sha256", "content_type", "size", "data", "uploaded_by_id", "uploaded_at", "work_order_id"],
            (
                (_attachment_id(k, n), "0" * 64, "image/png", len(PNG), data, _technician(n), now, "\\N")
                for n in range(1, orders + 1)
                for k in range(len(ATTACHMENT_KINDS))
            ),
        )
        for table in ("users", "customers", "work_orders", "appointments"):
            connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        connection.commit()
        connection.execute("ANALYZE")


def _technician(n):
    return 2 + (n - 1) % TECHNICIANS


def _window(window_start, n):
    starts = window_start + timedelta(hours=3 * ((n - 1) // TECHNICIANS))
    return starts.isoformat(), (starts + timedelta(hours=2)).isoformat()


def _attachment_id(kind_index, order_id):
    return f"{kind_index + 1:08d}-0000-4000-8000-{order_id:012d}"


def visit_template(window_start):
    """Return one whole repair visit (every op, ~70) as a JSON body with __WO__ / __WOPAD__ placeholders."""
    from backend.visits.definitions import STEP_IDS, flow_step, get_flow

    flow = get_flow("repair")
    clock = iter(window_start - timedelta(minutes=7) + timedelta(seconds=20 * i) for i in range(1000))
    ops = []

    def attachment(kind):
        return f"{ATTACHMENT_KINDS.index(kind) + 1:08d}-0000-4000-8000-__WOPAD__"

    def add(op_type, data=None, at=None):
        ops.append({"type": op_type, "at": (at or next(clock)).isoformat(), "data": data or {}})

    def value(item):
        if item["kind"] == "check":
            return True
        if item["kind"] == "text":
            return "机顶盒无信号，重启无效"
        if item["kind"] == "choice":
            return item["choices"][0]["id"]
        return attachment(item["id"] if item["id"] in ATTACHMENT_KINDS else "photo_before")

    day_before = iter(window_start - timedelta(days=1) + timedelta(seconds=i) for i in range(100))
    window = {"start": window_start.isoformat(), "end": (window_start + timedelta(hours=2)).isoformat()}
    add("call.attempt", {"outcome": "reached", "window": window, "fault_description": "无信号"}, next(day_before))
    for step in STEP_IDS:
        when = next(day_before) if step == "call" else None
        if step == "arrive":
            add("arrive.checkin", {"lat": 26.08, "lng": 119.30, "accuracy_m": 12})
        for item in flow_step(flow, step)["checklist"]:
            add("checklist.answer", {"step": step, "item": item["id"], "value": value(item)}, when)
        if step == "communicate":
            add(
                "communicate.record",
                {"customer_description": "电视没有信号", "customer_style": "owl", "needs": ["information"]},
            )
        elif step == "operate":
            for photo in ("photo_fault", "photo_meter"):
                add("attachment.link", {"attachment_id": attachment(photo), "step": "operate", "kind": "photo"})
            add(
                "operate.record",
                {
                    "work_kinds": ["equipment_replacement"],
                    "equipment_swaps": [
                        {
                            "kind": "set_top_box",
                            "old_serial": "STB-OLD-1",
                            "new_serial": "STB-NEW-2",
                            "in_warranty": True,
                        }
                    ],
                    "materials": [{"name": "F头", "qty": 2}],
                    "fees": [{"tariff_code": "F_CONNECTOR", "qty": 2}, {"tariff_code": "COAX_CABLE", "qty": 5}],
                    "result": "fixed",
                    "notes": "更换机顶盒",
                    "technician_signature_attachment_id": attachment("technician_signature"),
                },
            )
        elif step == "evaluate":
            ratings = {"overall": 5, "punctuality": 5, "attitude": 5, "professionalism": 4, "tidiness": 5}
            mot = {"call": 2, "arrival": 1, "communication": 3, "operation": 2}
            add(
                "evaluate.submit",
                {
                    "ratings": ratings,
                    "mot": mot,
                    "comments": "很满意",
                    "signature_attachment_id": attachment("signature"),
                },
            )
        elif step == "help":
            lead = {"product": "broadband_upgrade", "interest": "high", "notes": "想升级到500M"}
            add("help.record", {"checks": ["other_tv_ok"], "leads": [lead], "leaflet_given": True})
        add("step.complete", {"step": step}, when)
    add("visit.complete")
    for k, op in enumerate(ops):
        op["op_id"] = f"visit-__WO__-{k:02d}"
        op["work_order_id"] = "__WOID__"
    body = json.dumps({"device_id": "bench-phone", "ops": ops}, ensure_ascii=False)
    return body.replace('"__WOID__"', "__WO__"), len(ops)


_TOKENS = """
import json
from backend import create_app
from backend.auth.models import User
from backend.auth.services import issue_token
from backend.extensions import db

with create_app().app_context():
    users = db.session.scalars(db.select(User).where(User.role == "technician").order_by(User.id))
    print(json.dumps([issue_token(user) for user in users]))
"""


def tokens(code, env):
    """Return a bearer token per technician, in id order, issued by the served code with its secret."""
    output = subprocess.run(
        [sys.executable, "-c", _TOKENS], cwd=code, env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.splitlines()[-1])


def serve(code, app_spec, port, env, probe, options):
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), *options, "--bind", f"127.0.0.1:{port}", app_spec],
        cwd=code,
        env={**env, "PYTHONPATH": f"{code}:{ROOT}"},
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=1)
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"{app_spec} did not start")


def wrk(url, connections, duration, script=None):
    """Run wrk; return (requests, requests/s, p50 ms, p99 ms, non-2xx)."""
    command = [
        "wrk",
        "-t",
        str(THREADS),
        "-c",
        str(connections),
        "-d",
        f"{duration}s",
        "--timeout",
        "30s",
        "--latency",
        url,
    ]
    if script:
        command[-1:-1] = ["-s", script]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return requests, rate, _millis(output, "50%"), _millis(output, "99%"), int(bad.group(1)) if bad else 0


def lua_script(directory, name, template, token_list, first, count, replay):
    path = Path(directory) / f"{name}.lua"
    path.write_text(
        LUA
        % {
            "tokens": ", ".join(f'"{t}"' for t in token_list),
            "first": first,
            "count": count,
            "technicians": TECHNICIANS,
            "replay": "true" if replay else "false",
            "template": template,
            "block": BLOCK,
        }
    )
    return str(path)


def settle(port):
    """Wait until the server has answered every request a finished wrk run left queued.

    wrk stops counting at its deadline, but the sync workers still work through what was
    queued; the next run must not start behind that backlog.
    """
    quick = 0
    while quick < 3:
        started = time.perf_counter()
        urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=120).read()
        quick = quick + 1 if time.perf_counter() - started < 0.1 else 0
        time.sleep(0.2)


def completed_between(first, last):
    with psycopg.connect(database_url()) as connection:
        return connection.execute(
            "SELECT count(*) FROM work_orders WHERE id BETWEEN %s AND %s AND status = 'completed'", (first, last)
        ).fetchone()[0]


def store_history(orders, first_order, stored):
    """Grow the history to `stored` sync ops and audit events of earlier visits, on orders from `first_order`.

    Each earlier visit is OPS_PER_EARLIER_VISIT ops for one of the `orders` orders set aside for
    the history, with the shapes a real visit leaves (op ids, hashes, results, event payloads).
    """
    with psycopg.connect(database_url()) as connection:
        have = connection.execute("SELECT count(*) FROM sync_ops").fetchone()[0]
        if have >= stored:
            return
        params = {
            "from": have + 1,
            "to": stored,
            "first": first_order,
            "per": OPS_PER_EARLIER_VISIT,
            "orders": orders,
            "technicians": TECHNICIANS,
        }
        # Visit n of the history is ops (n-1)*per+1 … n*per, on one of the orders set aside, a second apart.
        order = "%(first)s::int + ((g - 1) / %(per)s::int) %% %(orders)s::int"
        technician = "2 + (g %% %(technicians)s::int)"
        when = "now() - interval '30 days' + g * interval '1 second'"
        series = "FROM generate_series(%(from)s::int, %(to)s::int) g"
        connection.execute(
            "INSERT INTO sync_ops (op_id, body_hash, work_order_id, user_id, device_id, type, client_at,"
            f" received_at, result) SELECT 'earlier-' || g, md5(g::text) || md5((-g)::text), {order},"
            f" {technician}, 'earlier-phone', 'checklist.answer', {when}, {when},"
            f""" '{{"op_id": "earlier", "status": "applied"}}'::json {series}""",
            params,
        )
        connection.execute(
            "INSERT INTO visit_events (work_order_id, op_id, actor_id, device_id, type, client_at, server_at, payload)"
            f" SELECT {order}, 'earlier-' || g, {technician}, 'earlier-phone', 'checklist.answer', {when}, {when},"
            f""" '{{"step": "operate", "item": "tested", "value": true}}'::json {series}""",
            params,
        )
        connection.commit()
        # A real history grows over months, vacuumed as it goes (autovacuum is off on this machine);
        # this one arrives in seconds, and the run after it should not pay for the bulk insert.
        connection.autocommit = True
        connection.execute("VACUUM (ANALYZE) sync_ops")
        connection.execute("VACUUM (ANALYZE) visit_events")


def tidy_database():
    """Do what autovacuum would have done by now (it is off on this machine), then write every dirty page out.

    Without fresh statistics PostgreSQL kept planning for the nearly empty visits table it was
    last analysed at: each audit event's foreign-key check scanned every visit, so each run was
    slower than the one before (73 -> 60 -> 50 visits/s), whatever the code. The checkpoint keeps
    one run's writes out of the next.
    """
    with psycopg.connect(database_url(), autocommit=True) as connection:
        connection.execute("ANALYZE")
        connection.execute("CHECKPOINT")


def sync_op_count():
    with psycopg.connect(database_url()) as connection:
        return connection.execute("SELECT count(*) FROM sync_ops").fetchone()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout of the app to serve (default: this one)")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn workers, both servers")
    parser.add_argument("--threads", type=int, default=WORKER_THREADS, help="threads per worker (gthread when > 1)")
    args = parser.parse_args()
    options = gunicorn_options(args.workers, args.threads)
    code = args.code.resolve()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL
    )
    env = {
        **app_env(DATABASE),
        "DOORSTEP_REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
        "DOORSTEP_LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(code),
    }
    window_start = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    servers = []
    try:
        prepare_database(code, env)
        runs = (("warm-up", 8, 2), ("new visits", 8, args.duration), ("new visits", 32, args.duration))
        # One more block set of orders for the run after the history has grown, then the history's own.
        run_orders = (len(runs) + 1) * THREADS * BLOCK
        history_orders = STORED_OPS[-1] // OPS_PER_EARLIER_VISIT + 1
        seed(run_orders + history_orders, window_start)
        store_history(history_orders, run_orders + 1, STORED_OPS[0])
        template, op_count = visit_template(window_start)
        token_list = tokens(code, env)
        print(f"code served: {code}")
        print(
            f"gunicorn {' '.join(options)}; wrk -t{THREADS} -d{args.duration}s; {op_count} ops per visit; "
            f"{os.cpu_count()} cores"
        )
        print(f"load average before: {load_average()}", flush=True)
        scripts = tempfile.mkdtemp(prefix="bench-sync-http-")
        minimal = serve(ROOT, "benchmarks.minimal_app:app", 5111, env, "/ping", options)
        servers.append(minimal)
        wrk("http://127.0.0.1:5111/ping", 8, 2)
        baseline = wrk("http://127.0.0.1:5111/ping", 8, args.duration)
        minimal.terminate()
        minimal.wait()
        servers.append(serve(code, "backend:create_app()", 5112, env, "/health", options))
        url = "http://127.0.0.1:5112/api/v1/sync"
        rows = []
        # A short warm-up, then each run on its own orders (THREADS blocks of BLOCK).

        def new_visits(run, label, connections, duration):
            first = 1 + run * THREADS * BLOCK
            script = lua_script(scripts, f"new{run}", template, token_list, first, 0, False)
            stored = sync_op_count()
            tidy_database()
            result = wrk(url, connections, duration, script)
            settle(5112)
            if result[0] > BLOCK:
                raise SystemExit(f"a thread may have run out of booked orders: raise BLOCK above {result[0]}")
            # wrk counts the answered requests; those in flight when it stopped complete too.
            done = completed_between(first, first + THREADS * BLOCK - 1)
            return (f"{label}, {connections} connections", *result[1:], done, result[0], stored)

        for run, (label, connections, duration) in enumerate(runs):
            row = new_visits(run, label, connections, duration)
            if label != "warm-up":
                rows.append(row)
        # Replays cycle over the warm-up's first thread's visits, all applied and completed.
        replay_count = completed_between(1, BLOCK)
        for connections in (8, 32):
            script = lua_script(scripts, f"replay{connections}", template, token_list, 1, replay_count, True)
            tidy_database()
            result = wrk(url, connections, args.duration, script)
            settle(5112)
            rows.append((f"identical replays, {connections} connections", *result[1:], None, result[0], None))
        print(f"growing the stored history to {STORED_OPS[-1]:,} sync ops", flush=True)
        store_history(history_orders, run_orders + 1, STORED_OPS[-1])
        settle(5112)
        rows.append(new_visits(len(runs), "new visits, more history", 8, args.duration))
        total_ops = sync_op_count()
    finally:
        for process in servers:
            process.terminate()
            process.wait()
        redis.terminate()
        redis.wait()
    print(f"load average after: {load_average()}; sync_ops rows at the end: {total_ops:,}")
    header = f"{'run':<40}{'visits/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}{'non-2xx':>9}{'completed':>11}"
    print(f"\n{header}{'stored ops':>12}")
    print(
        f"{'minimal endpoint, 8 connections':<40}{baseline[1]:>10.0f}{baseline[2]:>9.1f}{baseline[3]:>9.1f}"
        f"{1:>8.2f}{baseline[4]:>9}"
    )
    for label, rate, p50, p99, bad, done, sent, stored in rows:
        shown = "" if done is None else f"{done}/{sent}"
        history = "" if stored is None else f"{stored:,}"
        print(
            f"{label:<40}{rate:>10.1f}{p50:>9.1f}{p99:>9.1f}{rate / baseline[1]:>8.3f}{bad:>9}{shown:>11}{history:>12}"
        )
    new8, new32, replay8, later8 = rows[0], rows[1], rows[2], rows[-1]
    # Per-visit cost is the inverse of the rate at the same concurrency.
    growth = new8[1] / later8[1]
    print(f"\nper-visit cost with {later8[7]:,} stored ops vs {new8[7]:,}: {growth:.2f}x")
    checks = [
        ("new visits >= 200/s at 8 connections", new8[1] >= 200),
        ("p99 <= 200 ms at 8 connections", new8[3] <= 200),
        ("rising from 8 to 32 connections", new32[1] > new8[1]),
        ("identical replays >= 500/s", replay8[1] >= 500),
        ("ratio to the minimal endpoint >= 0.05", new8[1] / baseline[1] >= 0.05),
        ("per-visit cost flat as the history grows 100x (within 1.25x)", growth <= 1.25),
        ("every new-visit request completed its visit", all(r[4] == 0 and r[5] >= r[6] for r in (new8, new32, later8))),
    ]
    print()
    for name, ok in checks:
        print(f"  {'met    ' if ok else 'NOT met'}  {name}")


if __name__ == "__main__":
    main()
