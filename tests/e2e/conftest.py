"""Browser tests: Debian's Chromium driven by Playwright against a live Doorstep server.

The server runs in a subprocess on a free port with its own database (a temp SQLite file, or a
separate PostgreSQL database next to TEST_DATABASE_URL), serving the built app from pwa/dist.
"""

import itertools
import json
import os
import pathlib
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest
import sqlalchemy as sa

ROOT = pathlib.Path(__file__).resolve().parents[2]
DIST = ROOT / "pwa" / "dist"
# `make screenshots` points this at docs/screenshots for the README; a plain test run keeps the tree clean.
SCREENSHOTS = pathlib.Path(os.environ.get("DOORSTEP_SCREENSHOTS") or tempfile.mkdtemp(prefix="doorstep-screens-"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "timezone_id": "Asia/Shanghai",
    "locale": "zh-CN",
}

DESK = {"viewport": {"width": 1366, "height": 768}, "timezone_id": "Asia/Shanghai", "locale": "zh-CN"}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres_admin():
    """Return the TEST_DATABASE_URL as a SQLAlchemy URL, or None when the tests run on SQLite."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return None
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return sa.engine.make_url(url)


def _run_admin(admin, sql):
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(sql)
    engine.dispose()


_SERVERS = itertools.count()


def _database_url(tmp_path):
    """Return a fresh database for the live server: SQLite, or a sibling of TEST_DATABASE_URL.

    Each server gets its own name (a module may keep two alive at once)."""
    admin = _postgres_admin()
    if admin is None:
        return f"sqlite:///{tmp_path / 'e2e.db'}"
    name = f"{admin.database}_e2e_{os.getpid()}_{next(_SERVERS)}"
    _run_admin(admin, f'DROP DATABASE IF EXISTS "{name}"')
    _run_admin(admin, f'CREATE DATABASE "{name}"')
    return admin.set(database=name).render_as_string(hide_password=False)


class LiveServer:
    """A running server: its base URL, seeded ids, and a database handle to inspect what it stored."""

    def __init__(self, tmp_path, orders_per_type=3, own_dist=False, address_from_server_name=False, seed_demo=False):
        if not (DIST / "sw.js").is_file():
            raise RuntimeError("The app is not built: run `make pwa` first.")
        # A test that deploys a new app version gets its own copy of the build to change.
        self.dist = DIST
        if own_dist:
            self.dist = tmp_path / "dist"
            shutil.copytree(DIST, self.dist)
        self.database_url = _database_url(tmp_path)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(tmp_path / "server.log", "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(pathlib.Path(__file__).with_name("server.py")),
                "--database-url",
                self.database_url,
                "--port",
                str(self.port),
                "--pwa-dist",
                str(self.dist),
                "--orders-per-type",
                str(orders_per_type),
                *(["--address-from-server-name"] if address_from_server_name else []),
                *(["--seed-demo"] if seed_demo else []),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        ready, _, _ = select.select([self.proc.stdout], [], [], 90)
        if not ready:
            self.stop()
            raise RuntimeError(f"live server did not start; see {tmp_path / 'server.log'}")
        self.seed = json.loads(self.proc.stdout.readline())
        self.engine = sa.create_engine(self.database_url)

    def order(self, kind, index=0):
        """Return the seeded order of this type (install/repair), by position."""
        return [o for o in self.seed["orders"] if o["type"] == kind][index]

    def scalar(self, sql, **params):
        """Run one SQL query on the server's database and return its first column."""
        with self.engine.connect() as connection:
            return connection.execute(sa.text(sql), params).scalar()

    def rows(self, sql, **params):
        """Run one SQL query on the server's database and return its rows."""
        with self.engine.connect() as connection:
            return connection.execute(sa.text(sql), params).all()

    def token(self, username, password=None):
        """Log in through the API and return a bearer token."""
        import urllib.request

        body = json.dumps({"username": username, "password": password or self.seed["password"]}).encode()
        request = urllib.request.Request(f"{self.url}/api/v1/auth/login", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            return json.load(response)["token"]

    def api(self, method, path, token, body=None):
        """Call the API; return (status, JSON body)."""
        import urllib.error
        import urllib.request

        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}{path}",
            data,
            method=method,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as err:
            return err.code, json.load(err)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if getattr(self, "engine", None) is not None:
            self.engine.dispose()
        self.log.close()
        admin = _postgres_admin()
        if admin is not None:
            _run_admin(admin, f'DROP DATABASE IF EXISTS "{sa.engine.make_url(self.database_url).database}"')


@pytest.fixture
def live_server(tmp_path):
    """Start a fresh server (fresh database, seeded day) for one test."""
    server = LiveServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """Start one server seeded by `flask seed-demo` for a module (its tests only read)."""
    server = LiveServer(tmp_path_factory.mktemp("demo"), seed_demo=True)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def playwright():
    """Start Playwright for one test module.

    Its event loop runs in this thread while it lives; stopping it after the module lets the
    tests that follow in the same worker call asyncio.run (pyHanko signs that way).
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright):
    """Launch Debian's Chromium once per test module (never a downloaded browser)."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def installed_phone(playwright, tmp_path):
    """Return a phone context with a real profile on disk (Chromium will not install from incognito)."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, **PHONE
    )
    yield context
    context.close()


@pytest.fixture
def phone(browser):
    """Return a fresh phone-sized browser context (its own storage, service worker and IndexedDB)."""
    context = browser.new_context(**PHONE)
    yield context
    context.close()


@pytest.fixture
def desk(browser):
    """Return a fresh office-desktop browser context (1366x768), as the console is used."""
    context = browser.new_context(**DESK)
    yield context
    context.close()


def screenshot(page, name):
    """Save a phone-size screenshot (into docs/screenshots/ under `make screenshots`)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def wait_until(predicate, timeout=30, interval=0.2, message="condition"):
    """Poll `predicate` until it is truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")
