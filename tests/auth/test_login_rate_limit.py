"""Only logging in is rate-limited (password guessing); other calls are not counted.

The test app runs with the limiter off, so this runs a limited app in its own process.
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import json, sys
    import flask_migrate
    from backend import create_app
    from backend.auth.services import create_user
    from backend.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1], "SECRET_KEY": "s", "PUBLIC_BASE_URL": "http://t",
                      "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3/minute"})
    with app.app_context():
        flask_migrate.upgrade()
        create_user("zheng", "correct-horse-9", "technician")
        db.session.commit()
    client = app.test_client()
    def login(password):
        return client.post("/api/v1/auth/login", json={"username": "zheng", "password": password})
    token = login("correct-horse-9").get_json()["token"]
    me = [client.get("/api/v1/me", headers={"Authorization": "Bearer " + token}).status_code for _ in range(10)]
    logins = [login("wrong-password").status_code for _ in range(2)]
    refused = login("correct-horse-9")
    print(json.dumps({"me": me, "logins": logins, "refused": [refused.status_code, refused.get_json()["code"]]}))
""")


def test_fourth_login_in_a_minute_is_refused_while_other_calls_go_on(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "limited.db")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["me"] == [200] * 10
    assert result["logins"] == [401, 401]
    assert result["refused"] == [429, "rate_limited"]
