"""A sealing job that failed leaves the visit without forms; `flask forms seal-pending` repairs it."""

from sqlalchemy import select

from backend.forms import services
from backend.forms.cli import seal_pending_command
from backend.forms.models import Form


def test_forms_left_unsealed_by_a_failed_job_are_sealed_later(app, completed_order, monkeypatch, db):
    def broken_renderer(*args, **kwargs):
        raise RuntimeError("renderer down")

    monkeypatch.setattr(services, "render_pdf", broken_renderer)
    order = completed_order()  # the visit syncs fine; its sealing job fails and is logged
    assert order.status == "completed"
    assert db.session.scalars(select(Form).where(Form.work_order_id == order.id)).all() == []
    assert order.id in services.orders_awaiting_forms()

    monkeypatch.undo()
    result = app.test_cli_runner().invoke(seal_pending_command)
    assert result.exit_code == 0, result.output
    kinds = {form.kind for form in db.session.scalars(select(Form).where(Form.work_order_id == order.id))}
    assert kinds == {"service", "feedback"}
    assert order.id not in services.orders_awaiting_forms()


def test_nothing_pending_when_every_finished_visit_has_its_forms(completed_order):
    order = completed_order()
    assert order.id not in services.orders_awaiting_forms()
