"""Jobs run in-process by default and through Redis/RQ when REDIS_URL is set."""

import gc
import uuid

import pytest
from flask import current_app

from backend.jobs import enqueue, run_worker

RESULTS = []


def remember_app_name(tag):
    """A job that proves it ran inside the app context."""
    RESULTS.append((tag, current_app.name))
    return tag


def test_without_redis_the_job_runs_at_once(app):
    assert enqueue(remember_app_name, "inline") == "inline"
    assert ("inline", app.name) in RESULTS


def test_with_redis_a_worker_runs_the_queued_job(app, monkeypatch):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on localhost")
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setitem(app.config, "JOB_QUEUE_NAME", f"test-{uuid.uuid4().hex}")
    tag = uuid.uuid4().hex
    job = enqueue(remember_app_name, tag)
    assert (tag, app.name) not in RESULTS  # queued, not yet run
    run_worker(burst=True)
    assert (tag, app.name) in RESULTS
    job.refresh()
    assert job.get_status() == "finished"


def test_a_worker_loads_fonts_and_signer_before_its_first_job(app, monkeypatch):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on localhost")
    import backend.forms
    from backend.forms import render, seal

    # A fresh worker process: nothing loaded yet.
    monkeypatch.setattr(backend.forms, "_configured_for", None)
    monkeypatch.setattr(backend.forms, "_worker_prepared", False)
    monkeypatch.setattr(render, "_renderer", None)
    monkeypatch.setattr(seal, "_sealer", None)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setitem(app.config, "JOB_QUEUE_NAME", f"test-{uuid.uuid4().hex}")
    rendered = []
    real_render = render.Renderer.render_pdf
    monkeypatch.setattr(render.Renderer, "render_pdf", lambda self, *a: rendered.append(a) or real_render(self, *a))

    run_worker(burst=True)  # an empty queue: no job at all

    assert render._renderer is not None and seal.get_sealer().subject
    assert len(rendered) == 2  # the sample Service and Feedback Forms, drawn once at start-up
    run_worker(burst=True)
    assert len(rendered) == 2  # not again


def test_a_worker_sets_what_it_loaded_aside_from_the_garbage_collector(app, monkeypatch):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on localhost")
    import backend.jobs

    monkeypatch.setattr(backend.jobs, "_memory_settled", False)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setitem(app.config, "JOB_QUEUE_NAME", f"test-{uuid.uuid4().hex}")
    threshold = gc.get_threshold()
    try:
        run_worker(burst=True)
        assert gc.get_freeze_count() > 0  # the fonts, templates, signer and modules: never walked again
        assert gc.get_threshold() == backend.jobs.WORKER_GC_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
