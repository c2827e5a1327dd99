"""Forms are drawn only after the sync's write has committed, with no transaction held meanwhile.

Rendering takes a fifth of a second of CPU a form. While it runs, another technician's sync must
be able to write (on SQLite every transaction is BEGIN IMMEDIATE and holds the write lock), and
the finished visit must already be committed: readable from another connection.
"""

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.forms import jobs, services
from backend.forms.models import Form
from backend.jobs import run_worker
from backend.visits.models import Visit
from backend.workorders.models import WorkOrder

pytestmark = pytest.mark.committed


def _seen_from_another_connection(order_is) -> dict:
    """What a second database client sees and may do right now: the visit's end, and a write lock.

    `order_is` picks the work order (by id or by number).
    """
    with db.engine.connect() as other:
        sqlite = other.dialect.name == "sqlite"
        if sqlite:
            # On the driver's connection: SQLAlchemy would first begin (and wait for the lock).
            other.connection.dbapi_connection.execute("PRAGMA busy_timeout=0")  # fail at once, never wait
        try:
            with other.begin():  # SQLite: BEGIN IMMEDIATE, which needs the write lock
                order_id = other.scalar(select(WorkOrder.id).where(order_is))
                ended_at = other.scalar(select(Visit.ended_at).where(Visit.work_order_id == order_id))
                if not sqlite:
                    # The row the sync locks: another sync of this order can take it now.
                    other.execute(select(WorkOrder.id).where(WorkOrder.id == order_id).with_for_update(nowait=True))
            could_write = True
        except Exception as error:  # "database is locked" / "could not obtain lock"
            ended_at, could_write = None, f"{type(error).__name__}: {error}"
    return {"visit_ended_committed": ended_at is not None, "another_writer_could_write": could_write}


@pytest.fixture
def render_spy(monkeypatch):
    """Record, at every render, whether this session held a transaction and what others could do."""
    seen = []
    real_render = services.render_pdf

    def spy(form, lang="zh"):
        seen.append(
            {
                "work_order": form.work_order_number,
                "session_in_transaction": db.session().in_transaction(),
                **_seen_from_another_connection(WorkOrder.number == form.work_order_number),
            }
        )
        return real_render(form, lang)

    monkeypatch.setattr(services, "render_pdf", spy)
    return seen


EXPECTED = {"session_in_transaction": False, "visit_ended_committed": True, "another_writer_could_write": True}


def test_in_process_forms_render_after_the_sync_commits_holding_no_transaction(completed_order, render_spy):
    order = completed_order()  # syncs the whole visit; without Redis the forms are sealed right after
    order_id = order.id

    assert [entry["work_order"] for entry in render_spy] == [order.number, order.number]  # service, feedback
    for entry in render_spy:
        assert {key: entry[key] for key in EXPECTED} == EXPECTED
    kinds = db.session.scalars(select(Form.kind).where(Form.work_order_id == order_id)).all()
    assert sorted(kinds) == ["feedback", "service"]


def test_with_redis_the_job_is_queued_after_commit_and_a_worker_renders_outside_any_transaction(
    completed_order, render_spy, redis_queue, monkeypatch
):
    queued = []
    real_enqueue = jobs.enqueue

    def enqueue_spy(func, work_order_id):
        queued.append(_seen_from_another_connection(WorkOrder.id == work_order_id))
        return real_enqueue(func, work_order_id)

    monkeypatch.setattr(jobs, "enqueue", enqueue_spy)
    order = completed_order()

    # Queued once, when the visit was already committed and nobody held the write lock.
    assert queued == [{"visit_ended_committed": True, "another_writer_could_write": True}]
    assert render_spy == []  # the sync itself drew nothing
    assert db.session.scalars(select(Form).where(Form.work_order_id == order.id)).all() == []
    order_id = order.id
    db.session.close()  # this test's read transaction, like any other client's, ends before the worker runs

    run_worker(burst=True)

    assert len(render_spy) == 2
    for entry in render_spy:
        assert {key: entry[key] for key in EXPECTED} == EXPECTED
    kinds = db.session.scalars(select(Form.kind).where(Form.work_order_id == order_id)).all()
    assert sorted(kinds) == ["feedback", "service"]
