"""Plain builders for customers, work orders and appointment windows (customers, work orders, booking tests)."""

from datetime import datetime, time, timedelta
from itertools import count

from backend.customers.models import Customer
from backend.extensions import db
from backend.timeutil import LOCAL_TZ, local_today
from backend.workorders.services import create_order

_numbers = count(1)


def make_customer(**fields) -> Customer:
    """Create and commit a customer in Fuzhou unless told otherwise."""
    n = next(_numbers)
    fields.setdefault("name", f"陈{n}")
    fields.setdefault("phones", [f"1385000{n:04d}"])
    fields.setdefault("address", f"福州市鼓楼区五四路{n}号")
    fields.setdefault("account_no", f"FZ{n:08d}")
    fields.setdefault("area", "鼓楼区")
    fields.setdefault("branch", "福州")
    customer = Customer(**fields)
    db.session.add(customer)
    db.session.commit()
    return customer


def make_order(actor, customer=None, **fields):
    """Open a work order through the service (as `actor`, a dispatcher)."""
    customer = customer or make_customer()
    fields.setdefault("type", "repair")
    return create_order(actor, {"customer_id": customer.id, **fields})


def local_at(hour, minute=0, *, days_ahead=1) -> datetime:
    """Return an aware local time on a day `days_ahead` from today (tomorrow by default)."""
    day = local_today() + timedelta(days=days_ahead)
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)


def window(hour, minute=0, *, hours=1, days_ahead=1) -> tuple[datetime, datetime]:
    """Return a (start, end) window of `hours` starting at the local time given."""
    start = local_at(hour, minute, days_ahead=days_ahead)
    return start, start + timedelta(hours=hours)
