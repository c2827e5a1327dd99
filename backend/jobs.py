"""Background jobs: in-process on one machine, RQ workers on Redis when REDIS_URL is set.

Rendering and sealing forms is the main job; the same function runs either way, so a province
deployment only changes configuration.
"""

import contextlib
import functools
import gc
import logging

from flask import current_app, g

log = logging.getLogger(__name__)

# A form's render allocates about a million short-lived objects. With Python's default collector
# (a young collection every 700 allocations, and the older ones walking every object the process
# holds: modules, fonts, templates, the signer) a worker spent ~23 ms of each form collecting.
WORKER_GC_THRESHOLD = (10_000, 10, 10)
_memory_settled = False


def _settle_memory() -> None:
    """Once a worker has loaded what it keeps, set that aside from the collector and collect less often.

    gc.freeze() moves every object alive now to a generation no collection walks (they live as
    long as the process anyway); what jobs allocate afterwards is collected as before.
    """
    global _memory_settled
    if _memory_settled:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(*WORKER_GC_THRESHOLD)
    _memory_settled = True


@functools.lru_cache(maxsize=8)
def redis_connection(url: str, timeout: float | None = None):
    """Return this process's Redis client for `url`, its connection pool reused by every caller.

    A client made per job opened a TCP connection and read redis-py's package metadata each
    time (several ms per sync ending a visit). redis-py resets a pool inherited through fork.
    """
    from redis import Redis

    return Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)


def enqueue(func, *args, **kwargs):
    """Run `func(*args, **kwargs)` now, or queue it for an RQ worker when Redis is configured.

    Inside `queued_together()` a queued job is sent with the others when the block ends, and
    this returns None.
    """
    redis_url = current_app.config.get("REDIS_URL")
    if not redis_url:
        return func(*args, **kwargs)
    from rq import Queue

    batch = g.get("queued_jobs")
    if batch is not None:
        batch.append(Queue.prepare_data(func, args, kwargs))
        return None
    return _send([Queue.prepare_data(func, args, kwargs)], redis_url)[0]


@contextlib.contextmanager
def queued_together():
    """Send every job enqueued in the block to Redis in one round trip when it ends (RQ's enqueue_many).

    A sync that ends a visit queues its forms' sealing and its figures' refresh: one pipeline
    instead of one for each. Without Redis the jobs still run at once, each where it is enqueued.
    """
    if g.get("queued_jobs") is not None:  # inside another block: its end sends these too
        yield
        return
    g.queued_jobs = batch = []
    try:
        yield
    finally:
        g.pop("queued_jobs")
    if batch:
        _send(batch, current_app.config["REDIS_URL"])


def _send(prepared, redis_url):
    from rq import Queue

    queue = Queue(current_app.config["JOB_QUEUE_NAME"], connection=redis_connection(redis_url))
    jobs = queue.enqueue_many(prepared)
    for job in jobs:
        log.info("queued %s as job %s", job.func_name, job.id)
    return jobs


def run_logged(job_name: str, func, *args):
    """Run a job's work; a failure is rolled back, logged and counted as `job_name`.

    On a worker the failure is re-raised so RQ records it. In-process the caller's own
    transaction has already committed and its request must still answer, so it returns None.
    """
    from rq import get_current_job

    from backend.extensions import db
    from backend.observability import record_job_failure

    try:
        return func(*args)
    except Exception:
        db.session.rollback()
        log.exception("job %s%r failed", job_name, args)
        record_job_failure(job_name)
        if get_current_job() is not None:
            raise
        return None


def run_worker(burst=False):
    """Process queued jobs, each inside the app context; with `burst`, stop when the queue is empty."""
    from rq import Queue, SimpleWorker

    from backend.forms import prepare_worker

    app = current_app._get_current_object()
    connection = redis_connection(app.config["REDIS_URL"])
    prepare_worker(app)
    _settle_memory()

    # SimpleWorker runs jobs in this process, so the fonts and signer loaded above stay warm
    # (rq's default Worker forks a fresh process per job, which would load them every time).
    class AppContextWorker(SimpleWorker):
        def perform_job(self, *args, **kwargs):
            with app.app_context():
                return super().perform_job(*args, **kwargs)

    queue = Queue(app.config["JOB_QUEUE_NAME"], connection=connection)
    return AppContextWorker([queue], connection=connection).work(burst=burst)
