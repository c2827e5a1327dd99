"""Property: any batch, valid and junk ops mixed, is answered 200 with exactly one result per op, in order."""

import itertools
import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.visits import sync
from backend.visits.engine import OPS
from tests.visits.conftest import WINDOW_START, as_sync_ops, whole_visit_ops

RESULT_STATUSES = {"applied", "duplicate", "conflict", "rejected"}
# Every example books new orders: their appointments must not overlap (PostgreSQL refuses that).
_slots = itertools.count()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
at_values = st.sampled_from(
    ["2026-11-23T09:50:00+08:00", "0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-12:00", "not a time", "2026-11-23"]
) | st.datetimes().map(lambda d: d.isoformat())


@st.composite
def junk_op(draw, order_ids, valid_ops):
    """An op that is wrong in some way: any JSON, a real type with junk data, or a valid op with one field spoiled."""
    kind = draw(st.sampled_from(["any_json", "junk_data", "spoiled_field", "spoiled_envelope"]))
    if kind == "any_json":
        return draw(json_values)
    base = dict(draw(st.sampled_from(valid_ops))) if valid_ops else {}
    base["op_id"] = str(uuid.uuid4())
    if kind == "junk_data":
        return {**base, "type": draw(st.sampled_from(sorted(OPS))), "data": draw(json_values)}
    if kind == "spoiled_field":
        data = dict(base.get("data") or {})
        key = draw(st.sampled_from(sorted(data) or ["x"]))
        return {**base, "data": {**data, key: draw(json_values)}}
    field = draw(st.sampled_from(["op_id", "work_order_id", "type", "at", "data"]))
    value = draw(
        json_values | at_values | st.sampled_from(order_ids) | st.integers(min_value=-(2**40), max_value=2**40)
    )
    return {**base, field: value}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_mixed_batch_gets_one_result_per_op_and_no_server_error(
    data, client, auth_headers, technician, make_order, make_user, upload
):
    starts_at = WINDOW_START + timedelta(hours=3 * next(_slots))
    mine = make_order("repair", starts_at=starts_at)
    other_tech = make_user("technician", name="李四", employee_no=f"E{uuid.uuid4().hex[:8]}")
    theirs = make_order("install", tech=other_tech, starts_at=starts_at)
    valid = as_sync_ops(mine, whole_visit_ops("repair", lambda data=None: upload(technician)))
    order_ids = [mine.id, theirs.id, 2**31 - 1]
    # Valid ops keep their order; junk ops are slipped in between them, a replay or two as well.
    batch = []
    for op in valid[: data.draw(st.integers(min_value=0, max_value=len(valid)))]:
        batch += data.draw(st.lists(junk_op(order_ids, valid), max_size=2))
        batch.append(op)
    batch += data.draw(st.lists(junk_op(order_ids, valid) | st.sampled_from(batch or [{}]), max_size=3))
    device_id = data.draw(st.sampled_from(["phone-1", "平板"]))
    response = client.post(
        "/api/v1/sync", json={"device_id": device_id, "ops": batch}, headers=auth_headers(technician)
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    results = response.json["results"]
    assert len(results) == len(batch)
    for op, result in zip(batch, results, strict=True):
        assert result["status"] in RESULT_STATUSES, result
        if isinstance(op, dict) and isinstance(op.get("op_id"), str) and result["op_id"] is not None:
            assert result["op_id"] == op["op_id"]
        if result["status"] != "applied" and result["status"] != "duplicate":
            assert result["code"], result


# Values a phone or a broken client may put in an op, junk of every kind the walk refuses included.
junk_text = st.text(alphabet=st.characters(codec=None, categories=None), max_size=30) | st.sampled_from(
    ["\x00", "a\x00b", "\ud800", "张三\udfff", "NaN", "Infinity", "\\u0000", "x" * 2001, "先" * 2000]
)
leaf_values = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.sampled_from([float("nan"), float("inf"), -float("inf")])
    | junk_text
)


def _nested(value, depth):
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


any_values = st.recursive(
    leaf_values,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(junk_text, children, max_size=4),
    max_leaves=30,
) | st.builds(_nested, leaf_values, st.integers(min_value=0, max_value=12))


@settings(max_examples=500, deadline=None)
@given(
    op=st.fixed_dictionaries(
        {"op_id": st.uuids().map(str) | st.uuids().map(str) | junk_text | any_values},
        optional={"type": any_values, "at": any_values, "data": any_values, "work_order_id": any_values},
    )
)
def test_the_quick_screen_of_an_op_finds_what_the_full_walk_finds(op):
    """The canonical text that clears most ops at once never clears an op that the walk refuses."""
    assert sync._hash_and_junk(op, sync._storable_op_id(op)) == (sync.body_hash(op), sync._junk(op))
