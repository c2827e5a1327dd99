"""Sealed visits per second of one RQ worker process: whole repair visits, Service + Feedback Form each.

Run with `make bench-seal` (`SEAL_BASELINE=<git rev>` chooses the "before" code; the Makefile gives
main before the photos were shrunk to their printed size: the code that ran until then). Each
figure comes from its own process on its own SQLite database, with a throwaway redis-server:
whole visits are synced through the real sync (which queues one `seal_visit_forms` job per
visit), then one worker seals them all. The visits' photos are what the app uploads (1,600 px
JPEGs of ~200 KB; a visit's three are three attachments with the same bytes), the customer's
name has 𠮷 in it.

  before  - the baseline commit's code (`git archive`), its own `run_worker`, warm;
  after   - this tree's `run_worker` (SimpleWorker: fonts, stylesheet, templates, signer kept);
  cold    - this tree's code under rq's default forking Worker (what plain `rq worker` does):
            every job in a fresh work horse that loads fonts, stylesheet and signer again.

The warm modes seal one visit first (start-up: imports, font configuration, certificate),
reported apart, then VISITS more, timed: visits/s (wall) and CPU ms per visit (worker process,
plus its work horses in the cold mode). The forms' text (pdftotext) of before and after is
compared, ids aside: what a reader sees must not have changed.
"""

import argparse
import difflib
import functools
import itertools
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VISITS = int(os.environ.get("BENCH_SEAL_VISITS", "24"))
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# --- child: one mode, one process -------------------------------------------------------------


def _seed(app, count: int, first: int) -> list[int]:
    """Create `count` booked repair orders, sync each one's whole visit; return their ids (jobs queued)."""
    from backend.auth.services import create_user
    from backend.booking.models import Appointment
    from backend.customers.models import Customer
    from backend.extensions import db
    from backend.forms.samples import squiggle_png
    from backend.visits.attachments import store_attachment
    from backend.visits.sync import sync_batch
    from backend.workorders.models import WorkOrder
    from tests.visits.conftest import WINDOW_START, as_sync_ops, whole_visit_ops

    ids = []
    for n in range(first, first + count):
        # One technician per visit: every visit has the same appointment window.
        tech = create_user(f"bench{n}", "bench-password-1", "technician", name="林建华", employee_no=f"FZ{n:04d}")
        customer = Customer(name="张𠮷", title="先生", phones=["13805912345"], address="福州市鼓楼区五四路1号")
        order = WorkOrder(
            number=f"WO-20261123-{n:04d}",
            type="repair",
            customer=customer,
            address=customer.address,
            branch="福州",
            technician_id=tech.id,
            status="scheduled",
            description="无信号",
        )
        db.session.add(order)
        db.session.flush()
        db.session.add(
            Appointment(
                work_order_id=order.id,
                technician_id=tech.id,
                starts_at=WINDOW_START,
                ends_at=WINDOW_START.replace(hour=12),
                status="active",
            )
        )
        db.session.commit()

        photos = itertools.count(n)

        def new_attachment(data=None, tech=tech, seed=n, photos=photos):
            # A visit's photos differ from each other (the fault, the meter, before and after).
            content = squiggle_png(seed=seed) if data is not None else _jpeg(next(photos) % 4)
            return store_attachment(str(uuid.uuid4()), content, tech)[0].id

        results = sync_batch(tech, "bench-device", as_sync_ops(order, whole_visit_ops("repair", new_attachment)))
        assert all(r["status"] == "applied" for r in results), [r for r in results if r["status"] != "applied"]
        ids.append(order.id)
    db.session.remove()
    return ids


@functools.cache
def _jpeg(seed: int) -> bytes:
    """A photo as the app stores it: 1,600 px on the long side, a JPEG of ~200 KB (pwa/src/photos.js)."""
    from io import BytesIO

    from PIL import Image, ImageFilter

    grain = Image.effect_noise((1600, 1200), 60).filter(ImageFilter.GaussianBlur(2))
    photo = Image.merge("RGB", [grain, grain.rotate(90 * seed), grain.transpose(Image.Transpose.FLIP_LEFT_RIGHT)])
    buffer = BytesIO()
    photo.save(buffer, "JPEG", quality=82)
    return buffer.getvalue()


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the cold mode's work horses)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _fork_worker(app):
    """rq's default forking Worker, each job in a fresh work horse inside the app context."""
    from redis import Redis
    from rq import Queue, Worker

    class AppContextForkWorker(Worker):
        def perform_job(self, *args, **kwargs):
            with app.app_context():
                return super().perform_job(*args, **kwargs)

    connection = Redis.from_url(app.config["REDIS_URL"])
    queue = Queue(app.config["JOB_QUEUE_NAME"], connection=connection)
    return lambda: AppContextForkWorker([queue], connection=connection).work(burst=True)


def child(mode: str, redis_url: str, cert: str, out_dir: str) -> None:
    """Seed visits, seal them with one worker, print the figures as one JSON line."""
    import logging

    import flask_migrate

    from backend import create_app
    from backend.extensions import db
    from backend.forms.models import Form

    tmp = Path(out_dir)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / f'{mode}.db'}",
            "SECRET_KEY": "bench",
            "REDIS_URL": redis_url,
            "JOB_QUEUE_NAME": f"bench-seal-{mode}-{uuid.uuid4().hex[:8]}",
            "FORMS_FONT_DIR": str(ROOT / "instance" / "fonts"),
            "SEAL_PKCS12_PATH": cert,
            "PUBLIC_BASE_URL": "https://doorstep.example",
            "LOG_LEVEL": "WARNING",
        }
    )
    logging.disable(logging.INFO)  # alembic's and rq's progress lines
    with app.app_context():
        flask_migrate.upgrade()
        if mode == "cold":
            work = _fork_worker(app)
            first = None
        else:
            from backend.jobs import run_worker

            def work():
                return run_worker(burst=True)

            _seed(app, 1, 0)  # the start-up visit: imports, fonts, stylesheet and signer load here
            wall, cpu = time.perf_counter(), _cpu()
            work()
            first = {"wall": time.perf_counter() - wall, "cpu": _cpu() - cpu}
        ids = _seed(app, VISITS, 1)
        wall, cpu = time.perf_counter(), _cpu()
        work()
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
        forms = db.session.scalars(select_forms(Form, ids)).all()
        assert len(forms) == 2 * len(ids), f"{len(forms)} forms sealed for {len(ids)} visits"
        for form in forms:
            if form.work_order_id == ids[0]:
                (tmp / f"{mode}-{form.kind}.pdf").write_bytes(form.pdf)
        size = sum(form.size for form in forms) / len(ids)
    print(json.dumps({"visits": len(ids), "wall": wall, "cpu": cpu, "first": first, "bytes_per_visit": size}))


def select_forms(form_model, ids):
    """Every form sealed for the given work orders."""
    from sqlalchemy import select

    return select(form_model).where(form_model.work_order_id.in_(ids))


# --- parent: baseline tree, redis-server, one child per mode ----------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis(tmp: Path):
    """Start a throwaway redis-server (no persistence); return (process, url)."""
    binary = shutil.which("redis-server")
    if not binary:
        sys.exit("bench-seal needs redis-server (Debian package redis-server): the jobs go through RQ")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp)],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    process.kill()
    sys.exit("redis-server did not start")


def _baseline_tree(rev: str, tmp: Path) -> Path:
    """Extract the code of git revision rev (backend, templates, migrations, tests) into tmp."""
    tree = tmp / "baseline"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "backend", "templates", "migrations", "tests"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def _run(code_root: Path, mode: str, redis_url: str, cert: str, tmp: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code_root)}
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, redis_url, cert, str(tmp)],
        env=env,
        cwd=code_root,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"{mode} run failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _text(pdf: Path) -> str:
    """The words of a PDF's text, ids aside (layout spacing moves with the width of an id)."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return "\n".join(UUID.sub("<id>", text).split())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=os.environ.get("SEAL_BASELINE"), help="git revision of 'before'")
    parser.add_argument("--child", nargs=4, metavar=("MODE", "REDIS", "CERT", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, os.environ["PYTHONPATH"])
        return child(*args.child)

    sys.path.insert(0, str(ROOT))
    from backend.forms.seal import create_demo_pkcs12
    from benchmarks.httpbench import machine_load

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cert = str(create_demo_pkcs12(tmp / "bench.p12"))  # the same key and certificate for every mode
        redis, redis_url = _redis(tmp)
        try:
            runs = [("after", ROOT, "warm"), ("cold", ROOT, "cold")]
            if args.baseline:
                runs.insert(0, (f"before ({args.baseline})", _baseline_tree(args.baseline, tmp), "before"))
            print(f"bench-seal: {VISITS} whole repair visits per run, Service + Feedback Form each; {machine_load()}")
            print(f"{'':34} {'visits/s':>9} {'CPU ms/visit':>13} {'start-up visit':>16} {'KB/visit':>9}")
            figures = {}
            for label, code_root, mode in runs:
                figures[mode] = result = _run(code_root, mode, redis_url, cert, tmp)
                first = result["first"]
                start_up = f"{first['wall']:.2f} s / {first['cpu'] * 1000:.0f} ms" if first else "every job"
                print(
                    f"{label:<34} {result['visits'] / result['wall']:9.2f} "
                    f"{result['cpu'] * 1000 / result['visits']:13.0f} {start_up:>16} "
                    f"{result['bytes_per_visit'] / 1024:9.0f}"
                )
            if "before" in figures:
                before, after = figures["before"], figures["warm"]
                ratio = (before["cpu"] / before["visits"]) / (after["cpu"] / after["visits"])
                print(f"after vs before: {ratio:.2f}x less CPU per sealed visit")
                for kind in ("service", "feedback"):
                    old, new = (_text(tmp / f"{mode}-{kind}.pdf").splitlines() for mode in ("before", "warm"))
                    print(f"  {kind} form text (pdftotext, ids aside) same as before: {'yes' if old == new else 'NO'}")
                    for line in list(difflib.unified_diff(old, new, lineterm="", n=0))[2:12]:
                        print("    " + line)
            print(f"done; {machine_load()}")
        finally:
            redis.terminate()
            redis.wait()


if __name__ == "__main__":
    main()
