"""One bad op is refused on its own, naming the field at fault; the batch answers 200 and good ops apply."""

import json
import uuid

import pytest

from tests.visits.conftest import as_sync_ops, whole_visit_ops


def _good_op(order):
    """The visit's first op (the call that reached the customer), valid on its own."""
    return as_sync_ops(order, whole_visit_ops(order.type, lambda data=None: str(uuid.uuid4()))[:1])[0]


def _bad(order, **override):
    op = {
        "op_id": str(uuid.uuid4()),
        "work_order_id": order.id,
        "type": "call.attempt",
        "at": "2026-11-22T09:00:00+08:00",
        "data": {"outcome": "no_answer"},
    }
    op.update(override)
    return op


BAD_OPS = {
    "at_before_year_one_in_utc": ({"at": "0001-01-01T00:00:00+00:01"}, "at"),
    "at_past_year_9999_in_shanghai": ({"at": "9999-12-31T23:59:59-12:00"}, "at"),
    "at_far_future": ({"at": "2099-01-01T00:00:00+08:00"}, "at"),
    "at_far_past": ({"at": "2001-01-01T00:00:00+08:00"}, "at"),
    "lone_surrogate_in_notes": ({"data": {"outcome": "no_answer", "notes": "\ud800"}}, "data"),
    "nul_in_notes": ({"data": {"outcome": "no_answer", "notes": "无\x00人"}}, "data"),
    "huge_notes": ({"data": {"outcome": "no_answer", "notes": "长" * 100_000}}, "data"),
    "fractional_order_id": ({"work_order_id": 1.5}, "work_order_id"),
    "order_id_as_text": ({"work_order_id": "1"}, "work_order_id"),
    "deep_nesting": ({"data": {"outcome": "no_answer", "notes": [[[[[[[[[[["x"]]]]]]]]]]]}}, "data"),
}


@pytest.mark.parametrize("case", sorted(BAD_OPS))
def test_a_bad_op_is_rejected_alone_and_the_good_op_after_it_applies(
    case, client, auth_headers, technician, make_order
):
    order = make_order("repair")
    override, field = BAD_OPS[case]
    bad = _bad(order, **override)
    good = _good_op(order)
    response = client.post(
        "/api/v1/sync", json={"device_id": "phone-1", "ops": [bad, good]}, headers=auth_headers(technician)
    )
    assert response.status_code == 200, response.json
    first, second = response.json["results"]
    assert first["status"] == "rejected" and field in str(first.get("errors")), first
    assert second["status"] == "applied", second


def test_huge_fee_quantity_and_a_non_string_declined_reason_are_rejected(client, auth_headers, technician, make_order):
    order = make_order("repair")
    ops = [
        _bad(
            order,
            type="operate.record",
            data={"fees": [{"tariff_code": "F_CONNECTOR", "qty": 1e17}], "result": "fixed"},
        ),
        _bad(order, type="evaluate.submit", data={"declined": {"reason": ["no"]}}),
    ]
    results = client.post(
        "/api/v1/sync", json={"device_id": "phone-1", "ops": ops}, headers=auth_headers(technician)
    ).json["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert "qty" in str(results[0]["errors"]) and "declined" in str(results[1]["errors"])


@pytest.mark.parametrize("case", sorted(BAD_OPS))
def test_a_bad_body_sent_under_an_applied_op_id_is_refused_as_reused(
    case, client, auth_headers, technician, make_order
):
    # Replays are answered before any op is parsed: junk under a known op_id must still be refused.
    order = make_order("repair")
    good = _good_op(order)
    headers = auth_headers(technician)
    assert client.post("/api/v1/sync", json={"device_id": "phone-1", "ops": [good]}, headers=headers).json[
        "results"
    ] == [{"op_id": good["op_id"], "status": "applied"}]
    override, _ = BAD_OPS[case]
    response = client.post(
        "/api/v1/sync", json={"device_id": "phone-1", "ops": [{**good, **override}, good]}, headers=headers
    )
    assert response.status_code == 200, response.json
    reused, replay = response.json["results"]
    assert (reused["status"], reused["code"]) == ("rejected", "op_id_reused"), reused
    assert replay == {
        "op_id": good["op_id"],
        "status": "duplicate",
        "first_result": {"op_id": good["op_id"], "status": "applied"},
    }


def test_a_body_nested_near_the_parsers_limit_under_an_applied_op_id_is_refused(
    client, auth_headers, technician, make_order
):
    order = make_order("repair")
    good = _good_op(order)
    headers = {**auth_headers(technician), "Content-Type": "application/json"}
    client.post("/api/v1/sync", json={"device_id": "phone-1", "ops": [good]}, headers=headers)
    envelope = json.dumps({k: v for k, v in good.items() if k != "data"})[:-1]
    # Up to the deepest body the JSON parser reads: hashing it for the replay check must not fail.
    for depth in range(900, 1000, 5):
        body = '{"device_id": "phone-1", "ops": [' + envelope + ', "data": {"notes": ' + "[" * depth + "]" * depth
        response = client.post("/api/v1/sync", data=body + "}}]}", headers=headers)
        assert response.status_code in (200, 400), (depth, response.status_code)
        if response.status_code == 200:
            assert response.json["results"][0]["status"] == "rejected"
