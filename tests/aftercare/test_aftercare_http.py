"""The call centre's endpoints for return visits and complaints, over HTTP."""

from datetime import datetime, timedelta

import pytest

from backend.aftercare import services
from backend.timeutil import utcnow
from tests.aftercare.conftest import COMPLETED


@pytest.fixture
def as_dispatcher(auth_headers, dispatcher):
    return auth_headers(dispatcher)


def test_queue_lists_due_orders_with_customer_and_attempts(client, as_dispatcher, completed_order):
    order = completed_order(COMPLETED)
    not_yet = completed_order(COMPLETED + timedelta(days=1))
    response = client.get("/api/v1/return-visits?due=2026-11-24", headers=as_dispatcher)
    assert response.status_code == 200
    rows = {row["work_order"]["id"]: row for row in response.json}
    assert order.id in rows and not_yet.id not in rows
    row = rows[order.id]
    assert row["customer"]["addressed_as"] == "张先生"
    assert (row["due_on"], row["attempts"], row["last_attempt"]) == ("2026-11-24", 0, None)
    assert row["technician"]["name"] == "王明"
    assert "X-Pagination" in response.headers


def test_queue_defaults_to_today(client, as_dispatcher, completed_order):
    order = completed_order(utcnow() - timedelta(days=2))
    response = client.get("/api/v1/return-visits", headers=as_dispatcher)
    assert order.id in [row["work_order"]["id"] for row in response.json]


def test_the_sheet_shows_the_script(client, as_dispatcher, completed_order):
    order = completed_order()
    body = client.get(f"/api/v1/work-orders/{order.id}/return-visit", headers=as_dispatcher).json
    assert [step["id"] for step in body["script"]][:2] == ["confirm_identity", "introduce"]
    assert "张先生" in body["script"][0]["text"]["zh"]
    assert "KF0107" in body["script"][1]["text"]["zh"]
    assert body["awaiting_return_visit"] is True


def test_a_reached_call_closes_the_order(client, as_dispatcher, dispatcher, completed_order):
    order = completed_order()
    response = client.post(
        f"/api/v1/work-orders/{order.id}/return-visit",
        headers=as_dispatcher,
        json={"reached": True, "satisfaction": 5, "resolved": True, "notes": "满意"},
    )
    assert response.status_code == 201
    body = response.json
    assert body["work_order"]["status"] == "closed"
    assert body["call"]["caller"]["id"] == dispatcher.id
    assert (body["call"]["satisfied"], body["call"]["order_status_after"]) == (True, "closed")
    assert body["calls"][-1]["id"] == body["call"]["id"]
    assert body["script"]  # the questions stay on screen
    detail = client.get(f"/api/v1/work-orders/{order.id}", headers=as_dispatcher).json
    assert detail["history"][-1]["to_status"] == "closed"


def test_an_unreached_call_keeps_the_order_in_the_queue(client, as_dispatcher, completed_order):
    order = completed_order()
    response = client.post(
        f"/api/v1/work-orders/{order.id}/return-visit",
        headers=as_dispatcher,
        json={"reached": False, "unreached_reason": "busy"},
    )
    assert response.status_code == 201
    assert response.json["work_order"]["status"] == "completed"
    rows = client.get("/api/v1/return-visits?due=2026-11-24", headers=as_dispatcher).json
    row = next(r for r in rows if r["work_order"]["id"] == order.id)
    assert (row["attempts"], row["last_attempt"]["unreached_reason"]) == (1, "busy")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "reached"),
        ({"reached": True, "satisfaction": 6, "resolved": True}, "satisfaction"),
        ({"reached": True, "satisfaction": "5", "resolved": True}, "satisfaction"),
        ({"reached": False, "unreached_reason": "asleep"}, "unreached_reason"),
        ({"reached": False, "unreached_reason": "busy", "notes": "x" * 2001}, "notes"),
        ({"reached": True, "resolved": True}, "satisfaction"),  # consistent only with a rating
        ({"reached": False}, "unreached_reason"),
    ],
)
def test_bad_return_visit_input_names_the_field(client, as_dispatcher, completed_order, body, field):
    order = completed_order()
    response = client.post(f"/api/v1/work-orders/{order.id}/return-visit", headers=as_dispatcher, json=body)
    assert response.status_code == 422
    assert field in response.json["errors"]["json"]


def test_return_visit_on_an_order_not_completed_is_a_conflict(client, as_dispatcher, completed_order):
    order = completed_order()
    ok = {"reached": True, "satisfaction": 4, "resolved": True}
    client.post(f"/api/v1/work-orders/{order.id}/return-visit", headers=as_dispatcher, json=ok)
    response = client.post(f"/api/v1/work-orders/{order.id}/return-visit", headers=as_dispatcher, json=ok)
    assert (response.status_code, response.json["code"]) == (409, "not_awaiting_return_visit")


def test_return_visit_on_a_missing_order(client, as_dispatcher):
    response = client.post(
        "/api/v1/work-orders/999999/return-visit",
        headers=as_dispatcher,
        json={"reached": False, "unreached_reason": "busy"},
    )
    assert response.status_code == 404


def test_complaint_opens_due_in_three_hours(client, as_dispatcher, dispatcher, completed_order):
    order = completed_order()
    before = utcnow()
    response = client.post(
        "/api/v1/complaints",
        headers=as_dispatcher,
        json={"work_order_id": order.id, "channel": "phone", "description": "维护员态度差"},
    )
    assert response.status_code == 201
    body = response.json
    assert (body["status"], body["overdue"], body["work_order"]["id"]) == ("open", False, order.id)
    assert body["opened_by"]["id"] == dispatcher.id
    due_at = datetime.fromisoformat(body["due_at"])
    assert before + timedelta(hours=3) - timedelta(seconds=5) <= due_at <= utcnow() + timedelta(hours=3)


def test_overdue_filter_and_flag(client, as_dispatcher, dispatcher, completed_order):
    order = completed_order()
    # Opened four hours ago (the clock is injected into the service): past its three hours.
    stale = services.open_complaint(
        dispatcher, work_order_id=order.id, channel="phone", description="没人回电话", now=utcnow() - timedelta(hours=4)
    )
    fresh = services.open_complaint(dispatcher, work_order_id=order.id, channel="wechat", description="收费有疑问")
    overdue = client.get("/api/v1/complaints?overdue=true", headers=as_dispatcher).json
    assert [c["id"] for c in overdue] == [stale.id]
    assert overdue[0]["overdue"] is True
    listed = {c["id"]: c for c in client.get("/api/v1/complaints", headers=as_dispatcher).json}
    assert (listed[stale.id]["overdue"], listed[fresh.id]["overdue"]) == (True, False)
    assert list(listed) == [stale.id, fresh.id]  # soonest due first
    single = client.get(f"/api/v1/complaints/{stale.id}", headers=as_dispatcher).json
    assert single["overdue"] is True


def test_answer_then_resolve(client, as_dispatcher, auth_headers, manager, completed_order):
    order = completed_order()
    opened = client.post(
        "/api/v1/complaints",
        headers=as_dispatcher,
        json={"work_order_id": order.id, "channel": "visit", "description": "地上留了脚印"},
    ).json
    answered = client.post(
        f"/api/v1/complaints/{opened['id']}/answer", headers=auth_headers(manager), json={"notes": "已致电道歉"}
    )
    assert answered.status_code == 200
    assert (answered.json["status"], answered.json["answered_by"]["id"]) == ("answered", manager.id)
    assert answered.json["answered_late"] is False
    again = client.post(f"/api/v1/complaints/{opened['id']}/answer", headers=as_dispatcher, json={"notes": "x"})
    assert (again.status_code, again.json["code"]) == (409, "already_answered")
    resolved = client.post(
        f"/api/v1/complaints/{opened['id']}/resolve", headers=as_dispatcher, json={"notes": "上门清洁，客户接受"}
    )
    assert (resolved.status_code, resolved.json["status"]) == (200, "resolved")
    assert resolved.json["resolution_notes"] == "上门清洁，客户接受"


def test_notes_may_start_with_a_space_but_not_be_blank(client, as_dispatcher, completed_order):
    # The not-blank check once matched only at the start, refusing "  已致电道歉" as blank.
    opened = client.post(
        "/api/v1/complaints",
        headers=as_dispatcher,
        json={"work_order_id": completed_order().id, "channel": "visit", "description": "  地上留了脚印"},
    )
    assert opened.status_code == 201, opened.json
    answer = f"/api/v1/complaints/{opened.json['id']}/answer"
    blank = client.post(answer, headers=as_dispatcher, json={"notes": " \n\t "})
    assert (blank.status_code, list(blank.json["errors"]["json"])) == (422, ["notes"])
    answered = client.post(answer, headers=as_dispatcher, json={"notes": "  已致电道歉"})
    assert answered.status_code == 200, answered.json


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "phone", "description": "x"}, "contact_phone"),  # no order: say who to call back
        ({"channel": "phone", "description": "x", "kind": "rumour"}, "kind"),
        ({"work_order_id": 1, "channel": "phone", "description": "x", "contact_phone": "call me"}, "contact_phone"),
        ({"work_order_id": "1", "channel": "phone", "description": "x"}, "work_order_id"),
        ({"work_order_id": 1, "channel": "pigeon", "description": "x"}, "channel"),
        ({"work_order_id": 1, "channel": "phone", "description": "   "}, "description"),
        ({"work_order_id": 1, "channel": "phone"}, "description"),
        ({"work_order_id": 123456, "channel": "phone", "description": "x"}, "work_order_id"),
    ],
)
def test_bad_complaint_input_names_the_field(client, as_dispatcher, body, field):
    response = client.post("/api/v1/complaints", headers=as_dispatcher, json=body)
    assert response.status_code == 422
    assert field in response.json["errors"]["json"]


def test_answer_needs_notes(client, as_dispatcher, dispatcher, completed_order):
    complaint = services.open_complaint(dispatcher, work_order_id=completed_order().id, channel="sms", description="x")
    response = client.post(f"/api/v1/complaints/{complaint.id}/answer", headers=as_dispatcher, json={})
    assert response.status_code == 422
    assert "notes" in response.json["errors"]["json"]


def test_bad_query_parameters(client, as_dispatcher):
    assert client.get("/api/v1/return-visits?due=tomorrow", headers=as_dispatcher).status_code == 422
    response = client.get("/api/v1/complaints?overdue=maybe", headers=as_dispatcher)
    assert response.status_code == 422
    assert "overdue" in response.json["errors"]["query"]


def test_missing_complaint(client, as_dispatcher):
    assert client.get("/api/v1/complaints/999999", headers=as_dispatcher).status_code == 404
    response = client.post("/api/v1/complaints/999999/resolve", headers=as_dispatcher, json={"notes": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/return-visits"),
        ("get", "/api/v1/work-orders/{order}/return-visit"),
        ("post", "/api/v1/work-orders/{order}/return-visit"),
        ("get", "/api/v1/complaints"),
        ("post", "/api/v1/complaints"),
        ("get", "/api/v1/complaints/{complaint}"),
        ("post", "/api/v1/complaints/{complaint}/answer"),
        ("post", "/api/v1/complaints/{complaint}/resolve"),
    ],
)
def test_technicians_may_not_and_strangers_must_log_in(
    client, auth_headers, technician, dispatcher, completed_order, method, path
):
    order = completed_order()
    complaint = services.open_complaint(dispatcher, work_order_id=order.id, channel="phone", description="x")
    url = path.format(order=order.id, complaint=complaint.id)
    body = {"notes": "x", "reached": False, "unreached_reason": "busy"}
    as_technician = getattr(client, method)(
        url, headers=auth_headers(technician), **({"json": body} if method == "post" else {})
    )
    assert as_technician.status_code == 403
    anonymous = getattr(client, method)(url, **({"json": body} if method == "post" else {}))
    assert anonymous.status_code == 401
    assert order.status == "completed"


def test_managers_work_the_queue_too(client, auth_headers, manager, completed_order):
    order = completed_order()
    response = client.post(
        f"/api/v1/work-orders/{order.id}/return-visit",
        headers=auth_headers(manager),
        json={"reached": True, "satisfaction": 3, "resolved": True},
    )
    assert response.status_code == 201


def test_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/return-visits",
        "/api/v1/work-orders/{order_id}/return-visit",
        "/api/v1/complaints",
        "/api/v1/complaints/{complaint_id}/answer",
        "/api/v1/complaints/{complaint_id}/resolve",
    ):
        assert path in paths


def test_the_script_without_title_or_branch_reads_naturally(client, make_user, auth_headers, completed_order):
    order = completed_order(customer_name="王五", title=None, branch=None)
    order.customer.branch = None
    caller = make_user("dispatcher", employee_no=None, branch=None)
    body = client.get(f"/api/v1/work-orders/{order.id}/return-visit", headers=auth_headers(caller)).json
    texts = {step["id"]: step["text"]["zh"] for step in body["script"]}
    assert texts["confirm_identity"].endswith("请问是机主本人吗？") and "王五" not in texts["confirm_identity"]
    assert texts["introduce"] == "我是福建广电网络客服中心的工作人员。"
    assert not any(mark in text for text in texts.values() for mark in ("{", "[", "××", "None"))
