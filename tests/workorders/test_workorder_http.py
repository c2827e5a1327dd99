import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time

import pytest

from backend.booking.services import book
from backend.extensions import db
from backend.timeutil import LOCAL_TZ
from backend.workorders.models import WorkOrder
from tests.factories import make_customer, make_order, window


@pytest.fixture
def staff(make_user, auth_headers):
    """A dispatcher, a manager, an admin and two technicians, with their headers."""
    people = {role: make_user(role) for role in ("dispatcher", "manager", "admin")}
    people["me"] = make_user("technician")
    people["other"] = make_user("technician")
    return {name: (user, auth_headers(user)) for name, user in people.items()}


def _booked_order(staff, who, hour, days_ahead=1, **order_fields):
    dispatcher = staff["dispatcher"][0]
    order = make_order(dispatcher, **order_fields)
    starts, ends = window(hour, days_ahead=days_ahead)
    book(dispatcher, order.id, technician_id=staff[who][0].id, starts_at=starts, ends_at=ends)
    return order


def test_dispatcher_opens_an_order_with_a_readable_number(client, staff):
    customer = make_customer()
    response = client.post(
        "/api/v1/work-orders",
        headers=staff["dispatcher"][1],
        json={"customer_id": customer.id, "type": "install", "priority": "high", "description": "新装机顶盒"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["number"].startswith("WO-") and body["status"] == "new" and body["address"] == customer.address
    assert response.headers["ETag"] == '"1"'


@pytest.mark.parametrize("who", ["me", "manager"])
def test_technicians_and_managers_cannot_open_orders(client, staff, who):
    response = client.post(
        "/api/v1/work-orders", headers=staff[who][1], json={"customer_id": make_customer().id, "type": "repair"}
    )
    assert response.status_code == 403


def test_technician_lists_and_reads_only_own_orders(client, staff):
    mine = _booked_order(staff, "me", 9)
    theirs = _booked_order(staff, "other", 9)
    headers = staff["me"][1]
    listed = client.get("/api/v1/work-orders", headers=headers).get_json()
    assert [o["id"] for o in listed] == [mine.id]
    assert client.get(f"/api/v1/work-orders?technician_id={staff['other'][0].id}", headers=headers).get_json() == []
    assert client.get(f"/api/v1/work-orders/{mine.id}", headers=headers).status_code == 200
    for method, path, body in [
        ("get", "", None),
        ("post", "/status", {"to": "en_route"}),
        ("post", "/appointment", None),
        ("post", "/phone-guidance", None),
    ]:
        response = getattr(client, method)(f"/api/v1/work-orders/{theirs.id}{path}", headers=headers, json=body)
        # Booking and phone guidance are not a technician's job at all; the rest hides the order.
        assert response.status_code == (403 if path in ("/appointment", "/phone-guidance") else 404), path
    assert client.patch(f"/api/v1/work-orders/{theirs.id}", headers=headers, json={}).status_code == 403


def test_manager_reads_every_order(client, staff):
    orders = [_booked_order(staff, "me", 9), _booked_order(staff, "other", 9)]
    listed = client.get("/api/v1/work-orders", headers=staff["manager"][1]).get_json()
    assert {o["id"] for o in listed} == {o.id for o in orders}
    assert client.get(f"/api/v1/work-orders/{orders[1].id}", headers=staff["manager"][1]).status_code == 200
    move = client.post(
        f"/api/v1/work-orders/{orders[1].id}/status", headers=staff["manager"][1], json={"to": "cancelled"}
    )
    assert move.status_code == 403


def test_filters_by_status_technician_type_and_local_appointment_day(client, staff):
    early = _booked_order(staff, "me", 8, type="install")  # 08:00 local is 00:00 UTC: same local day
    later = _booked_order(staff, "other", 15)
    day_after = _booked_order(staff, "me", 9, days_ahead=2)
    untouched = make_order(staff["dispatcher"][0])
    headers = staff["dispatcher"][1]

    def ids(query):
        response = client.get(f"/api/v1/work-orders?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return {o["id"] for o in response.get_json()}

    tomorrow = window(8)[0].date()
    assert ids(f"status=scheduled&date={tomorrow}") == {early.id, later.id}
    assert ids(f"date={tomorrow}&technician_id={staff['me'][0].id}") == {early.id}
    assert ids("status=new") == {untouched.id}
    assert ids("type=install") == {early.id}
    assert day_after.id in ids(f"technician_id={staff['me'][0].id}")


def test_list_is_paginated_with_a_header(client, staff):
    for _ in range(3):
        make_order(staff["dispatcher"][0])
    response = client.get("/api/v1/work-orders?page=2&page_size=2", headers=staff["dispatcher"][1])
    assert len(response.get_json()) == 1
    assert json.loads(response.headers["X-Pagination"])["total"] == 3
    assert client.get("/api/v1/work-orders?page_size=1000", headers=staff["dispatcher"][1]).status_code == 422


def test_patch_needs_the_current_etag(client, staff):
    order = make_order(staff["dispatcher"][0])
    headers = staff["dispatcher"][1]
    etag = client.get(f"/api/v1/work-orders/{order.id}", headers=headers).headers["ETag"]
    first = client.patch(
        f"/api/v1/work-orders/{order.id}", json={"priority": "urgent"}, headers={**headers, "If-Match": etag}
    )
    assert first.status_code == 200 and first.get_json()["priority"] == "urgent"
    assert first.headers["ETag"] != etag
    stale = client.patch(
        f"/api/v1/work-orders/{order.id}", json={"priority": "low"}, headers={**headers, "If-Match": etag}
    )
    assert stale.status_code == 412 and stale.get_json()["code"] == "precondition_failed"
    missing = client.patch(f"/api/v1/work-orders/{order.id}", json={"priority": "low"}, headers=headers)
    assert missing.status_code == 428
    assert db.session.get(WorkOrder, order.id).priority == "urgent"


def test_status_moves_follow_the_state_machine_and_are_recorded(client, staff):
    order = _booked_order(staff, "me", 10)
    tech_headers, dispatcher_headers = staff["me"][1], staff["dispatcher"][1]
    illegal = client.post(f"/api/v1/work-orders/{order.id}/status", headers=tech_headers, json={"to": "completed"})
    assert illegal.status_code == 409 and illegal.get_json()["code"] == "illegal_transition"
    on_way = client.post(
        f"/api/v1/work-orders/{order.id}/status", headers=tech_headers, json={"to": "en_route", "reason": "出发"}
    )
    assert on_way.status_code == 200 and on_way.get_json()["status"] == "en_route"
    assert on_way.get_json()["history"][-1]["reason"] == "出发"
    refused = client.post(f"/api/v1/work-orders/{order.id}/status", headers=tech_headers, json={"to": "cancelled"})
    assert refused.status_code == 403
    cancelled = client.post(
        f"/api/v1/work-orders/{order.id}/status",
        headers=dispatcher_headers,
        json={"to": "cancelled", "reason": "客户取消"},
    )
    assert cancelled.status_code == 200
    assert cancelled.get_json()["appointments"][0]["status"] == "cancelled"
    booking_by_status = client.post(
        f"/api/v1/work-orders/{make_order(staff['dispatcher'][0]).id}/status",
        headers=dispatcher_headers,
        json={"to": "scheduled"},
    )
    assert booking_by_status.status_code == 409 and booking_by_status.get_json()["code"] == "use_dedicated_endpoint"


def test_phone_guidance_endpoint(client, staff):
    order = make_order(staff["dispatcher"][0])
    path, headers = f"/api/v1/work-orders/{order.id}/phone-guidance", staff["dispatcher"][1]
    unverified = client.post(path, headers=headers, json={"customer_verified": False, "resolved": True})
    assert unverified.status_code == 422 and unverified.get_json()["code"] == "customer_not_verified"
    solved = client.post(
        path, headers=headers, json={"customer_verified": True, "resolved": True, "notes": "复位后正常"}
    )
    assert solved.status_code == 201
    assert solved.get_json()["status"] == "resolved_by_phone"
    assert solved.get_json()["phone_guidance"][0]["notes"] == "复位后正常"
    again = client.post(path, headers=headers, json={"customer_verified": True, "resolved": True})
    assert again.status_code == 409


def test_no_token_is_401_on_every_work_order_endpoint(client):
    for method, path in [
        ("get", "/api/v1/work-orders"),
        ("post", "/api/v1/work-orders"),
        ("get", "/api/v1/work-orders/1"),
        ("patch", "/api/v1/work-orders/1"),
        ("post", "/api/v1/work-orders/1/status"),
        ("post", "/api/v1/work-orders/1/phone-guidance"),
    ]:
        assert getattr(client, method)(path, json={}).status_code == 401, path


@pytest.mark.committed
def test_parallel_creations_get_distinct_numbers(app, make_user, auth_headers):
    headers = auth_headers(make_user("dispatcher"))
    customer_id = make_customer().id
    db.session.commit()  # end this thread's transaction: on SQLite even a read holds the write lock

    def create(_):
        with app.app_context(), app.test_client() as client:
            return client.post(
                "/api/v1/work-orders", headers=headers, json={"customer_id": customer_id, "type": "repair"}
            )

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(create, range(8)))
    assert [r.status_code for r in responses] == [201] * 8
    numbers = {r.get_json()["number"] for r in responses}
    assert len(numbers) == 8


def test_local_day_is_asia_shanghai():
    # 07:59 local on a day is still the previous day in UTC; the date filter uses the local day.
    assert datetime.combine(window(8)[0].date(), time(7, 59), tzinfo=LOCAL_TZ).utcoffset().total_seconds() == 8 * 3600
