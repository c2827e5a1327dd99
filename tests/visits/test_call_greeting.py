"""The call log records the greeting the app showed at the moment of the call (issue 10, point 1)."""

import uuid

from backend.visits.services import latest_visit


def _call(order, **data):
    return {
        "op_id": str(uuid.uuid4()),
        "work_order_id": order.id,
        "type": "call.attempt",
        "at": "2026-11-22T08:30:00+08:00",
        "data": {"outcome": "reached", **data},
    }


def test_the_greeting_used_is_kept_with_the_call_and_an_unknown_one_is_refused(
    client, auth_headers, technician, make_order
):
    order = make_order("repair")
    ops = [_call(order, greeting="early_morning"), _call(order, greeting="good_night"), _call(order)]
    results = client.post(
        "/api/v1/sync", json={"device_id": "phone-1", "ops": ops}, headers=auth_headers(technician)
    ).json["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert "greeting" in str(results[1]["errors"])
    calls = latest_visit(order.id).call_attempts
    # A call from an app that predates the field is kept, without a greeting.
    assert [c.get("greeting") for c in calls] == ["early_morning", None]
    visits = client.get(f"/api/v1/work-orders/{order.id}/visits", headers=auth_headers(technician)).json
    assert visits["visits"][0]["call_attempts"][0]["greeting"] == "early_morning"
