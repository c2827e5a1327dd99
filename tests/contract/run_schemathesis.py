"""Run schemathesis (every check) over the documented API of a live server, as a dispatcher and a technician.

A fresh SQLite database with the demo data, `flask run` on a free port, one schemathesis run per
token, bounded in examples and time. Exits non-zero on any failure. `make test-contract` runs it.
"""

import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENV_BIN = pathlib.Path(sys.executable).parent
MAX_EXAMPLES = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "25"))
PASSWORD = "demo1234"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _token(base, username):
    request = urllib.request.Request(
        f"{base}/api/v1/auth/login",
        method="POST",
        data=json.dumps({"username": username, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["token"]


def main():
    """Start the server, run schemathesis as each role, stop the server; return the exit code."""
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="doorstep-contract-"))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'contract.db'}",
        "PYTHONPATH": str(ROOT),
        "DOORSTEP_SECRET_KEY": os.environ.get("DOORSTEP_SECRET_KEY") or os.urandom(24).hex(),
        "DOORSTEP_PUBLIC_BASE_URL": base,
        # Thousands of requests from one address: the login limit is not what this run checks.
        "DOORSTEP_LOGIN_RATE_LIMIT": "100000/minute",
        "DOORSTEP_LOGIN_ACCOUNT_RATE_LIMIT": "100000/minute",
    }
    flask = [str(VENV_BIN / "flask"), "--app", "backend"]
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
    log = open(workdir / "server.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(flask + ["run", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        failed = 0
        for username in ("dispatcher", "tech"):
            print(f"== schemathesis as {username} ({MAX_EXAMPLES} examples per operation)", flush=True)
            result = subprocess.run(
                [
                    str(VENV_BIN / "schemathesis"),
                    "--config-file",
                    str(ROOT / "schemathesis.toml"),
                    "run",
                    f"{base}/api/v1/openapi.json",
                    "--max-examples",
                    str(MAX_EXAMPLES),
                    "-H",
                    f"Authorization: Bearer {_token(base, username)}",
                    "--workers",
                    "2",
                    "--seed",
                    "1",
                    "--no-color",
                    "--max-failures",
                    "50",
                ],
                cwd=workdir,
                env=env,
                timeout=900,
            )
            failed += result.returncode != 0
        return 1 if failed else 0
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


if __name__ == "__main__":
    sys.exit(main())
