"""What an operator sees: request ids, JSON log lines, /metrics (protected), /health's queue and backlog."""

import json
import logging
import re
from datetime import timedelta

import pytest

from backend.observability import JsonLogFormatter, RequestIdFilter
from backend.timeutil import utcnow
from backend.visits.models import Visit
from tests.factories import make_order


def _metric(text, name, **labels):
    """Return the value of one sample in a Prometheus text exposition, or None."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" ([0-9.e+]+)"
    match = re.search(r"^" + pattern + r"$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


def test_every_response_carries_a_request_id_and_a_sane_one_is_kept(client):
    generated = client.get("/health").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get("/health", headers={"X-Request-ID": "lb-7f3a9c21"}).headers["X-Request-ID"] == "lb-7f3a9c21"
    forged = client.get("/health", headers={"X-Request-ID": "<script>alert(1)</script>"}).headers["X-Request-ID"]
    assert forged != "<script>alert(1)</script>" and re.fullmatch(r"[0-9a-f]{32}", forged)


def test_log_lines_are_json_with_the_request_id(app):
    record = logging.LogRecord("backend.visits.sync", logging.WARNING, __file__, 1, "op %s refused", ("7",), None)
    with app.test_request_context("/api/v1/sync"):
        from flask import g

        g.request_id = "req-12345678"
        RequestIdFilter().filter(record)
    line = json.loads(JsonLogFormatter().format(record))
    assert line["message"] == "op 7 refused" and line["level"] == "WARNING"
    assert line["request_id"] == "req-12345678" and line["logger"] == "backend.visits.sync"


def test_metrics_need_a_manager_admin_or_the_scraper_token(app, client, make_user, auth_headers, monkeypatch):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=auth_headers(make_user("technician"))).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer forged"}).status_code == 401
    response = client.get("/metrics", headers=auth_headers(make_user("manager")))
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "doorstep_http_requests_total" in response.text
    assert _metric(response.text, "doorstep_sealing_backlog_visits") is not None
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-me-0123456789")
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"}).status_code == 200


def test_sync_ops_are_counted_by_result(client, make_user, auth_headers):
    manager = auth_headers(make_user("manager"))
    before = (
        _metric(
            client.get("/metrics", headers=manager).text,
            "doorstep_sync_ops_total",
            status="rejected",
            code="validation_error",
        )
        or 0
    )
    technician = make_user("technician")
    body = {
        "device_id": "phone-1",
        "ops": [
            {
                "op_id": "7a1f0c52-1b7e-4c1a-9d2e-3f4a5b6c7d8e",
                "work_order_id": 1,
                "type": "arrive.teleport",
                "at": utcnow().isoformat(),
                "data": {},
            }
        ],
    }
    response = client.post("/api/v1/sync", json=body, headers=auth_headers(technician))
    assert response.status_code == 200, response.get_json()
    after = _metric(
        client.get("/metrics", headers=manager).text,
        "doorstep_sync_ops_total",
        status="rejected",
        code="validation_error",
    )
    assert after == before + 1


def test_health_reports_the_sealing_backlog_and_its_oldest_visit(client, db, make_user):
    dispatcher = make_user("dispatcher")
    technician = make_user("technician")
    order = make_order(dispatcher)
    ended = utcnow() - timedelta(minutes=10)
    db.session.add(
        Visit(
            work_order_id=order.id,
            technician_id=technician.id,
            flow_type="repair",
            flow_version=1,
            started_at=ended - timedelta(minutes=40),
            ended_at=ended,
            outcome="completed",
        )
    )
    db.session.commit()
    sealing = client.get("/health").get_json()["sealing"]
    assert sealing["visits_waiting"] == 1
    assert 590 <= sealing["oldest_waiting_seconds"] <= 900


def test_health_is_degraded_when_redis_is_configured_but_unreachable(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    body = client.get("/health").get_json()
    assert body["status"] == "degraded"
    assert body["queue"]["backend"] == "redis" and body["queue"]["ok"] is False


def test_health_reports_the_queue_depth_of_a_reachable_redis(app, client, monkeypatch):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on localhost")
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setitem(app.config, "JOB_QUEUE_NAME", "doorstep-health-test")
    queue = client.get("/health").get_json()["queue"]
    assert queue == {"backend": "redis", "ok": True, "queued": 0, "failed": 0}


def test_a_request_that_committed_logs_its_user_without_loading_them_again(app, db, make_user, caplog):
    from flask import Response, g
    from sqlalchemy import event

    from backend.observability import _begin_request, _end_request

    user = make_user("technician")
    statements = []
    with app.test_request_context("/api/v1/sync", method="POST"):
        _begin_request()
        g.current_user = user
        db.session.expire(user)  # as after the view's commit
        engine = db.session.get_bind()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            with caplog.at_level(logging.DEBUG, logger="backend.observability"):
                _end_request(Response(status=200))
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    assert statements == []
    assert [r.user_id for r in caplog.records if r.name == "backend.observability"] == [user.id]
