"""HTTP: the intake guide and the caller's history, for office roles only."""

from datetime import timedelta

from backend.aftercare.services import open_complaint
from backend.extensions import db
from backend.timeutil import utcnow
from backend.visits.models import Visit
from tests.factories import make_customer, make_order


def test_office_roles_read_the_guide_and_a_technician_may_not(client, make_user, auth_headers):
    for role in ("dispatcher", "manager"):
        response = client.get("/api/v1/call-centre/guide", headers=auth_headers(make_user(role)))
        assert response.status_code == 200
        assert response.json["faults"][0]["guidance"]
    response = client.get("/api/v1/call-centre/guide", headers=auth_headers(make_user("technician")))
    assert response.status_code == 403
    assert client.get("/api/v1/call-centre/guide").status_code == 401


def test_history_shows_newest_orders_first_with_scores_and_open_complaints(client, make_user, auth_headers):
    dispatcher = make_user("dispatcher")
    technician = make_user("technician")
    customer = make_customer(name="张三", title="先生")
    older = make_order(dispatcher, customer, description="电视无信号", fault_kind="no_signal")
    older.created_at = utcnow() - timedelta(days=30)
    newer = make_order(dispatcher, customer, type="install", description="加装宽带")
    db.session.add(
        Visit(
            work_order_id=older.id,
            technician_id=technician.id,
            flow_type="repair",
            flow_version=1,
            ratings={"overall": 4, "punctuality": 5},
        )
    )
    db.session.commit()
    open_complaint(dispatcher, work_order_id=older.id, channel="phone", description="上门迟到")
    other_customer_order = make_order(dispatcher, make_customer(name="李四"))

    response = client.get(f"/api/v1/customers/{customer.id}/history", headers=auth_headers(dispatcher))
    assert response.status_code == 200
    body = response.json
    assert [entry["order"]["id"] for entry in body["orders"]] == [newer.id, older.id]
    assert body["orders"][1]["order"]["fault_kind"] == "no_signal"
    assert body["orders"][1]["visit_overall"] == 4
    assert body["orders"][0]["visit_overall"] is None
    assert [c["description"] for c in body["open_complaints"]] == ["上门迟到"]
    assert body["open_complaints"][0]["overdue"] is False
    assert other_customer_order.id not in [entry["order"]["id"] for entry in body["orders"]]


def test_history_of_a_missing_customer_is_404_and_a_technician_may_not_read_it(client, make_user, auth_headers):
    assert (
        client.get("/api/v1/customers/999999/history", headers=auth_headers(make_user("dispatcher"))).status_code == 404
    )
    customer = make_customer()
    response = client.get(f"/api/v1/customers/{customer.id}/history", headers=auth_headers(make_user("technician")))
    assert response.status_code == 403


def test_a_work_order_records_a_known_fault_kind_and_refuses_an_unknown_one(client, make_user, auth_headers):
    headers = auth_headers(make_user("dispatcher"))
    customer = make_customer()
    body = {"customer_id": customer.id, "type": "repair", "description": "无信号", "fault_kind": "no_signal"}
    response = client.post("/api/v1/work-orders", json=body, headers=headers)
    assert response.status_code == 201
    assert response.json["fault_kind"] == "no_signal"
    response = client.post("/api/v1/work-orders", json={**body, "fault_kind": "haunted"}, headers=headers)
    assert response.status_code == 422
    assert "fault_kind" in response.json["errors"]["json"]


def test_customers_are_found_by_part_of_the_address(client, make_user, auth_headers):
    customer = make_customer(name="王五", address="福州市台江区八一七中路88号")
    make_customer(name="赵六", address="福州市仓山区首山路1号")
    response = client.get("/api/v1/customers?q=八一七", headers=auth_headers(make_user("dispatcher")))
    assert [c["id"] for c in response.json] == [customer.id]
