"""A small fixed month of recorded visits, cases and return-visit calls, written row by row.

The rows are what the engine records (arrival class and lead, flags, compliance, ratings, MOT,
outcome); each test works its expected figures out by hand from the table in `november`.
"""

from datetime import datetime, timedelta

import pytest

from backend.aftercare.models import Complaint, ReturnVisitCall
from backend.customers.models import Customer
from backend.reports import rollups
from backend.timeutil import LOCAL_TZ
from backend.visits.models import Lead, Visit
from backend.workorders.models import WorkOrder
from tests.visits.conftest import as_sync_ops, make_order, technician, upload, whole_visit_ops  # noqa: F401

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=LOCAL_TZ)


def local(day, hour, minute=0):
    """Return an aware local time in November 2026 (day > 30 runs into December)."""
    return datetime(2026, 11, 1, hour, minute, tzinfo=LOCAL_TZ) + timedelta(days=day - 1)


class Month:
    """Builds customers, orders and visits; `orders[name]` and `visits[name]` name them as the test does."""

    def __init__(self, db, dispatcher):
        self.db, self.dispatcher = db, dispatcher
        self.customers, self.orders, self.visits = {}, {}, {}

    def order(self, name, customer, tech, branch="福州", area="鼓楼区", order_type="repair"):
        if customer not in self.customers:
            row = Customer(name=f"客户{customer}", phones=["13800000000"], address="福州市", branch=branch, area=area)
            self.db.session.add(row)
            self.db.session.flush()
            self.customers[customer] = row
        order = WorkOrder(
            number=f"WO-202611-{name}",
            type=order_type,
            customer_id=self.customers[customer].id,
            address="福州市",
            branch=branch,
            area=area,
            technician_id=tech.id,
            status="completed",
        )
        self.db.session.add(order)
        self.db.session.flush()
        self.orders[name] = order
        return order

    def visit(
        self,
        name,
        order,
        window,
        lead_minutes,
        outcome="completed",
        *,
        late_notice=False,
        overall=None,
        declined=False,
        mot=None,
        score=None,
        rules=None,
        leads=(),
        minutes=60,
    ):
        """Record an ended visit `lead_minutes` before its window (negative: late) lasting `minutes`."""
        order = self.orders[order]
        checked_in = window - timedelta(minutes=lead_minutes)
        arrival = "early" if lead_minutes >= 5 else "on_time" if lead_minutes >= 0 else "late"
        compliance = dict(rules or {})
        if arrival == "early":
            compliance["arrive.early_5_10_min"] = {"passed": 5 <= lead_minutes <= 10}
        ratings = None
        if overall is not None:
            ratings = dict.fromkeys(("overall", "punctuality", "attitude", "professionalism", "tidiness"), overall)
        if isinstance(mot, int):
            mot = dict.fromkeys(("call", "arrival", "communication", "operation"), mot)
        visit = Visit(
            work_order_id=order.id,
            technician_id=order.technician_id,
            flow_type=order.type,
            flow_version=1,
            window_starts_at=window,
            window_ends_at=window + timedelta(hours=2),
            started_at=checked_in - timedelta(minutes=20),
            checked_in_at=checked_in,
            arrival_class=arrival,
            arrival_lead_seconds=lead_minutes * 60,
            late_notice_at=window - timedelta(minutes=30) if late_notice else None,
            flags=["late_without_notice"] if arrival == "late" and not late_notice else [],
            ended_at=checked_in + timedelta(minutes=minutes),
            outcome=outcome,
            ratings=ratings,
            mot=mot,
            signature_declined_reason="赶时间" if declined else None,
            evaluated_at=checked_in + timedelta(minutes=minutes - 5) if (ratings or declined) else None,
            compliance=compliance,
            compliance_score=score,
        )
        self.db.session.add(visit)
        self.db.session.flush()
        for product, interest in leads:
            self.db.session.add(
                Lead(
                    visit_id=visit.id,
                    work_order_id=order.id,
                    customer_id=order.customer_id,
                    technician_id=order.technician_id,
                    product=product,
                    interest=interest,
                    created_at=visit.ended_at,
                )
            )
        self.visits[name] = visit
        return visit

    def case(self, order, opened, answered=None, kind="complaint"):
        self.db.session.add(
            Complaint(
                work_order_id=self.orders[order].id,
                kind=kind,
                channel="phone",
                description="投诉",
                opened_by_id=self.dispatcher.id,
                opened_at=opened,
                due_at=opened + timedelta(hours=3),
                answered_at=answered,
                answered_by_id=self.dispatcher.id if answered else None,
                status="answered" if answered else "open",
            )
        )

    def return_visit(self, order, called, satisfaction=None, resolved=None):
        reached = satisfaction is not None
        self.db.session.add(
            ReturnVisitCall(
                work_order_id=self.orders[order].id,
                caller_id=self.dispatcher.id,
                called_at=called,
                reached=reached,
                satisfaction=satisfaction,
                resolved=resolved,
                unreached_reason=None if reached else "no_answer",
            )
        )


@pytest.fixture
def november(db, make_user):
    """The month worked out by hand in tests/reports/test_service.py (see the table there)."""
    a = make_user("technician", name="林建华", employee_no="FZ9001", branch="福州")
    b = make_user("technician", name="吴国强", employee_no="XM9001", branch="厦门")
    m = Month(db, make_user("dispatcher"))
    m.a, m.b = a, b
    for name, customer in (("O1", 1), ("O2", 2), ("O3", 3), ("O4", 3), ("O5", 4), ("O6", 5), ("O7", 5)):
        m.order(name, customer, a)
    m.order("O8", 6, b, branch="厦门", area="思明区")
    broadband, iptv = "宽带提速", "IPTV"
    m.visit(
        "V1",
        "O1",
        local(2, 10),
        7,
        overall=5,
        mot={"call": 2, "arrival": 1, "communication": 3, "operation": 2},
        score=100,
        rules={"arrive.on_time": {"passed": True}, "help.proactive_help": {"status": "attested"}},
        leads=[(broadband, "high")],
    )
    m.visits["V1"].ratings = {**m.visits["V1"].ratings, "tidiness": 3}
    m.visit(
        "V2",
        "O2",
        local(3, 10),
        -15,
        "needs_revisit",
        late_notice=True,
        overall=3,
        mot=0,
        score=60,
        rules={"arrive.on_time": {"passed": False}, "help.proactive_help": {"status": "missed"}},
    )
    m.visit(
        "V3",
        "O2",
        local(5, 14),
        2,
        declined=True,
        score=90,
        rules={"arrive.on_time": {"status": "verified"}, "help.proactive_help": {"status": "attested"}},
    )
    m.visit(
        "V4",
        "O3",
        local(10, 9),
        -20,
        overall=2,
        mot=-3,
        score=50,
        rules={"arrive.on_time": {"passed": False}, "help.proactive_help": {"status": "not_applicable"}},
    )
    m.visit("V5", "O4", local(14, 10), 12, overall=4, mot=1, score=80, leads=[(broadband, "low"), (iptv, "high")])
    m.visit("V6", "O5", local(20, 10), 6, "no_access", score=0)
    m.visit("V7", "O5", local(21, 10), 8, overall=5, mot=3, score=100)
    m.visit("V8", "O6", local(22, 10), 3, overall=4, mot=2, score=100)
    m.visit("V9", "O7", local(30, 10), 5, overall=5, mot=2, score=90, leads=[(iptv, "high")])
    # 厦门: booked for 23:00 on the 30th, checked in 22:52, ended 00:42 on 1 December.
    m.visit("V10", "O8", local(30, 23), 8, overall=4, mot=2, score=100, minutes=110)
    m.case("O1", local(5, 10), answered=local(5, 12))
    m.case("O4", local(15, 10), answered=local(15, 14, 30))
    m.case("O8", local(29, 10), kind="query")
    m.return_visit("O1", local(4, 15), satisfaction=5, resolved=True)
    m.return_visit("O6", local(24, 15), satisfaction=3, resolved=True)
    m.return_visit("O7", local(30, 16))
    db.session.flush()
    rollups.rebuild(local(1, 0).date() - timedelta(days=40), local(1, 0).date() + timedelta(days=40))
    db.session.commit()
    return m
