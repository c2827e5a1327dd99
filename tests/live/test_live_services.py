"""Live visits: where each of today's visits stands, the standard's alerts, and the change cursor."""

import uuid
from datetime import datetime, timedelta

import pytest

from backend.booking.models import Appointment
from backend.customers.models import Customer
from backend.extensions import db
from backend.live.services import cursor, live_day, wait_for_change
from backend.timeutil import LOCAL_TZ
from backend.visits.models import SyncOp, Visit, VisitEvent
from backend.workorders.models import WorkOrder

NOW = datetime(2026, 12, 3, 10, 30, tzinfo=LOCAL_TZ)


@pytest.fixture
def book(make_user):
    technician = make_user("technician", name="李明")

    def make(
        hour, status="scheduled", *, name="张三", title="先生", appointment_status="active", days=0, branch="福州"
    ):
        customer = Customer(name=name, title=title, phones=["13800000000"], address="福州市鼓楼区五四路1号")
        order = WorkOrder(
            number=f"WO-L{uuid.uuid4().hex[:8]}",
            type="repair",
            customer=customer,
            address=customer.address,
            branch=branch,
            technician_id=technician.id,
            status=status,
        )
        db.session.add(order)
        db.session.flush()
        starts = NOW.replace(hour=hour, minute=0) + timedelta(days=days)
        appointment = Appointment(
            work_order_id=order.id,
            technician_id=technician.id,
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            status=appointment_status,
        )
        db.session.add(appointment)
        db.session.commit()
        return order

    make.technician = technician
    return make


def _visit(order, technician, **fields):
    visit = Visit(work_order_id=order.id, technician_id=technician.id, flow_type="repair", flow_version=1, **fields)
    db.session.add(visit)
    db.session.commit()
    return visit


def _by_number(day):
    return {entry["work_order"]["number"]: entry for entry in day["visits"]}


def test_a_started_window_with_nobody_checked_in_is_flagged_late_without_notice(book):
    order = book(10)  # started 30 minutes ago
    entry = _by_number(live_day(NOW.date(), now=NOW))[order.number]
    assert entry["visit"] is None
    assert entry["alerts"] == ["no_checkin", "late_without_notice"]
    assert entry["customer"] == "张先生"


def test_a_late_notice_clears_the_late_alert_but_not_the_missing_check_in(book):
    order = book(10, "en_route")
    _visit(order, book.technician, late_notice_at=NOW - timedelta(minutes=5), late_notice={"reason": "堵车"})
    entry = _by_number(live_day(NOW.date(), now=NOW))[order.number]
    assert entry["alerts"] == ["no_checkin"]
    assert entry["visit"]["late_notice"] is True


def test_a_visit_in_progress_shows_its_step_and_arrival_and_raises_nothing(book):
    order = book(10, "on_site")
    _visit(
        order,
        book.technician,
        checked_in_at=NOW.replace(hour=9, minute=52),
        arrival_class="early",
        completed_steps=["call", "arrive"],
    )
    entry = _by_number(live_day(NOW.date(), now=NOW))[order.number]
    assert entry["visit"]["current_step"] == "communicate"
    assert entry["visit"]["arrival_class"] == "early"
    assert entry["alerts"] == []


def test_a_late_arrival_without_notice_and_no_access_are_flagged(book):
    late = book(9, "on_site")
    _visit(late, book.technician, checked_in_at=NOW.replace(hour=9, minute=20), arrival_class="late")
    nobody = book(8, "no_access")
    day = _by_number(live_day(NOW.date(), now=NOW))
    assert day[late.number]["alerts"] == ["late_without_notice"]
    assert day[nobody.number]["alerts"] == ["no_access"]


def test_only_the_days_active_appointments_of_the_branch_are_on_the_board(book):
    today = book(11)
    book(11, days=1)
    book(12, appointment_status="cancelled")
    book(13, branch="厦门")
    day = live_day(NOW.date(), now=NOW, branch="福州")
    assert [entry["work_order"]["number"] for entry in day["visits"]] == [today.number]
    assert day["visits"][0]["alerts"] == []  # 11:00 has not started yet


def test_each_technicians_last_sync_is_shown(book):
    book(11)
    for minutes in (40, 5):
        db.session.add(
            SyncOp(
                op_id=str(uuid.uuid4()),
                body_hash="x",
                user_id=book.technician.id,
                device_id="phone-1",
                type="arrive.checkin",
                received_at=NOW - timedelta(minutes=minutes),
            )
        )
    db.session.commit()
    (technician,) = live_day(NOW.date(), now=NOW)["technicians"]
    assert technician["name"] == "李明"
    assert technician["last_sync_at"] == NOW - timedelta(minutes=5)


def test_the_cursor_moves_when_a_step_syncs_and_a_waiting_console_learns_of_it(book):
    order = book(10)
    since = cursor()
    assert wait_for_change(since, wait_seconds=0) == {"cursor": since, "changed": False}

    def a_step_syncs_while_waiting(_seconds):
        db.session.add(VisitEvent(work_order_id=order.id, type="step.complete", payload={"step": "call"}))
        db.session.commit()

    answer = wait_for_change(since, wait_seconds=10, sleep=a_step_syncs_while_waiting)
    assert answer["changed"] is True and answer["cursor"] != since
