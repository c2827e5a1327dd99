"""POST /api/v1/sync: whole visits, exactly-once under replays and races, conflicts, refusals."""

import json
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.visits import sync
from backend.visits.models import SyncOp, Visit, VisitEvent
from backend.workorders.models import StatusChange, WorkOrder
from tests.visits.conftest import PNG, WINDOW_START, as_sync_ops, whole_visit_ops


@pytest.fixture
def put_image(client, auth_headers):
    """Upload an image through the API, as the PWA does before the ops that use it."""

    def put(user, data=PNG):
        attachment_id = str(uuid.uuid4())
        response = client.put(
            f"/api/v1/attachments/{attachment_id}",
            data=data,
            headers=auth_headers(user),
            content_type="application/octet-stream",
        )
        assert response.status_code == 201, response.json
        return attachment_id

    return put


def _reached_call(order_id, at=WINDOW_START - timedelta(days=1)):
    """Return a call.attempt op that reached the customer (the day before the window, unless told)."""
    return {
        "op_id": str(uuid.uuid4()),
        "work_order_id": order_id,
        "type": "call.attempt",
        "at": at.isoformat(),
        "data": {"outcome": "reached"},
    }


def post(client, headers, ops, device_id="phone-1"):
    response = client.post("/api/v1/sync", json={"device_id": device_id, "ops": ops}, headers=headers)
    assert response.status_code == 200, response.json
    return response.json["results"]


def counts(db, order_id):
    """Return what a replay must not change: events, status moves, sync ops, the visit's state."""
    db.session.expire_all()
    visit = db.session.scalar(select(Visit).where(Visit.work_order_id == order_id))
    return (
        db.session.scalar(select(func.count()).select_from(VisitEvent).where(VisitEvent.work_order_id == order_id)),
        db.session.scalar(select(func.count()).select_from(StatusChange).where(StatusChange.work_order_id == order_id)),
        db.session.scalar(select(func.count()).select_from(SyncOp).where(SyncOp.work_order_id == order_id)),
        visit.completed_steps if visit else None,
        visit.compliance if visit else None,
        db.session.get(WorkOrder, order_id).status,
    )


@pytest.mark.parametrize("order_type", ["install", "repair"])
def test_whole_visit_through_sync(client, db, make_order, technician, auth_headers, put_image, order_type):
    order = make_order(order_type)
    ops = as_sync_ops(order, whole_visit_ops(order_type, lambda **kw: put_image(technician)))
    results = post(client, auth_headers(technician), ops)
    assert [r["status"] for r in results] == ["applied"] * len(ops), [r for r in results if r["status"] != "applied"]
    assert [r["op_id"] for r in results] == [op["op_id"] for op in ops]

    detail = client.get(f"/api/v1/work-orders/{order.id}/visits", headers=auth_headers(technician)).json
    assert detail["compliance"]["score"] == 100
    assert detail["visits"][0]["outcome"] == "completed"
    assert len(detail["events"]) == len(ops)
    event = detail["events"][0]
    assert event["device_id"] == "phone-1" and event["client_at"] != event["server_at"]
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).status == "completed"


def test_a_batch_replayed_ten_times_changes_nothing_after_the_first(
    client, db, make_order, technician, auth_headers, put_image
):
    order = make_order("install")
    ops = as_sync_ops(order, whole_visit_ops("install", lambda **kw: put_image(technician)))
    first = post(client, auth_headers(technician), ops)
    after_first = counts(db, order.id)
    for _ in range(10):
        again = post(client, auth_headers(technician), ops)
        assert {r["status"] for r in again} == {"duplicate"}
        assert [r["first_result"] for r in again] == first
    assert counts(db, order.id) == after_first


def test_same_op_id_with_a_different_body_is_rejected(client, db, make_order, technician, auth_headers):
    order = make_order("install")
    op = _reached_call(order.id)
    assert post(client, auth_headers(technician), [op])[0]["status"] == "applied"
    changed = {**op, "data": {"outcome": "busy"}}
    result = post(client, auth_headers(technician), [changed])[0]
    assert (result["status"], result["code"]) == ("rejected", "op_id_reused")


def test_one_bad_op_does_not_sink_the_others_and_applies_nothing(client, db, make_order, technician, auth_headers):
    order = make_order("install")
    day_before = WINDOW_START - timedelta(days=1)
    ops = [
        {
            "op_id": str(uuid.uuid4()),
            "work_order_id": order.id,
            "type": "call.attempt",
            "at": day_before.isoformat(),
            "data": {"outcome": "reached"},
        },
        {
            "op_id": str(uuid.uuid4()),
            "work_order_id": order.id,
            "type": "step.complete",
            "at": day_before.isoformat(),
            "data": {"step": "call"},
        },
        {
            "op_id": str(uuid.uuid4()),
            "work_order_id": order.id,
            "type": "checklist.answer",
            "at": day_before.isoformat(),
            "data": {"step": "call", "item": "no_wei", "value": True},
        },
        {"op_id": "short", "work_order_id": order.id, "type": "call.attempt", "at": "x", "data": {}},
    ]
    results = post(client, auth_headers(technician), ops)
    assert [r["status"] for r in results] == ["applied", "rejected", "applied", "rejected"]
    assert results[1]["code"] == "checklist_incomplete" and "identity_confirmed" in results[1]["errors"]["items"]
    assert results[3]["code"] == "validation_error"
    db.session.expire_all()
    visit = db.session.scalar(select(Visit).where(Visit.work_order_id == order.id))
    assert visit.completed_steps == [] and list(visit.checklist["call"]) == ["no_wei"]
    # A refused op is not remembered: once fixed, the same op_id may be sent again.
    assert db.session.scalar(select(SyncOp).where(SyncOp.op_id == ops[1]["op_id"])) is None


def test_order_cancelled_meanwhile_is_a_conflict(client, db, make_order, technician, auth_headers):
    order = make_order("install")
    order.status = "cancelled"
    db.session.commit()
    op = _reached_call(order.id, WINDOW_START)
    result = post(client, auth_headers(technician), [op])[0]
    assert (result["status"], result["code"]) == ("conflict", "order_cancelled")


def test_order_reassigned_meanwhile_is_a_conflict(client, db, make_order, technician, make_user, auth_headers):
    order = make_order("install")
    order.technician_id = make_user("technician").id
    db.session.commit()
    op = _reached_call(order.id, WINDOW_START)
    result = post(client, auth_headers(technician), [op])[0]
    assert (result["status"], result["code"]) == ("conflict", "order_reassigned")


def test_only_technicians_sync(client, make_user, auth_headers):
    response = client.post(
        "/api/v1/sync", json={"device_id": "d", "ops": []}, headers=auth_headers(make_user("dispatcher"))
    )
    assert response.status_code == 403


def test_late_flag_is_returned_with_the_checkin(client, db, make_order, technician, auth_headers, put_image):
    order = make_order("repair")
    ops = as_sync_ops(order, whole_visit_ops("repair", lambda **kw: put_image(technician), arrive_minutes_early=-15))
    checkin = next(i for i, op in enumerate(ops) if op["type"] == "arrive.checkin")
    results = post(client, auth_headers(technician), ops[: checkin + 1])
    assert results[-1] == {"op_id": ops[checkin]["op_id"], "status": "applied", "flags": ["late_without_notice"]}


@pytest.mark.committed
def test_two_threads_posting_the_same_batch_apply_each_op_once(
    app, client, db, make_order, technician, auth_headers, put_image
):
    order = make_order("install")
    ops = as_sync_ops(order, whole_visit_ops("install", lambda **kw: put_image(technician)))
    headers = auth_headers(technician)
    barrier = threading.Barrier(2)
    outcomes = []

    def send():
        with app.app_context(), app.test_client() as thread_client:
            barrier.wait()
            response = thread_client.post("/api/v1/sync", json={"device_id": "phone-1", "ops": ops}, headers=headers)
            body = response.json or {}
            outcomes.append((response.status_code, [r["status"] for r in body.get("results", [])], body))

    # Release this thread's transaction: on SQLite even a read holds the write lock (BEGIN IMMEDIATE).
    db.session.close()
    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [code for code, _, _ in outcomes] == [200, 200], outcomes
    for i in range(len(ops)):
        assert sorted(statuses[i] for _, statuses, _ in outcomes) == ["applied", "duplicate"]
    events, moves, synced, steps, _, status = counts(db, order.id)
    assert (events, synced, moves, status) == (len(ops), len(ops), 3, "completed")


@pytest.mark.parametrize("status", ["scheduled", "cancelled"])
def test_another_technicians_order_answers_as_one_that_does_not_exist(
    client, db, make_order, make_user, technician, auth_headers, status
):
    other = make_user("technician", name="李四", employee_no=f"E{uuid.uuid4().hex[:8]}")
    theirs = make_order("install", tech=other, status=status)
    missing_id = theirs.id + 10_000

    def answer(order_id):
        op = _reached_call(order_id, WINDOW_START)
        result = post(client, auth_headers(technician), [op])[0]
        del result["op_id"]
        return json.loads(json.dumps(result).replace(str(order_id), "ID"))

    assert answer(theirs.id) == answer(missing_id)
    assert answer(theirs.id)["code"] == "order_not_found"
    assert theirs.number not in json.dumps(answer(theirs.id))


def test_a_sync_that_moves_the_order_changes_its_etag(client, db, make_order, make_user, technician, auth_headers):
    # A dispatcher's edit made against the order as it was before the technician's sync must fail.
    order = make_order("install")
    dispatcher = auth_headers(make_user("dispatcher"))
    etag = client.get(f"/api/v1/work-orders/{order.id}", headers=dispatcher).headers["ETag"]
    op = _reached_call(order.id)
    assert post(client, auth_headers(technician), [op])[0]["status"] == "applied"
    detail = client.get(f"/api/v1/work-orders/{order.id}", headers=dispatcher)
    assert detail.json["status"] == "en_route" and detail.headers["ETag"] != etag
    stale = client.patch(
        f"/api/v1/work-orders/{order.id}", json={"priority": "urgent"}, headers={**dispatcher, "If-Match": etag}
    )
    assert stale.status_code == 412


def test_ops_a_racing_batch_stored_first_are_its_duplicates_not_a_server_error(
    client, db, make_order, technician, auth_headers, monkeypatch
):
    # The race only the database can judge: both look-ups miss (the other batch had not yet
    # committed) and the unique op_id refuses the insert. Nothing of this order's ops is written.
    order = make_order("install")
    ops = as_sync_ops(order, whole_visit_ops("install", lambda **kw: str(uuid.uuid4()))[:3])
    headers = auth_headers(technician)
    assert [r["status"] for r in post(client, headers, ops[:2])] == ["applied", "applied"]
    before = counts(db, order.id)
    looked_up, misses = sync._applied_ops, [True, True]
    monkeypatch.setattr(sync, "_applied_ops", lambda op_ids: {} if misses and misses.pop() else looked_up(op_ids))

    results = post(client, headers, ops)

    assert [r["status"] for r in results] == ["duplicate", "duplicate", "rejected"]
    assert results[2]["code"] == "internal_error"
    assert counts(db, order.id) == before


def test_a_later_help_record_replaces_the_leads_in_the_same_batch_and_in_a_later_one(
    client, db, make_order, technician, auth_headers, put_image
):
    from backend.visits.models import Lead

    order = make_order("repair")
    ops = as_sync_ops(order, whole_visit_ops("repair", lambda data=None: put_image(technician)))
    help_at = next(i for i, op in enumerate(ops) if op["type"] == "help.record")
    first_help = ops[help_at]

    def help_again(product, interest):
        data = {"checks": [], "leads": [{"product": product, "interest": interest}], "leaflet_given": False}
        return {**first_help, "op_id": str(uuid.uuid4()), "data": data}

    # The visit starts in this batch; its second help.record replaces the first one's lead.
    batch = ops[: help_at + 1] + [help_again("iptv", "medium")]
    assert {r["status"] for r in post(client, auth_headers(technician), batch)} == {"applied"}
    # The stored visit's leads are replaced by a later batch's help.record.
    assert post(client, auth_headers(technician), [help_again("mobile", "low")])[0]["status"] == "applied"
    db.session.expire_all()
    leads = db.session.scalars(select(Lead).where(Lead.work_order_id == order.id)).all()
    assert [(lead.product, lead.interest) for lead in leads] == [("mobile", "low")]


def test_every_audit_event_of_a_visit_started_in_the_batch_carries_the_visits_id(
    client, db, make_order, technician, auth_headers, put_image
):
    order = make_order("repair")
    ops = as_sync_ops(order, whole_visit_ops("repair", lambda data=None: put_image(technician)))
    assert {r["status"] for r in post(client, auth_headers(technician), ops)} == {"applied"}
    db.session.expire_all()
    visit = db.session.scalar(select(Visit).where(Visit.work_order_id == order.id))
    events = db.session.scalars(select(VisitEvent).where(VisitEvent.work_order_id == order.id)).all()
    assert len(events) == len(ops)
    # The Service Form reads its "started" time from the visit's communicate.record event.
    assert {event.visit_id for event in events} == {visit.id}


def test_the_migration_gives_orphaned_events_back_their_visit_id(
    client, db, make_order, technician, auth_headers, put_image
):
    import importlib.util
    from pathlib import Path

    from sqlalchemy import insert
    from sqlalchemy.exc import DBAPIError

    path = Path(__file__).parents[2] / "migrations/versions/0014_link_orphan_visit_events.py"
    spec = importlib.util.spec_from_file_location("link_orphans", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    order = make_order("repair")
    ops = as_sync_ops(order, whole_visit_ops("repair", lambda data=None: put_image(technician)))
    post(client, auth_headers(technician), ops[:10])
    visit_id = db.session.scalar(select(Visit.id).where(Visit.work_order_id == order.id))
    stored = db.session.scalar(select(VisitEvent).where(VisitEvent.work_order_id == order.id).limit(1))
    # Events as the sync from 06fdc27 stored them: no visit id, beside a sibling of their batch that has it.
    columns = ("work_order_id", "op_id", "actor_id", "device_id", "type", "client_at", "server_at", "payload")
    row = {name: getattr(stored, name) for name in columns}
    orphans = [{**row, "op_id": f"orphan-{n}", "visit_id": None} for n in range(3)]
    # An event no sibling of its batch vouches for stays as it is.
    lone = {**row, "op_id": "lone", "visit_id": None, "server_at": row["server_at"] - timedelta(hours=1)}
    db.session.execute(insert(VisitEvent), [*orphans, lone])

    migration.link_orphans(db.session.connection())

    linked = dict(db.session.execute(select(VisitEvent.op_id, VisitEvent.visit_id)).all())
    assert [linked[orphan["op_id"]] for orphan in orphans] == [visit_id] * 3
    assert linked["lone"] is None
    with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():  # append-only again
        db.session.execute(VisitEvent.__table__.update().values(type="call.attempt"))


def _checklist_tick(order_id, item="no_wei"):
    """Return a checklist.answer op ticking one item of the call step (the day before the window)."""
    return {
        "op_id": str(uuid.uuid4()),
        "work_order_id": order_id,
        "type": "checklist.answer",
        "at": (WINDOW_START - timedelta(days=1)).isoformat(),
        "data": {"step": "call", "item": item, "value": True},
    }


def _failing_for(order_id, real, op_type=None, *, midway=False):
    """Return a stand-in of `real` (called with an order's state first) that fails as a bug would,
    for one work order (and only for ops of `op_type`, when given); `midway`: after doing its work."""

    def stand_in(state, *args, **kwargs):
        if state.order.id != order_id or (op_type is not None and op_type not in args):
            return real(state, *args, **kwargs)
        if midway:
            real(state, *args, **kwargs)
        raise RuntimeError("a bug")

    return stand_in


@pytest.mark.parametrize("with_another_order", [True, False], ids=["beside another order", "alone"])
def test_a_write_that_fails_refuses_its_orders_ops_keeps_the_others_and_a_resend_applies(
    client, db, make_order, technician, auth_headers, monkeypatch, caplog, with_another_order
):
    broken, sound = make_order("install"), make_order("install", starts_at=WINDOW_START + timedelta(hours=3))
    headers = auth_headers(technician)
    ops = [_reached_call(broken.id), _checklist_tick(broken.id)]
    if with_another_order:
        ops[1:1] = [_reached_call(sound.id), _checklist_tick(sound.id)]
    before = counts(db, broken.id)
    monkeypatch.setattr(sync, "write", _failing_for(broken.id, sync.write, midway=True))

    results = post(client, headers, ops)

    broken_results = [r for op, r in zip(ops, results, strict=True) if op["work_order_id"] == broken.id]
    assert {(r["status"], r["code"]) for r in broken_results} == {("rejected", "internal_error")}
    assert f"writing the sync ops of work order {broken.id} failed" in caplog.text
    assert counts(db, broken.id) == before
    if with_another_order:
        assert [r["status"] for r in results[1:3]] == ["applied", "applied"]
        assert counts(db, sound.id)[2] == 2  # its two sync ops are stored
    # Nothing was lost: once the fault is mended, the phone's resend applies what was refused.
    monkeypatch.undo()
    again = post(client, headers, ops)
    expected = ["applied", "duplicate", "duplicate", "applied"] if with_another_order else ["applied", "applied"]
    assert [r["status"] for r in again] == expected


def test_an_op_that_fails_unexpectedly_refuses_it_and_its_orders_later_ops_not_the_other_orders(
    client, db, make_order, technician, auth_headers, monkeypatch, caplog
):
    broken, sound = make_order("install"), make_order("install", starts_at=WINDOW_START + timedelta(hours=3))
    ops = [
        _reached_call(broken.id),
        _checklist_tick(broken.id),
        _reached_call(sound.id),
        _checklist_tick(broken.id, "identity_confirmed"),
        _checklist_tick(sound.id),
    ]
    monkeypatch.setattr(sync, "apply", _failing_for(broken.id, sync.apply, op_type="checklist.answer"))

    results = post(client, auth_headers(technician), ops)

    assert [(r["status"], r.get("code")) for r in results] == [
        ("applied", None),
        ("rejected", "internal_error"),
        ("applied", None),
        ("rejected", "internal_error"),
        ("applied", None),
    ]
    assert f"sync op {ops[1]['op_id']} on work order {broken.id} failed" in caplog.text
    db.session.expire_all()
    ticked = db.session.scalar(select(Visit).where(Visit.work_order_id == broken.id)).checklist.get("call", {})
    assert ticked == {}  # the op before the fault applied; neither tick did
    assert list(db.session.scalar(select(Visit).where(Visit.work_order_id == sound.id)).checklist["call"]) == ["no_wei"]
