from datetime import timedelta

from sqlalchemy import func, select

from backend.auth.models import User
from backend.booking.models import Appointment
from backend.booking.services import agenda
from backend.customers.models import Customer
from backend.extensions import db
from backend.timeutil import local_today
from backend.workorders.models import STATUSES, WorkOrder


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_demo_is_realistic_and_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--orders", "120"])
    assert first.exit_code == 0, first.output
    assert "demo1234" in first.output and "dispatcher" in first.output and "technician" in first.output
    counts = (_count(User), _count(Customer), _count(WorkOrder), _count(Appointment))
    second = runner.invoke(args=["seed-demo", "--orders", "120"])
    assert second.exit_code == 0, second.output
    assert (_count(User), _count(Customer), _count(WorkOrder), _count(Appointment)) == counts
    assert counts[2] == 120

    assert set(db.session.scalars(select(WorkOrder.status).distinct())) == set(STATUSES)
    assert set(db.session.scalars(select(Customer.branch).distinct())) == {"福州", "厦门", "泉州"}
    assert all(c.name and "市" in c.address for c in db.session.scalars(select(Customer).limit(20)))
    technician = db.session.scalar(select(User).where(User.username == "tech"))
    assert technician.employee_no and technician.skills
    today = agenda(technician, local_today())
    assert len(today["visits"]) >= 4
    days = {a.starts_at.date() for a in db.session.scalars(select(Appointment))}
    assert max(days) - min(days) >= timedelta(days=6)


def test_no_technician_is_double_booked(app):
    app.test_cli_runner().invoke(args=["seed-demo", "--orders", "150"])
    appointments = db.session.scalars(
        select(Appointment)
        .where(Appointment.status != "superseded")
        .order_by(Appointment.technician_id, Appointment.starts_at)
    ).all()
    for before, after in zip(appointments, appointments[1:], strict=False):
        if before.technician_id == after.technician_id:
            assert after.starts_at >= before.ends_at + timedelta(minutes=30)


def test_if_empty_leaves_a_database_with_accounts_alone(app, make_user):
    make_user("admin", username="someone")
    result = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0 and "skipped" in result.output
    assert _count(WorkOrder) == 0


def test_seed_demo_gives_the_console_cases_answered_overdue_and_open(app):
    from backend.aftercare.models import Complaint

    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo", "--orders", "60"]).exit_code == 0
    assert runner.invoke(args=["seed-demo", "--orders", "60"]).exit_code == 0  # no second set
    cases = db.session.scalars(select(Complaint).order_by(Complaint.id)).all()
    assert [(c.kind, c.status) for c in cases] == [("complaint", "answered"), ("complaint", "open"), ("query", "open")]
    assert cases[0].answered_late is False
    assert cases[1].escalated_to is not None and cases[1].escalated_to.role == "manager"
    assert cases[2].escalated_at is None and cases[2].work_order_id is None
