"""Messages to customers: composed with the booking, sent after its commit, through a real local HTTP gateway."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml
from sqlalchemy import select

from backend.booking import services as booking
from backend.extensions import db
from backend.messages.models import Message
from backend.messages.services import TEMPLATES_FILE, load_templates, send_message
from tests.factories import make_customer, make_order, window


@pytest.fixture
def dispatcher(make_user):
    return make_user("dispatcher")


@pytest.fixture
def technician(make_user):
    return make_user("technician", name="李明")


def _messages(order):
    return db.session.scalars(select(Message).where(Message.work_order_id == order.id).order_by(Message.id)).all()


def _book(dispatcher, technician, order, hour, **kw):
    starts, ends = window(hour)
    return booking.book(dispatcher, order.id, technician_id=technician.id, starts_at=starts, ends_at=ends, **kw)


def test_booking_tells_the_customer_by_surname_and_title_and_a_reschedule_tells_again(dispatcher, technician):
    order = make_order(dispatcher, make_customer(name="张三", title="先生", phones=["13912345678"]))
    _book(dispatcher, technician, order, 9)
    _book(dispatcher, technician, order, 14, requested_by="customer", reason="下午在家")
    booked, rescheduled = _messages(order)
    day = window(9)[0]
    assert booked.kind == "booked" and booked.to_phone == "13912345678"
    assert booked.text.startswith("【福建广电网络】张先生您好，您的工单")
    assert f"{day:%m月%d日} 09:00-10:00上门服务，维护员李明。" in booked.text
    assert "{" not in booked.text and "[" not in booked.text
    assert rescheduled.kind == "rescheduled" and "14:00-15:00" in rescheduled.text
    assert [m.status for m in (booked, rescheduled)] == ["recorded", "recorded"]  # the default sender


def test_a_customer_without_a_phone_gets_no_message_and_the_booking_stands(dispatcher, technician):
    order = make_order(dispatcher, make_customer(phones=[]))
    appointment = _book(dispatcher, technician, order, 9)
    assert appointment.status == "active" and _messages(order) == []


class Gateway:
    """A real SMS gateway double on a local port: answers each POST from a script of statuses."""

    def __init__(self, statuses):
        self.statuses, self.received = list(statuses), []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                gateway.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                body = json.dumps({"id": "gw-42"} if status == 200 else {"error": "busy"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def queued(app, dispatcher, technician, monkeypatch):
    """Return a message recorded but not yet sent (the job is run by the test)."""
    monkeypatch.setitem(app.config, "MESSAGE_SENDER", "http")
    monkeypatch.setattr("backend.messages.services.enqueue", lambda *args: None)
    order = make_order(dispatcher, make_customer(name="林小红", title="女士", phones=["13700001111"]))
    _book(dispatcher, technician, order, 9)
    (message,) = _messages(order)
    return message


def _send_through(app, monkeypatch, message, statuses):
    gateway = Gateway(statuses)
    monkeypatch.setitem(app.config, "SMS_GATEWAY_URL", gateway.url)
    waits = []
    try:
        status = send_message(message.id, sleep=waits.append)
    finally:
        gateway.close()
    return status, gateway.received, waits


def test_the_http_sender_retries_a_busy_gateway_and_records_its_id(app, monkeypatch, queued):
    status, received, waits = _send_through(app, monkeypatch, queued, [503, 200])
    assert status == "sent"
    assert [r["to"] for r in received] == ["13700001111", "13700001111"]
    assert received[0]["text"].startswith("【福建广电网络】林女士您好") and received[0]["ref"] == str(queued.id)
    assert waits == [1]  # one back-off, injected: the test does not wait
    message = db.session.get(Message, queued.id)
    assert (message.attempts, message.gateway_id, message.sent_at is not None) == (2, "gw-42", True)


def test_a_refusal_is_not_retried_and_says_why(app, monkeypatch, queued):
    status, received, _ = _send_through(app, monkeypatch, queued, [400])
    assert status == "failed" and len(received) == 1
    message = db.session.get(Message, queued.id)
    assert message.last_error.startswith("HTTP 400") and message.sent_at is None


def test_a_gateway_that_stays_down_fails_after_the_retries(app, monkeypatch, queued):
    status, received, waits = _send_through(app, monkeypatch, queued, [503, 503, 503, 503])
    assert status == "failed" and len(received) == 4 and waits == [1, 4, 15]
    assert send_message(queued.id) == "failed"  # a finished message is never sent twice


def test_an_unreachable_gateway_is_a_failure_not_a_crash(app, monkeypatch, queued):
    monkeypatch.setitem(app.config, "SMS_GATEWAY_URL", "http://127.0.0.1:9/sms")
    assert send_message(queued.id, sleep=lambda _: None) == "failed"
    assert "Error" in db.session.get(Message, queued.id).last_error


def test_a_template_with_a_hole_is_refused_at_start_naming_it(tmp_path):
    data = yaml.safe_load(TEMPLATES_FILE.read_text(encoding="utf-8"))
    data["templates"]["booked"] = "您好，维护员{technician}将上门"  # technician may be unknown: needs [ ]
    path = tmp_path / "templates.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="templates.booked"):
        load_templates(path)


def test_the_office_lists_messages_and_a_technician_may_not(client, make_user, auth_headers, dispatcher, technician):
    order = make_order(dispatcher, make_customer(phones=["13600000000"]))
    _book(dispatcher, technician, order, 9)
    response = client.get(f"/api/v1/messages?work_order_id={order.id}", headers=auth_headers(dispatcher))
    assert response.status_code == 200 and [m["kind"] for m in response.json] == ["booked"]
    assert client.get("/api/v1/messages", headers=auth_headers(technician)).status_code == 403


def test_the_list_shows_the_masked_phone_and_the_order_and_filters_by_order_number_and_status(
    client, auth_headers, dispatcher, technician
):
    order = make_order(dispatcher, make_customer(phones=["13612345678"]))
    other = make_order(dispatcher, make_customer(phones=["13700000000"]))
    _book(dispatcher, technician, order, 9)
    _book(dispatcher, technician, other, 11)
    headers = auth_headers(dispatcher)
    listed = client.get(f"/api/v1/messages?work_order_number={order.number.lower()}", headers=headers).json
    assert [(m["work_order_id"], m["work_order_number"], m["to_phone_masked"]) for m in listed] == [
        (order.id, order.number, "136****5678")
    ]
    status = listed[0]["status"]
    by_status = client.get(f"/api/v1/messages?status={status}", headers=headers).json
    assert {order.id, other.id} <= {m["work_order_id"] for m in by_status}
    assert client.get("/api/v1/messages?status=lost", headers=headers).status_code == 422
    assert client.get("/api/v1/messages?work_order_number=WO-NONE", headers=headers).json == []


def test_a_synced_late_notice_tells_the_customer_how_late(client, auth_headers, dispatcher, technician):
    import uuid
    from datetime import timedelta

    order = make_order(dispatcher, make_customer(name="王五", title="先生", phones=["13500000000"]))
    appointment = _book(dispatcher, technician, order, 9)
    op = {
        "op_id": str(uuid.uuid4()),
        "work_order_id": order.id,
        "type": "call.late_notice",
        "at": (appointment.starts_at - timedelta(minutes=10)).isoformat(),
        "data": {"reason": "前一单超时", "new_eta": (appointment.starts_at + timedelta(minutes=25)).isoformat()},
    }
    response = client.post("/api/v1/sync", json={"device_id": "p1", "ops": [op]}, headers=auth_headers(technician))
    assert response.json["results"][0]["status"] == "applied", response.json
    late = [m for m in _messages(order) if m.kind == "running_late"]
    assert [m.text for m in late] == [
        "【福建广电网络】王先生您好，维护员李明因故将晚到约25分钟，非常抱歉，感谢您的耐心等待。"
    ]
