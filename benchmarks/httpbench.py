"""Plumbing shared by the HTTP benchmarks on PostgreSQL: a database, the app's schema, tokens, gunicorn, wrk.

bench_api.py and bench_console.py differ in what they seed and which endpoints they drive; how a
database is made, how the app is served and how wrk's figures are read is the same, and lives here.
"""

import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-secret"
# What production refuses to start without (the benchmarks create no links).
REQUIRED_SETTINGS = {"SECRET_KEY": SECRET, "PUBLIC_BASE_URL": "http://127.0.0.1:5102"}
# --preload: the workers fork from one loaded app, so all of them serve once the first answers.
# Without it each worker imported the app itself (seconds of CPU each), and the measurement ran
# while three of the four were still starting.
GUNICORN = [
    "--workers",
    "4",
    "--worker-class",
    "gthread",
    "--threads",
    "4",
    "--backlog",
    "2048",
    "--preload",
    "--log-level",
    "warning",
]


def database_url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def app_env(name: str) -> dict:
    """The environment gunicorn serves the app with, on database `name`."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(name),
        **{f"DOORSTEP_{key}": value for key, value in REQUIRED_SETTINGS.items()},
    }


def ensure_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def app_for(name: str):
    from backend import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url(name).replace("postgresql://", "postgresql+psycopg://"),
            **REQUIRED_SETTINGS,
        }
    )


def migrate(name: str) -> None:
    """Bring database `name` to the latest migration, as production does."""
    import flask_migrate

    with app_for(name).app_context():
        flask_migrate.upgrade()


def token_for(name: str, username: str) -> str:
    from backend.auth.models import User
    from backend.auth.services import issue_token
    from backend.extensions import db

    with app_for(name).app_context():
        return issue_token(db.session.scalar(db.select(User).where(User.username == username)))


def serve(app_spec: str, port: int, env: dict, gunicorn=GUNICORN):
    """Start gunicorn serving `app_spec` on `port`; return the process once it answers."""
    with socket.socket() as probe_socket:
        if probe_socket.connect_ex(("127.0.0.1", port)) == 0:
            # Another benchmark's server would answer the probe below and be measured instead.
            raise RuntimeError(f"port {port} is already in use")
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), *gunicorn, "--bind", f"127.0.0.1:{port}", app_spec], cwd=ROOT, env=env
    )
    probe = f"http://127.0.0.1:{port}/health" if "backend" in app_spec else f"http://127.0.0.1:{port}/ping"
    for _ in range(300):
        try:
            urllib.request.urlopen(probe, timeout=1)
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"{app_spec} did not start")


def drive(url: str, token: str | None, duration: int, connections: int = 32):
    """Run wrk against `url`; return (requests/s, p50 ms, p99 ms, non-2xx count)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if token:
            script.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
    threads = str(min(2, connections))
    output = subprocess.run(
        ["wrk", "-t", threads, "-c", str(connections), "-d", f"{duration}s", "--latency", "-s", script.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return rate, _millis(output, "50%"), _millis(output, "99%"), int(bad.group(1)) if bad else 0


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def machine_load() -> str:
    """The load average and core count, printed beside wall-clock figures that depend on them."""
    return "load average {:.1f} {:.1f} {:.1f} on {} cores".format(*os.getloadavg(), os.cpu_count())


def _millis(output, percentile):
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
