"""Fixtures for visits: a scheduled order with an appointment, uploads, and a whole visit as ops."""

import io
import itertools
import uuid
from datetime import datetime, timedelta

import pytest
from PIL import Image

from backend.booking.models import Appointment
from backend.customers.models import Customer
from backend.timeutil import LOCAL_TZ
from backend.visits.attachments import store_attachment
from backend.visits.definitions import STEP_IDS, flow_step, get_flow
from backend.workorders.models import WorkOrder

# The appointment window of the test visits starts at 10:00 local time.
WINDOW_START = datetime(2026, 11, 23, 10, 0, tzinfo=LOCAL_TZ)
# The new time agreed when work is left unfixed: two days later, two hours.
REVISIT = {
    "start": (WINDOW_START + timedelta(days=2)).isoformat(),
    "end": (WINDOW_START + timedelta(days=2, hours=2)).isoformat(),
}


def image_bytes(kind: str, colour=(30, 90, 160), size=(16, 12)) -> bytes:
    """Return a small real image in a Pillow format (PNG, JPEG, WEBP): uploads are decoded whole."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, kind)
    return buffer.getvalue()


PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")
_numbers = itertools.count(1)


@pytest.fixture
def technician(make_user):
    return make_user("technician", name="王明", employee_no=f"E{uuid.uuid4().hex[:8]}")


@pytest.fixture
def make_order(db, technician):
    """Create a scheduled work order with an active appointment; returns the order."""

    def make(order_type="install", starts_at=WINDOW_START, tech=None, status="scheduled"):
        tech = tech or technician
        n = next(_numbers)
        customer = Customer(
            name="张三",
            title="先生",
            phones=["13800000000"],
            address="福州市鼓楼区五四路1号",
            branch="福州",
            area="鼓楼",
        )
        order = WorkOrder(
            number=f"WO-T{uuid.uuid4().hex[:6]}-{n:04d}",
            type=order_type,
            customer=customer,
            address=customer.address,
            branch="福州",
            technician_id=tech.id,
            status=status,
            description="安装机顶盒" if order_type == "install" else "无信号",
        )
        db.session.add(order)
        db.session.flush()
        db.session.add(
            Appointment(
                work_order_id=order.id,
                technician_id=tech.id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=2),
                status="active",
            )
        )
        db.session.commit()
        return order

    return make


@pytest.fixture
def upload(db):
    """Store an image for a user; returns its uuid."""

    def do_upload(user, data=PNG):
        attachment, _ = store_attachment(str(uuid.uuid4()), data, user)
        return attachment.id

    return do_upload


@pytest.fixture
def new_attachment(upload, technician):
    """Store an image for the technician; returns its uuid."""
    return lambda **kw: upload(technician, **kw)


def _answer(item, new_attachment):
    kind = item["kind"]
    if kind == "check":
        return True
    if kind == "text":
        return "机顶盒无信号，重启无效"
    if kind == "number":
        return 1
    if kind == "choice":
        return item["choices"][0]["id"]
    return new_attachment()


def whole_visit_ops(order_type, new_attachment, *, arrive_minutes_early=7, result="fixed"):
    """Return the ops of a whole visit that follows the standard: [{type, at, data}]."""
    flow = get_flow(order_type)
    ops = []
    clock = iter(WINDOW_START - timedelta(minutes=arrive_minutes_early) + timedelta(minutes=i) for i in range(1000))

    def add(op_type, data=None, at=None):
        ops.append({"type": op_type, "at": at or next(clock), "data": data or {}})

    def answer_all(step):
        for item in flow_step(flow, step)["checklist"]:
            add("checklist.answer", {"step": step, "item": item["id"], "value": _answer(item, new_attachment)})

    day_before = iter(WINDOW_START - timedelta(days=1) + timedelta(seconds=i) for i in range(100))
    add(
        "call.attempt",
        {
            "outcome": "reached",
            "window": {"start": WINDOW_START.isoformat(), "end": (WINDOW_START + timedelta(hours=2)).isoformat()},
            "fault_description": "无信号",
        },
        at=next(day_before),
    )
    for step in STEP_IDS:
        if step == "call":
            for item in flow_step(flow, step)["checklist"]:
                add(
                    "checklist.answer",
                    {"step": step, "item": item["id"], "value": _answer(item, new_attachment)},
                    at=next(day_before),
                )
            add("step.complete", {"step": step}, at=next(day_before))
            continue
        if step == "arrive":
            add("arrive.checkin", {"lat": 26.08, "lng": 119.30, "accuracy_m": 12})
        answer_all(step)
        if step == "communicate":
            add(
                "communicate.record",
                {
                    "customer_description": "电视没有信号",
                    "customer_style": "owl",
                    "needs": ["information", "emotional"],
                },
            )
        elif step == "operate":
            add("attachment.link", {"attachment_id": new_attachment(), "step": "operate", "kind": "photo"})
            add(
                "operate.record",
                {
                    "work_kinds": ["equipment_replacement"],
                    "equipment_swaps": [
                        {
                            "kind": "set_top_box",
                            "old_serial": "STB-OLD-1",
                            "new_serial": "STB-NEW-2",
                            "in_warranty": True,
                        }
                    ],
                    "materials": [{"name": "F头", "qty": 2}],
                    "fees": [{"tariff_code": "F_CONNECTOR", "qty": 2}, {"tariff_code": "COAX_CABLE", "qty": 5}],
                    "result": result,
                    **({} if result == "fixed" else {"revisit": REVISIT}),
                    "notes": "更换机顶盒",
                    "technician_signature_attachment_id": new_attachment(data=PNG),
                },
            )
        elif step == "evaluate":
            add(
                "evaluate.submit",
                {
                    "ratings": {"overall": 5, "punctuality": 5, "attitude": 5, "professionalism": 4, "tidiness": 5},
                    "mot": {"call": 2, "arrival": 1, "communication": 3, "operation": 2},
                    "comments": "很满意",
                    "signature_attachment_id": new_attachment(data=PNG),
                },
            )
        elif step == "help":
            add(
                "help.record",
                {
                    "checks": ["other_tv_ok"],
                    "leads": [{"product": "broadband_upgrade", "interest": "high", "notes": "想升级到500M"}],
                    "leaflet_given": True,
                },
            )
        add("step.complete", {"step": step})
    add("visit.complete")
    return ops


def as_sync_ops(order, ops):
    """Turn engine ops into sync ops for `order`, each with a fresh op_id."""
    return [
        {
            "op_id": str(uuid.uuid4()),
            "work_order_id": order.id,
            "type": op["type"],
            "at": op["at"].isoformat(),
            "data": op["data"],
        }
        for op in ops
    ]


def knocking_ops(start, rounds=6, every=30, call_after=185):
    """Return the knock rounds every `every` s from `start` (004: a round every 30 s for 3 minutes),
    then an unanswered call `call_after` s after the first: [{type, at, data}]."""
    ops = [
        {"type": "arrive.knock", "at": start + timedelta(seconds=i * every), "data": {"round": i + 1}}
        for i in range(rounds)
    ]
    if call_after is not None:
        ops.append(
            {"type": "call.attempt", "at": start + timedelta(seconds=call_after), "data": {"outcome": "no_answer"}}
        )
    return ops
