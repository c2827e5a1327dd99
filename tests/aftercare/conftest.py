"""Fixtures for after-visit work: call-centre staff and orders completed at a chosen time."""

import itertools
import uuid
from datetime import datetime

import pytest

from backend.customers.models import Customer
from backend.timeutil import LOCAL_TZ
from backend.workorders.models import WorkOrder
from backend.workorders.statemachine import transition

# A Monday afternoon in Fuzhou; the queue of the next day holds what was completed on it.
COMPLETED = datetime(2026, 11, 23, 15, 0, tzinfo=LOCAL_TZ)
_numbers = itertools.count(1)


@pytest.fixture
def dispatcher(make_user):
    return make_user("dispatcher", name="林静", employee_no="KF0107", branch="福州")


@pytest.fixture
def manager(make_user):
    return make_user("manager", name="陈主管")


@pytest.fixture
def technician(make_user):
    return make_user("technician", name="王明", employee_no=f"E{uuid.uuid4().hex[:6]}", branch="福州")


@pytest.fixture
def completed_order(db, technician):
    """Create a work order that its technician completed at `at` (aware); returns the order."""

    def make(at=COMPLETED, *, customer_name="张伟", title="先生", branch="鼓楼"):
        n = next(_numbers)
        customer = Customer(
            name=customer_name,
            title=title,
            phones=[f"1385000{n:04d}"],
            address=f"福州市鼓楼区五四路{n}号",
            branch="福州",
            area="鼓楼区",
        )
        order = WorkOrder(
            number=f"WO-A{uuid.uuid4().hex[:6]}-{n:04d}",
            type="repair",
            customer=customer,
            address=customer.address,
            branch=branch,
            technician_id=technician.id,
            status="on_site",
            description="无信号",
        )
        db.session.add(order)
        db.session.flush()
        change = transition(order, "completed", technician, "visit complete")
        change.at = at
        db.session.commit()
        return order

    return make


def statuses(order) -> list[str]:
    """Return the statuses an order went through, in order."""
    return [change.to_status for change in sorted(order.history, key=lambda change: change.id)]
