"""Outside debug and tests the app refuses to start without a secret key and a public address.

The public default key let anyone mint an admin's token, and the default public address baked
http://127.0.0.1:5000 into every signing link and sealed form a customer received.
"""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from backend import create_app
from backend.config import ConfigurationError, public_base_url

ROOT = Path(__file__).resolve().parents[1]
OLD_PUBLIC_KEY = "dev-only-change-me"


@pytest.fixture
def bare_environment(monkeypatch):
    """Remove every setting a developer's shell might carry, so only the test's config counts."""
    for name in list(os.environ):
        if name.startswith("DOORSTEP_") or name == "FLASK_DEBUG":
            monkeypatch.delenv(name)


def _app(**config):
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", **config})


def test_production_refuses_to_start_without_a_secret_key_and_says_how_to_make_one(bare_environment):
    with pytest.raises(ConfigurationError) as refused:
        _app(PUBLIC_BASE_URL="https://service.example.com")
    message = str(refused.value)
    assert "DOORSTEP_SECRET_KEY" in message and "secrets.token_hex(32)" in message
    assert "PUBLIC_BASE_URL" not in message


def test_production_refuses_to_start_without_a_public_address(bare_environment):
    with pytest.raises(ConfigurationError) as refused:
        _app(SECRET_KEY="k" * 64)
    assert "DOORSTEP_PUBLIC_BASE_URL=https://" in str(refused.value)


def test_a_configured_server_name_is_the_public_address(bare_environment):
    app = _app(SECRET_KEY="k" * 64, SERVER_NAME="service.example.com", PREFERRED_URL_SCHEME="https")
    with app.app_context():
        assert public_base_url() == "https://service.example.com"


def test_the_command_line_refuses_too_and_names_the_setting(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOORSTEP_") and k != "FLASK_DEBUG"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.db'}"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("flask")), "--app", "backend", "db", "current"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "Doorstep will not start without" in done.stderr and "DOORSTEP_SECRET_KEY" in done.stderr


def test_a_debug_run_without_a_key_gets_a_random_one_not_a_public_default(bare_environment):
    first, second = _app(DEBUG=True), _app(DEBUG=True)
    keys = {first.config["SECRET_KEY"], second.config["SECRET_KEY"]}
    assert len(keys) == 2 and OLD_PUBLIC_KEY not in keys
    assert all(len(key) == 64 for key in keys)


def test_make_keeps_one_demo_key_and_does_not_replace_it(tmp_path):
    key_file = tmp_path / "instance" / "secret_key"

    def make():
        subprocess.run(
            ["make", "-s", f"SECRET_FILE={key_file}", str(key_file)], cwd=ROOT, check=True, capture_output=True
        )
        return key_file.read_text().strip()

    first = make()
    assert len(first) == 64 and int(first, 16)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert make() == first
