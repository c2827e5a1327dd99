"""Shared fixtures: one app per run on a migrated database, each test in a rolled-back transaction.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
Tests that need data other threads can see (parallel requests) mark themselves
`@pytest.mark.committed`: they get real commits and the tables are emptied afterwards.
"""

import os
import tempfile
import uuid

import flask
import flask_migrate
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy import orm

from backend import create_app
from backend.auth.services import create_user, issue_token
from backend.extensions import db as _db

PASSWORD = "correct-horse-9"


def pytest_configure(config):
    config.addinivalue_line("markers", "committed: the test commits for real (threads); tables are emptied after")


def _fresh_database_url(tmp_dir):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return "sqlite:///" + os.path.join(tmp_dir, "test.db")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def app():
    """Return the app on a database built by running the migrations."""
    with tempfile.TemporaryDirectory() as tmp_dir:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test-secret",
                "SQLALCHEMY_DATABASE_URI": _fresh_database_url(tmp_dir),
                "RATELIMIT_ENABLED": False,
                "PUBLIC_BASE_URL": "http://doorstep.test",
            }
        )
        with app.app_context():
            flask_migrate.upgrade()
        yield app
        with app.app_context():
            _db.engine.dispose()


@pytest.fixture(autouse=True)
def db(app, request):
    """Give each test an app context and a session whose work is rolled back afterwards."""
    with app.app_context():
        if request.node.get_closest_marker("committed"):
            yield _db
            _db.session.remove()
            _empty_all_tables()
            return
        connection = _db.engine.connect()
        outer = connection.begin()
        scoped = orm.scoped_session(orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
        original, _db.session = _db.session, scoped
        try:
            yield _db
        finally:
            scoped.remove()
            _db.session = original
            outer.rollback()
            connection.close()


def _empty_all_tables():
    with _db.engine.begin() as connection:
        for table in reversed(_db.metadata.sorted_tables):
            connection.execute(table.delete())


class FreshRequestClient(FlaskClient):
    """A test client whose every request starts with an empty `g`.

    The tests keep one app context open (to call services directly), and Flask reuses it for
    requests; in production each request has its own, so nothing cached on `g` (the user, the
    locale) may leak from one request into the next here either.
    """

    def open(self, *args, **kwargs):
        flask.g._get_current_object().__dict__.clear()
        return super().open(*args, **kwargs)


TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_queue(app, monkeypatch):
    """Point the app's jobs at the local Redis and a queue of this test's own; skip without Redis."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(TEST_REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on localhost")
    monkeypatch.setitem(app.config, "REDIS_URL", TEST_REDIS_URL)
    monkeypatch.setitem(app.config, "JOB_QUEUE_NAME", f"test-{uuid.uuid4().hex}")


@pytest.fixture
def client(app):
    app.test_client_class = FreshRequestClient
    return app.test_client()


@pytest.fixture
def make_user(db):
    """Create users: make_user("dispatcher", username="d1", ...); password is PASSWORD."""
    counter = iter(range(1, 10_000))

    def make(role="technician", **fields):
        n = next(counter)
        fields.setdefault("username", f"{role}{n}")
        fields.setdefault("name", f"{role.title()} {n}")
        if role == "technician":
            fields.setdefault("employee_no", f"T{os.getpid() % 1000:03d}{n:04d}")
            fields.setdefault("branch", "福州")
        user = create_user(fields.pop("username"), PASSWORD, role, **fields)
        db.session.commit()
        return user

    return make


@pytest.fixture
def auth_headers():
    """Return the Authorization header for a user."""

    def headers(user):
        return {"Authorization": f"Bearer {issue_token(user)}"}

    return headers


@pytest.fixture
def login():
    """Log in through the API and return the response JSON."""

    def do_login(client, username, password=PASSWORD):
        return client.post("/api/v1/auth/login", json={"username": username, "password": password})

    return do_login
