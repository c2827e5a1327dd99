"""Measure the technician app: shell size, offline time to a visible agenda, outbox drain rate.

Run with `make bench-pwa` (builds the app first). Prints the figures and the targets:
- first-load shell (HTML, JS, CSS) gzipped: target <= 100 KB;
- navigation to a visible agenda, offline, Chromium with 4x CPU throttling: target <= 1 s (median of 7);
- outbox drain of 500 queued actions against the local server, as a share of the rate of the same
  ops posted directly from Python in the same run: target >= 0.5.
"""

import gzip
import http.client
import json
import pathlib
import re
import statistics
import sys
import tempfile
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, DIST, PHONE, LiveServer  # noqa: E402

OPS = 500
BATCH = 100  # the app's batch size (pwa/src/sync.js)

AGENDA_WATCH = """
new MutationObserver((_, obs) => {
  if (document.querySelector('[data-testid=visit]')) { window.__agendaAt = performance.now(); obs.disconnect(); }
}).observe(document, { childList: true, subtree: true });
"""

OPEN_JS = "new Promise((ok) => { const r = indexedDB.open('doorstep'); r.onsuccess = () => ok(r.result); })"

QUEUE_JS = (
    """async ([ops]) => {
  const db = await """
    + OPEN_JS
    + """;
  await new Promise((ok, err) => {
    const tx = db.transaction('outbox', 'readwrite');
    for (const op of ops) tx.objectStore('outbox').add(op);
    tx.oncomplete = ok; tx.onerror = err;
  });
  db.close();
}"""
)

PENDING_JS = (
    """async () => {
  const db = await """
    + OPEN_JS
    + """;
  const n = await new Promise((ok) => {
    const q = db.transaction('outbox').objectStore('outbox').count();
    q.onsuccess = () => ok(q.result);
  });
  db.close();
  return n;
}"""
)


def shell_size():
    """Return (raw, gzipped) bytes of what the first load fetches: index.html and the JS/CSS it links."""
    html = (DIST / "index.html").read_text()
    linked = re.findall(r'(?:src|href)="/app/(assets/[^"]+\.(?:js|css))"', html)
    files = [DIST / "index.html"] + [DIST / p for p in linked]
    raw = sum(f.stat().st_size for f in files)
    packed = sum(len(gzip.compress(f.read_bytes(), 6)) for f in files)
    return raw, packed, [f.name for f in files]


def checklist_ops(server, count):
    """Return `count` valid checklist answers spread over the seeded orders, in the sync envelope."""
    items = {
        "install": ["no_wei", "greeting_by_time", "identity_confirmed"],
        "repair": ["no_wei", "greeting_by_time", "identity_confirmed"],
    }
    ops = []
    for i in range(count):
        order = server.seed["orders"][i % len(server.seed["orders"])]
        ops.append(
            {
                "op_id": str(uuid.uuid4()),
                "work_order_id": order["id"],
                "type": "checklist.answer",
                "at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
                "data": {"step": "call", "item": items[order["type"]][i % 3], "value": i % 2 == 0},
            }
        )
    return ops


def post_directly(server, token, ops):
    """Post ops to /api/v1/sync from Python in batches on one keep-alive connection; return seconds."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    start = time.perf_counter()
    for i in range(0, len(ops), BATCH):
        batch = json.dumps({"device_id": "bench-python", "ops": ops[i : i + BATCH]})
        conn.request("POST", "/api/v1/sync", batch, headers)
        body = json.loads(conn.getresponse().read())
        assert all(r["status"] == "applied" for r in body["results"]), body["results"][:3]
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main():
    raw, packed, files = shell_size()
    print(
        f"shell first load: {raw / 1024:.1f} KB raw, {packed / 1024:.1f} KB gzipped ({', '.join(files)})"
        f"  target <= 100 KB: {'OK' if packed <= 100 * 1024 else 'MISSED'}"
    )

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        server = LiveServer(pathlib.Path(tmp), orders_per_type=5)
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(**PHONE)
            page = context.new_page()
            page.goto(f"{server.url}/app/")
            page.fill("input[name=username]", "tech")
            page.fill("input[name=password]", server.seed["password"])
            page.click("button[type=submit]")
            page.wait_for_selector("[data-testid=visit]")
            page.wait_for_function("() => navigator.serviceWorker.controller !== null")

            # Offline time to a visible agenda, 4x CPU throttling, served by the worker and IndexedDB.
            context.set_offline(True)
            times = []
            for _ in range(7):
                probe = context.new_page()
                probe.add_init_script(AGENDA_WATCH)
                cdp = context.new_cdp_session(probe)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
                probe.goto(f"{server.url}/app/")
                probe.wait_for_function("() => window.__agendaAt !== undefined")
                times.append(probe.evaluate("window.__agendaAt"))
                probe.close()
            median = statistics.median(times)
            print(
                f"offline navigation -> visible agenda (4x CPU throttling): median {median:.0f} ms "
                f"(runs: {', '.join(f'{t:.0f}' for t in times)})  target <= 1000 ms: "
                f"{'OK' if median <= 1000 else 'MISSED'}"
            )

            # Outbox drain: 500 queued actions, drained by the app's own sync loop.
            queued = [
                {**op, "attachments": [], "state": "pending", "result": None, "queued_at": 0}
                for op in checklist_ops(server, OPS)
            ]
            page.evaluate(QUEUE_JS, [queued])
            start = time.perf_counter()
            # Coming back online is what starts the drain (the app listens for `online`); a click
            # on 立即同步 here would be timed by Playwright's wait for the re-rendering bar instead.
            context.set_offline(False)
            while page.evaluate(PENDING_JS):
                page.wait_for_timeout(20)
            app_seconds = time.perf_counter() - start
            applied = server.scalar("SELECT count(*) FROM visit_events WHERE device_id != 'bench-python'")
            assert applied == OPS, f"{applied} of {OPS} applied"

            token = server.token("tech")
            direct_seconds = post_directly(server, token, checklist_ops(server, OPS))
            app_rate, direct_rate = OPS / app_seconds, OPS / direct_seconds
            share = app_rate / direct_rate
            print(
                f"outbox drain of {OPS} actions: app {app_rate:.0f} ops/s ({app_seconds:.2f} s), "
                f"direct from Python {direct_rate:.0f} ops/s ({direct_seconds:.2f} s), share {share:.2f}"
                f"  target >= 0.5: {'OK' if share >= 0.5 else 'MISSED'}"
            )
            browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
