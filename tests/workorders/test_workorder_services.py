import re
from datetime import UTC, datetime

import pytest

from backend.booking.services import book
from backend.errors import InvalidInput
from backend.extensions import db
from backend.workorders import services
from backend.workorders.statemachine import IllegalTransition
from tests.factories import make_customer, make_order, window


def test_numbers_are_readable_and_count_per_local_day(make_user):
    dispatcher = make_user("dispatcher")
    first, second = make_order(dispatcher), make_order(dispatcher)
    assert re.fullmatch(r"WO-\d{8}-\d{4}", first.number)
    assert int(second.number[-4:]) == int(first.number[-4:]) + 1
    # 23:30 UTC is already the next day in Fujian: the number carries the local date.
    assert services.next_number(datetime(2030, 3, 4, 23, 30, tzinfo=UTC)) == "WO-20300305-0001"
    assert services.next_number(datetime(2030, 3, 4, 23, 31, tzinfo=UTC)) == "WO-20300305-0002"


def test_new_order_takes_the_customers_address_and_records_who_opened_it(make_user):
    dispatcher = make_user("dispatcher")
    customer = make_customer(address="厦门市思明区湖滨南路1号", area="思明区", branch="厦门")
    order = make_order(dispatcher, customer, description="机顶盒无信号")
    assert (order.address, order.area, order.branch) == ("厦门市思明区湖滨南路1号", "思明区", "厦门")
    assert order.status == "new"
    assert [(c.from_status, c.to_status, c.actor_id) for c in order.history] == [(None, "new", dispatcher.id)]


def test_unknown_customer_is_invalid_input(make_user):
    with pytest.raises(InvalidInput) as raised:
        services.create_order(make_user("dispatcher"), {"customer_id": 999999, "type": "repair"})
    assert raised.value.code == "unknown_customer"


def test_phone_guidance_needs_a_verified_customer_and_closes_the_order_when_solved(make_user):
    dispatcher = make_user("dispatcher")
    order = make_order(dispatcher)
    with pytest.raises(InvalidInput) as raised:
        services.record_phone_guidance(dispatcher, order, customer_verified=False, resolved=True)
    assert raised.value.code == "customer_not_verified"
    services.record_phone_guidance(dispatcher, order, customer_verified=True, resolved=False, notes="重启无效")
    assert order.status == "new"
    services.record_phone_guidance(dispatcher, order, customer_verified=True, resolved=True, notes="重新插线后恢复")
    assert order.status == "resolved_by_phone"
    assert order.history[-1].reason == "重新插线后恢复"
    assert len(services.order_detail(order).phone_guidance) == 2


def test_cancelling_frees_the_appointment(make_user):
    dispatcher, technician = make_user("dispatcher"), make_user("technician")
    order = make_order(dispatcher)
    starts, ends = window(10)
    appointment = book(dispatcher, order.id, technician_id=technician.id, starts_at=starts, ends_at=ends)
    services.change_status(dispatcher, order, "cancelled", "客户取消")
    assert order.status == "cancelled" and appointment.status == "cancelled"
    with pytest.raises(IllegalTransition):
        services.change_status(dispatcher, order, "en_route")


def test_order_detail_leaves_room_for_the_visit_record(make_user):
    order = services.order_detail(make_order(make_user("dispatcher")))
    assert order.visit is None or isinstance(order.visit, dict)
    assert order.allowed_statuses == ["cancelled", "resolved_by_phone", "scheduled"]
    db.session.rollback()
