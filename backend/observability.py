"""What an operator watches: JSON logs with a request id, Prometheus metrics, and /health.

Every request gets an id (the caller's `X-Request-ID` when it is sane, else a new one), echoed in
the response and carried by every log line written while serving it. `/metrics` is protected:
a manager's or admin's bearer token, or the configured `METRICS_TOKEN` (for the scraper).
With several gunicorn workers set `PROMETHEUS_MULTIPROC_DIR` so the counters add up across them.
"""

import collections
import hmac
import json
import logging
import os
import re
import time
import uuid

from flask import Blueprint, Response, current_app, g, has_request_context, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import inspect as sa_inspect

from backend.extensions import db
from backend.timeutil import utcnow

log = logging.getLogger(__name__)
bp = Blueprint("operations", __name__)

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
METRICS_ROLES = ("manager", "admin")
SLOW_REQUEST_SECONDS = 1.0

disable_created_metrics()  # the *_created series only double what a scraper stores

HTTP_REQUESTS = Counter("doorstep_http_requests_total", "HTTP requests answered", ["method", "endpoint", "status"])
HTTP_DURATION = Histogram(
    "doorstep_http_request_duration_seconds",
    "Time to answer a request",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SYNC_OPS = Counter("doorstep_sync_ops_total", "Sync ops answered, by result", ["status", "code"])
JOB_FAILURES = Counter("doorstep_job_failures_total", "Background jobs that raised", ["job"])


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and the exception."""

    def format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        for key in ("method", "path", "status", "duration_ms", "user_id"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being served, if any."""

    def filter(self, record):
        if not hasattr(record, "request_id") and has_request_context():
            record.request_id = g.get("request_id")
        return True


def configure_logging(app):
    """Send the app's logs to stderr as JSON lines (`LOG_FORMAT=text` for a developer's terminal)."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if app.config.get("LOG_FORMAT", "json") == "json":
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
        handler.addFilter(_default_request_id)
    root = logging.getLogger("backend")
    for old in [h for h in root.handlers if getattr(h, "_doorstep", False)]:
        root.removeHandler(old)
    handler._doorstep = True
    root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))


def _default_request_id(record):
    if not getattr(record, "request_id", None):
        record.request_id = "-"
    return True


def record_sync_results(results):
    """Count a sync batch's per-op results (applied, duplicate, conflict, rejected, with the code)."""
    tally = collections.Counter((result.get("status", "unknown"), result.get("code") or "") for result in results)
    for labels, count in tally.items():
        SYNC_OPS.labels(*labels).inc(count)


def record_job_failure(job_name):
    """Count a background job that raised."""
    JOB_FAILURES.labels(job_name).inc()


def _begin_request():
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _user_id(user):
    """Return the request's user's id from the identity the session keeps.

    After a commit the user's attributes are expired, and reading `user.id` would reload the row:
    one more query on every request that wrote.
    """
    if user is None:
        return None
    identity = sa_inspect(user).identity
    return identity[0] if identity else None


def _end_request(response):
    started = g.get("request_started")
    endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
    if started is not None:
        elapsed = time.perf_counter() - started
        HTTP_REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        HTTP_DURATION.labels(endpoint).observe(elapsed)
        user = g.get("current_user")
        # Every request is in gunicorn's access log; ours adds the request id and the user for the
        # slow and the failed ones, without a line per request on the hot path.
        level = logging.WARNING if response.status_code >= 500 or elapsed >= SLOW_REQUEST_SECONDS else logging.DEBUG
        log.log(
            level,
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 1),
                "user_id": _user_id(user),
            },
        )
    if g.get("request_id"):
        response.headers[REQUEST_ID_HEADER] = g.request_id
    return response


def _redis_queue():
    """Return the RQ queue when Redis is configured, else None."""
    redis_url = current_app.config.get("REDIS_URL")
    if not redis_url:
        return None
    from rq import Queue

    from backend.jobs import redis_connection

    return Queue(current_app.config["JOB_QUEUE_NAME"], connection=redis_connection(redis_url, timeout=1))


def queue_status() -> dict:
    """Report the job queue: in-process, or Redis reachable with its depth and failed jobs."""
    queue = _redis_queue()
    if queue is None:
        return {"backend": "in-process", "ok": True}
    try:
        return {"backend": "redis", "ok": True, "queued": queue.count, "failed": queue.failed_job_registry.count}
    except Exception as error:  # an unreachable Redis is a health finding, not a crash
        return {"backend": "redis", "ok": False, "error": type(error).__name__}


def sealing_status() -> dict:
    """Report the finished visits still waiting for sealed forms and how long the oldest waited."""
    from backend.forms.services import sealing_backlog

    backlog = sealing_backlog()
    oldest = backlog["oldest_ended_at"]
    age = None
    if oldest is not None:
        if oldest.tzinfo is None:  # SQLite hands back naive UTC
            oldest = oldest.replace(tzinfo=utcnow().tzinfo)
        age = max(0, round((utcnow() - oldest).total_seconds()))
    return {"visits_waiting": backlog["visits"], "oldest_waiting_seconds": age}


class _BacklogCollector:
    """Read the sealing backlog and the queue at scrape time (always current, nothing to update)."""

    def collect(self):
        sealing = sealing_status()
        yield GaugeMetricFamily(
            "doorstep_sealing_backlog_visits", "Finished visits without sealed forms", value=sealing["visits_waiting"]
        )
        yield GaugeMetricFamily(
            "doorstep_sealing_backlog_oldest_seconds",
            "Age of the oldest finished visit without sealed forms",
            value=sealing["oldest_waiting_seconds"] or 0,
        )
        queue = queue_status()
        if queue["backend"] == "redis" and queue["ok"]:
            yield GaugeMetricFamily("doorstep_job_queue_depth", "Jobs waiting in the queue", value=queue["queued"])
            yield GaugeMetricFamily("doorstep_job_queue_failed", "Jobs in RQ's failed registry", value=queue["failed"])


def _metrics_allowed():
    expected = current_app.config.get("METRICS_TOKEN")
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    if expected and hmac.compare_digest(token.strip().encode(), str(expected).encode()):
        return True
    from backend.auth.services import user_from_token
    from backend.errors import DomainError

    try:
        return user_from_token(token.strip()).role in METRICS_ROLES
    except DomainError:
        return False


def _registry():
    """The process's metrics, or every worker's when PROMETHEUS_MULTIPROC_DIR is set."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in (HTTP_REQUESTS, HTTP_DURATION, SYNC_OPS, JOB_FAILURES):
            registry.register(metric)
    registry.register(_BacklogCollector())
    return registry


@bp.get("/metrics")
def metrics():
    """Prometheus metrics: requests, sync ops by result, sealing backlog, queue, job failures."""
    if not _metrics_allowed():
        return jsonify(
            code="unauthorized",
            status=401,
            message="Send a manager's or admin's token, or the metrics token, as a bearer token.",
        ), 401
    return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)


@bp.get("/health")
def health():
    """Report the database, the job queue, the sealing backlog and whether forms will render fast."""
    from backend.forms import health as forms_health

    try:
        db.session.execute(db.text("SELECT 1"))
    except Exception as error:  # the load balancer must see an unhealthy server, not a 500 page
        db.session.rollback()
        log.exception("health: the database does not answer")
        return jsonify(status="down", database={"ok": False, "error": type(error).__name__}), 503
    forms = forms_health()
    queue = queue_status()
    ready = forms["harfbuzz_subset"] and not forms["subset_fonts_missing"] and queue["ok"]
    return jsonify(
        status="ok" if ready else "degraded",
        database=db.engine.dialect.name,
        queue=queue,
        sealing=sealing_status(),
        forms=forms,
    )


def init_app(app):
    """Install the request id, the logs, the request metrics and the /health and /metrics routes."""
    configure_logging(app)
    app.before_request(_begin_request)
    app.after_request(_end_request)
    app.register_blueprint(bp)
