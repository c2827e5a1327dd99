"""Login throttling: per address and per account, Retry-After, trusted proxies only when configured, Redis counters.

The suite's app runs with the limiter off; these tests bind the one limiter to apps of their own
(on the suite's database session) and give it back, disabled, afterwards.
"""

import uuid

import pytest
import redis

from backend import create_app
from backend.extensions import limiter
from tests.conftest import PASSWORD, FreshRequestClient

REDIS_URL = "redis://127.0.0.1:6379/15"  # a database of its own, emptied of this run's keys after
PREFIX = f"doorstep-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def limited(app):
    """Return make(name, **config): the app `name` (one app server) with the limiter on and bound to it."""
    made = {}

    def make(name, *, fresh=True, **config):
        settings = {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_KEY_PREFIX": PREFIX,
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOGIN_RATE_LIMIT": "100/minute",
            "LOGIN_ACCOUNT_RATE_LIMIT": "100/minute",
            **config,
        }
        if name in made:
            made[name].config.update(settings)
            limiter.init_app(made[name])  # bind the one limiter to this app's storage again
        else:
            made[name] = create_app(settings)
            made[name].test_client_class = FreshRequestClient
        if fresh:
            limiter.reset()
        return made[name].test_client()

    yield make
    limiter.init_app(app)  # the suite's app: limiter disabled again
    connection = redis.Redis.from_url(REDIS_URL)
    for key in connection.scan_iter(f"*{PREFIX}*"):
        connection.delete(key)


def _login(client, username, password="wrong-password-1", address="10.0.0.1", **headers):
    return client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def _retry_after(response):
    assert response.status_code == 429, response.get_json()
    assert response.get_json()["code"] == "rate_limited"
    return int(response.headers["Retry-After"])


def test_failed_attempts_on_one_account_are_limited_across_addresses(limited, make_user):
    client = limited("memory", LOGIN_ACCOUNT_RATE_LIMIT="3/minute")
    make_user("technician", username="zheng")
    make_user("technician", username="lin")
    answers = [_login(client, "zheng", address=f"10.0.0.{i}").status_code for i in range(1, 4)]
    assert answers == [401, 401, 401]
    refused = _login(client, "ZHENG", address="10.0.0.9")  # another address, the same account
    assert 1 <= _retry_after(refused) <= 60
    assert _retry_after(_login(client, "zheng", PASSWORD, address="10.0.0.10")) >= 1  # even the right password
    assert _login(client, "lin", PASSWORD, address="10.0.0.1").status_code == 200  # other accounts go on


def test_attempts_from_one_address_are_limited_across_accounts(limited, make_user):
    client = limited("memory", LOGIN_RATE_LIMIT="4/minute")
    make_user("dispatcher", username="wang")
    answers = [_login(client, f"user{i}", address="10.1.1.1").status_code for i in range(4)]
    assert answers == [401] * 4
    assert 1 <= _retry_after(_login(client, "wang", PASSWORD, address="10.1.1.1")) <= 60
    assert _login(client, "wang", PASSWORD, address="10.1.1.2").status_code == 200  # another address goes on


def test_correct_passwords_do_not_use_up_the_account_limit(limited, make_user, auth_headers):
    client = limited("memory", LOGIN_ACCOUNT_RATE_LIMIT="2/minute")
    user = make_user("manager", username="hong")
    assert [_login(client, "hong", PASSWORD).status_code for _ in range(5)] == [200] * 5
    me = [client.get("/api/v1/me", headers=auth_headers(user)).status_code for _ in range(10)]
    assert me == [200] * 10  # only logging in is counted


def test_retry_after_is_the_rest_of_the_window(limited, make_user):
    client = limited("memory", LOGIN_RATE_LIMIT="1/hour")
    make_user("technician", username="cai")
    assert _login(client, "cai").status_code == 401
    wait = _retry_after(_login(client, "cai"))
    assert 60 < wait <= 3600


def test_forwarded_for_is_trusted_only_behind_a_configured_proxy(limited, make_user):
    # No trusted proxy (the default): the header is anyone's to send, so it is ignored.
    client = limited("memory", LOGIN_RATE_LIMIT="2/minute")
    answers = [_login(client, "x", address="10.2.0.1", **{"X-Forwarded-For": f"1.2.3.{i}"}) for i in range(3)]
    assert [a.status_code for a in answers[:2]] == [401, 401]
    _retry_after(answers[2])
    # One trusted proxy: each client behind it has its own bucket, the proxy does not share one.
    client = limited("proxy", LOGIN_RATE_LIMIT="2/minute", TRUSTED_PROXY_HOPS=1)
    proxy = "10.3.0.1"
    spread = [_login(client, "x", address=proxy, **{"X-Forwarded-For": f"1.2.3.{i}"}).status_code for i in range(5)]
    assert spread == [401] * 5
    one = [_login(client, "x", address=proxy, **{"X-Forwarded-For": "9.9.9.9"}) for _ in range(3)]
    assert [a.status_code for a in one[:2]] == [401, 401]
    _retry_after(one[2])
    # Only the hop the proxy appended is trusted: a client cannot forge its way into a fresh bucket.
    _retry_after(_login(client, "x", address=proxy, **{"X-Forwarded-For": "7.7.7.7, 9.9.9.9"}))


def test_counters_live_in_redis_when_redis_is_configured(limited, make_user):
    connection = redis.Redis.from_url(REDIS_URL)
    redis_config = {"RATELIMIT_STORAGE_URI": None, "REDIS_URL": REDIS_URL, "LOGIN_RATE_LIMIT": "3/minute"}
    client = limited("server-a", fresh=False, **redis_config)  # keys of this run only: nothing to reset
    assert [_login(client, "x", address="10.4.0.1").status_code for _ in range(2)] == [401, 401]
    assert any(PREFIX in key.decode() for key in connection.scan_iter("*")), "no counter in Redis"
    other = limited("server-b", fresh=False, **redis_config)  # another app server, its own memory

    assert _login(other, "x", address="10.4.0.1").status_code == 401
    _retry_after(_login(other, "x", address="10.4.0.1"))


def test_wrong_old_passwords_count_against_the_account_like_failed_logins(limited, make_user, auth_headers):
    client = limited("memory", LOGIN_ACCOUNT_RATE_LIMIT="3/minute")
    headers = auth_headers(make_user("technician", username="guo"))
    change = {"old_password": "guess-one-1", "new_password": "tide-lantern-47"}
    assert _login(client, "guo").status_code == 401  # one failed login on the account
    guesses = [client.post("/api/v1/me/password", json=change, headers=headers).status_code for _ in range(2)]
    assert guesses == [422, 422]
    assert _retry_after(client.post("/api/v1/me/password", json=change, headers=headers)) >= 1
    assert _retry_after(_login(client, "guo", PASSWORD, address="10.9.9.9")) >= 1
