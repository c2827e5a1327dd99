import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC

import pytest

from backend.booking.models import Appointment
from backend.booking.services import book
from backend.extensions import db
from tests.factories import make_customer, make_order, window


def _window_json(hour, **kw):
    starts, ends = window(hour, **kw)
    return {"starts_at": starts.isoformat(), "ends_at": ends.isoformat()}


def test_dispatcher_books_then_reschedules(client, make_user, auth_headers):
    dispatcher, technician = make_user("dispatcher"), make_user("technician")
    order = make_order(dispatcher)
    path, headers = f"/api/v1/work-orders/{order.id}/appointment", auth_headers(dispatcher)
    booked = client.post(path, headers=headers, json={"technician_id": technician.id, **_window_json(9)})
    assert booked.status_code == 201 and booked.get_json()["status"] == "active"
    moved = client.post(
        path,
        headers=headers,
        json={"technician_id": technician.id, **_window_json(14), "requested_by": "company", "reason": "配件未到"},
    )
    assert moved.status_code == 201 and moved.get_json()["previous_id"] == booked.get_json()["id"]
    detail = client.get(f"/api/v1/work-orders/{order.id}", headers=headers).get_json()
    assert [a["status"] for a in detail["appointments"]] == ["superseded", "active"]
    assert detail["appointment"]["id"] == moved.get_json()["id"] and detail["status"] == "scheduled"


def test_naive_times_are_local(client, make_user, auth_headers):
    dispatcher, technician = make_user("dispatcher"), make_user("technician")
    starts, ends = window(9)
    path = f"/api/v1/work-orders/{make_order(dispatcher).id}/appointment"
    response = client.post(
        path,
        headers=auth_headers(dispatcher),
        json={
            "technician_id": technician.id,
            "starts_at": starts.replace(tzinfo=None).isoformat(),
            "ends_at": ends.replace(tzinfo=None).isoformat(),
        },
    )
    assert response.status_code == 201
    assert response.get_json()["starts_at"] == starts.astimezone(UTC).isoformat()  # 09:00 local is 01:00 UTC


@pytest.mark.parametrize("role", ["technician", "manager"])
def test_only_dispatchers_book(client, make_user, auth_headers, role):
    dispatcher, technician = make_user("dispatcher"), make_user("technician")
    order = make_order(dispatcher)
    caller = technician if role == "technician" else make_user(role)
    response = client.post(
        f"/api/v1/work-orders/{order.id}/appointment",
        headers=auth_headers(caller),
        json={"technician_id": technician.id, **_window_json(9)},
    )
    assert response.status_code == 403
    assert (
        client.post(
            f"/api/v1/work-orders/{order.id}/appointment", json={"technician_id": technician.id, **_window_json(9)}
        ).status_code
        == 401
    )


def test_clash_is_409_slot_taken_and_unknown_order_404(client, make_user, auth_headers):
    dispatcher, technician = make_user("dispatcher"), make_user("technician")
    headers = auth_headers(dispatcher)
    starts, ends = window(9)
    book(dispatcher, make_order(dispatcher).id, technician_id=technician.id, starts_at=starts, ends_at=ends)
    clash = client.post(
        f"/api/v1/work-orders/{make_order(dispatcher).id}/appointment",
        headers=headers,
        json={"technician_id": technician.id, **_window_json(9)},
    )
    assert clash.status_code == 409 and clash.get_json()["code"] == "slot_taken"
    assert "starts_at" in clash.get_json()["errors"]["json"]
    missing = client.post(
        "/api/v1/work-orders/987654/appointment",
        headers=headers,
        json={"technician_id": technician.id, **_window_json(9)},
    )
    assert missing.status_code == 404


def test_technicians_and_availability(client, make_user, auth_headers):
    dispatcher = make_user("dispatcher")
    technician = make_user("technician", skills=["repair"], areas=["鼓楼区"], branch="福州")
    make_user("technician", skills=["install"], areas=["思明区"], branch="厦门")
    headers = auth_headers(dispatcher)
    listed = client.get("/api/v1/technicians?branch=福州", headers=headers).get_json()
    assert [(t["id"], t["skills"], t["areas"]) for t in listed] == [(technician.id, ["repair"], ["鼓楼区"])]
    day = window(9)[0].date()
    free = client.get(f"/api/v1/technicians/availability?date={day}&area=鼓楼区", headers=headers)
    assert free.status_code == 200
    body = free.get_json()
    assert body["travel_buffer_minutes"] == 30 and body["working_hours"] == {"start": "08:00", "end": "20:00"}
    assert [t["technician"]["id"] for t in body["technicians"]] == [technician.id]
    assert len(body["technicians"][0]["free"]) == 1
    as_technician = client.get(f"/api/v1/technicians/availability?date={day}", headers=auth_headers(technician))
    assert as_technician.status_code == 403
    assert client.get("/api/v1/technicians/availability", headers=headers).status_code == 422
    week = client.get(f"/api/v1/technicians/availability?date={day}&days=7&area=鼓楼区", headers=headers).get_json()
    assert (week["date"], week["days"], len(week["technicians"][0]["free"])) == (str(day), 7, 7)
    too_long = client.get(f"/api/v1/technicians/availability?date={day}&days=8", headers=headers)
    assert too_long.status_code == 422 and "days" in too_long.get_json()["errors"]["query"]


def test_agenda_has_the_contract_shape_and_only_own_visits(client, make_user, auth_headers):
    dispatcher, me, other = make_user("dispatcher"), make_user("technician"), make_user("technician")
    mine = make_order(dispatcher)
    book(dispatcher, mine.id, technician_id=me.id, starts_at=window(10)[0], ends_at=window(10)[1])
    book(dispatcher, make_order(dispatcher).id, technician_id=other.id, starts_at=window(10)[0], ends_at=window(10)[1])
    day = window(10)[0].date()
    response = client.get(f"/api/v1/me/agenda?date={day}", headers=auth_headers(me))
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"date", "server_time", "technician", "visits", "flows", "tariff", "greetings"}
    assert body["date"] == day.isoformat() and body["technician"]["id"] == me.id
    [visit] = body["visits"]
    # No greeting fixed in advance for the appointment's start: the app greets by the time of the call.
    assert set(visit) == {"work_order", "appointment", "customer"}
    assert [p["zh"] for p in body["greetings"]["time_of_day"]] == [
        "晚上好",
        "早上好",
        "上午好",
        "中午好",
        "下午好",
        "晚上好",
    ]
    assert body["greetings"]["new_year"]["zh"] == "新年好" and body["greetings"]["new_year"]["seasons"]
    assert visit["work_order"]["id"] == mine.id and visit["customer"]["id"] == mine.customer_id
    assert {
        "id",
        "number",
        "type",
        "priority",
        "status",
        "description",
        "address",
        "customer_id",
        "technician_id",
    } <= set(visit["work_order"])
    assert {"id", "name", "title", "phones", "address", "lat", "lng", "account_no"} <= set(visit["customer"])
    assert visit["customer"]["surname_title"] is None  # the factory's customer has no recorded title
    assert {"install", "repair"} <= set(body["flows"])
    assert {"code", "name", "unit", "price_cents"} <= set(body["tariff"][0])
    assert client.get("/api/v1/me/agenda", headers=auth_headers(dispatcher)).status_code == 403
    assert client.get("/api/v1/me/agenda").status_code == 401


@pytest.mark.committed
def test_twelve_parallel_bookings_of_one_slot_give_one_success(app, make_user, auth_headers):
    dispatchers = [make_user("dispatcher") for _ in range(3)]
    technician = make_user("technician")
    orders = [make_order(dispatchers[i % 3]).id for i in range(12)]
    headers = [auth_headers(dispatchers[i % 3]) for i in range(12)]
    body = {"technician_id": technician.id, **_window_json(10)}
    db.session.commit()  # end this thread's transaction: on SQLite even a read holds the write lock
    start = threading.Barrier(12)

    def attempt(i):
        with app.app_context(), app.test_client() as client:
            start.wait()
            return client.post(f"/api/v1/work-orders/{orders[i]}/appointment", headers=headers[i], json=body)

    with ThreadPoolExecutor(12) as pool:
        responses = list(pool.map(attempt, range(12)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 11, [r.get_json() for r in responses]
    assert {r.get_json()["code"] for r in responses if r.status_code == 409} == {"slot_taken"}
    assert db.session.query(Appointment).filter_by(technician_id=technician.id, status="active").count() == 1


def test_agenda_gives_the_customer_as_surname_and_recorded_title(client, make_user, auth_headers):
    dispatcher, me = make_user("dispatcher"), make_user("technician")
    for hour, customer in ((10, make_customer(name="欧阳娜娜", title="女士")), (14, make_customer(name="张三"))):
        order = make_order(dispatcher, customer)
        book(dispatcher, order.id, technician_id=me.id, starts_at=window(hour)[0], ends_at=window(hour)[1])
    day = window(10)[0].date()
    visits = client.get(f"/api/v1/me/agenda?date={day}", headers=auth_headers(me)).get_json()["visits"]
    assert [v["customer"]["surname_title"] for v in visits] == [{"zh": "欧阳女士", "en": "Ms. 欧阳"}, None]
