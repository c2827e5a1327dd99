"""Jobs run in-process by default and through Redis/RQ when REDIS_URL is set."""

import gc
import logging
import uuid

from flask import current_app

from backend.jobs import enqueue, queued_together, redis_connection, run_logged, run_worker

RESULTS = []


def remember_app_name(tag):
    """A job that proves it ran inside the app context."""
    RESULTS.append((tag, current_app.name))
    return tag


def test_without_redis_the_job_runs_at_once(app):
    assert enqueue(remember_app_name, "inline") == "inline"
    assert ("inline", app.name) in RESULTS


def test_with_redis_a_worker_runs_the_queued_job(app, redis_queue):
    tag = uuid.uuid4().hex
    job = enqueue(remember_app_name, tag)
    assert (tag, app.name) not in RESULTS  # queued, not yet run
    run_worker(burst=True)
    assert (tag, app.name) in RESULTS
    job.refresh()
    assert job.get_status() == "finished"


def test_jobs_queued_together_reach_redis_at_the_end_of_the_block_and_all_run(app, redis_queue):
    from rq import Queue

    queue = Queue(app.config["JOB_QUEUE_NAME"], connection=redis_connection(app.config["REDIS_URL"]))
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    with queued_together():
        assert enqueue(remember_app_name, first) is None
        with queued_together():  # an inner block joins the outer one
            enqueue(remember_app_name, second)
        assert queue.count == 0  # nothing sent yet
    assert queue.count == 2
    run_worker(burst=True)
    assert (first, app.name) in RESULTS and (second, app.name) in RESULTS


def test_without_redis_jobs_queued_together_run_where_they_are_enqueued(app):
    tag = uuid.uuid4().hex
    with queued_together():
        assert enqueue(remember_app_name, tag) == tag
        assert (tag, app.name) in RESULTS


def test_a_worker_loads_fonts_and_signer_before_its_first_job(app, redis_queue, monkeypatch):
    import backend.forms
    from backend.forms import render, seal

    # A fresh worker process: nothing loaded yet.
    monkeypatch.setattr(backend.forms, "_configured_for", None)
    monkeypatch.setattr(backend.forms, "_worker_prepared", False)
    monkeypatch.setattr(render, "_renderer", None)
    monkeypatch.setattr(seal, "_sealer", None)
    rendered = []
    real_render = render.Renderer.render_pdf
    monkeypatch.setattr(render.Renderer, "render_pdf", lambda self, *a: rendered.append(a) or real_render(self, *a))

    run_worker(burst=True)  # an empty queue: no job at all

    assert render._renderer is not None and seal.get_sealer().subject
    assert len(rendered) == 2  # the sample Service and Feedback Forms, drawn once at start-up
    run_worker(burst=True)
    assert len(rendered) == 2  # not again


def test_a_worker_sets_what_it_loaded_aside_from_the_garbage_collector(app, redis_queue, monkeypatch):
    import backend.jobs

    monkeypatch.setattr(backend.jobs, "_memory_settled", False)
    threshold = gc.get_threshold()
    try:
        run_worker(burst=True)
        assert gc.get_freeze_count() > 0  # the fonts, templates, signer and modules: never walked again
        assert gc.get_threshold() == backend.jobs.WORKER_GC_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def fail_on_purpose(tag):
    """A job that raises, as a render or a rollup refresh can."""
    RESULTS.append((tag, "tried"))
    raise RuntimeError(f"broken {tag}")


def run_failing(tag):
    return run_logged("test_failing", fail_on_purpose, tag)


def _failures_counted():
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("doorstep_job_failures_total", {"job": "test_failing"}) or 0


def test_in_process_a_failing_job_is_logged_and_counted_and_the_caller_goes_on(app, caplog):
    before = _failures_counted()
    with caplog.at_level(logging.ERROR, logger="backend.jobs"):
        assert enqueue(run_failing, "inline-failure") is None
    assert ("inline-failure", "tried") in RESULTS
    assert _failures_counted() == before + 1
    assert any("test_failing" in r.getMessage() and r.exc_info for r in caplog.records)


def test_on_a_worker_a_failing_job_is_counted_and_recorded_failed_by_rq(app, redis_queue):
    before = _failures_counted()
    tag = uuid.uuid4().hex
    job = enqueue(run_failing, tag)
    run_worker(burst=True)
    assert (tag, "tried") in RESULTS
    job.refresh()
    assert job.get_status() == "failed"
    assert _failures_counted() == before + 1
