"""Issue 10, points 4–9: the technician path as the operator's standard (004) says, through the services."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from backend.aftercare.models import Complaint
from backend.aftercare.services import queue_entries
from backend.booking.models import Appointment
from backend.forms.services import orders_awaiting_forms
from backend.visits.models import VisitEvent
from backend.visits.services import latest_visit, visit_summary
from backend.workorders.models import PhoneGuidance
from tests.visits.conftest import REVISIT, WINDOW_START, knocking_ops, whole_visit_ops
from tests.visits.test_engine import _until, refused, run

DAY_BEFORE = WINDOW_START - timedelta(days=1)


def _op(op_type, at, **data):
    return {"type": op_type, "at": at, "data": data}


# --- 5. the door is not blocked by an unanswered phone ---------------------------------------


def test_the_call_step_completes_after_the_flows_unanswered_calls_and_the_door_path_works(
    db, make_order, technician, upload
):
    order = make_order("repair")
    run(db, order, technician, [_op("call.attempt", DAY_BEFORE, outcome="no_answer")])
    # One unanswered call is not enough (the flow says two): the conversation's checklist is still asked.
    error = refused(order, technician, "step.complete", {"step": "call"}, DAY_BEFORE + timedelta(minutes=1))
    assert error.code == "checklist_incomplete" and "fault_described" in error.errors["items"]
    run(
        db,
        order,
        technician,
        [
            _op("call.attempt", DAY_BEFORE + timedelta(hours=2), outcome="busy"),
            # Nobody was spoken to: none of the conversation's checklist (fault heard, time agreed…) is asked.
            _op("step.complete", DAY_BEFORE + timedelta(hours=2, minutes=1), step="call"),
        ],
    )
    visit = latest_visit(order.id)
    assert visit.completed_steps == ["call"]
    not_reached = visit.compliance["call.no_wei"]
    assert not_reached["status"] == "not_applicable"
    assert len(not_reached["evidence"]["customer_not_reached"]["unanswered_calls"]) == 2
    # At the door: the knock protocol, then the notice, end the visit no_access.
    t = WINDOW_START - timedelta(minutes=6)
    run(db, order, technician, knocking_ops(t))
    run(
        db,
        order,
        technician,
        [_op("arrive.no_access", t + timedelta(minutes=4), notice_attachment_id=upload(technician))],
    )
    assert order.status == "no_access" and latest_visit(order.id).outcome == "no_access"
    record = latest_visit(order.id).compliance
    assert record["arrive.knock_protocol"]["status"] == "verified"
    assert record["arrive.notice_left"]["status"] == "verified"


def test_a_call_that_reached_the_customer_still_needs_the_conversations_checklist(db, make_order, technician):
    order = make_order("install")
    run(
        db,
        order,
        technician,
        [
            _op("call.attempt", DAY_BEFORE, outcome="no_answer"),
            _op("call.attempt", DAY_BEFORE + timedelta(minutes=5), outcome="no_answer"),
            _op("call.attempt", DAY_BEFORE + timedelta(minutes=10), outcome="reached"),
        ],
    )
    error = refused(order, technician, "step.complete", {"step": "call"}, DAY_BEFORE + timedelta(minutes=11))
    assert error.code == "checklist_incomplete" and "install_time_agreed" in error.errors["items"]


# --- 6. knocking as 004 says: a round every 30 s for 3 minutes, then the call -----------------


def _at_the_door_unreached(db, order, technician):
    """Run the call step as unanswered (point 5), so the arrive step is current."""
    run(
        db,
        order,
        technician,
        [
            _op("call.attempt", DAY_BEFORE, outcome="no_answer"),
            _op("call.attempt", DAY_BEFORE + timedelta(hours=1), outcome="no_answer"),
            _op("step.complete", DAY_BEFORE + timedelta(hours=1, minutes=1), step="call"),
        ],
    )


DOOR = WINDOW_START - timedelta(minutes=6)


@pytest.mark.parametrize(
    ("offsets", "call_after", "missing"),
    [
        ([0, 30], 190, "6 knock rounds"),  # two rounds, then three minutes of waiting: not 30秒重复1次
        ([0, 10, 20, 30, 40, 50], 185, "30 s apart"),  # knocking every 10 s (banging, not the rhythm)
        ([0, 30, 60, 120, 150, 180], 200, "30 s apart"),  # a minute without knocking
        ([0, 30, 60, 90, 120, 150], 170, "a call to the customer 180 s after"),  # phoned before 3 minutes
    ],
)
def test_the_knock_rounds_timestamps_are_checked_against_the_flow(
    db, make_order, technician, upload, offsets, call_after, missing
):
    order = make_order("install")
    _at_the_door_unreached(db, order, technician)
    ops = [_op("arrive.knock", DOOR + timedelta(seconds=s), round=i + 1) for i, s in enumerate(offsets)]
    run(db, order, technician, [*ops, _op("call.attempt", DOOR + timedelta(seconds=call_after), outcome="busy")])
    error = refused(
        order, technician, "arrive.no_access", {"notice_attachment_id": upload(technician)}, DOOR + timedelta(minutes=5)
    )
    assert error.code == "knock_protocol_incomplete"
    assert any(missing in m for m in error.errors["knocks"]), error.errors
    assert order.status == "en_route"


def test_rounds_a_few_seconds_off_the_rhythm_are_accepted_with_their_gaps_as_evidence(
    db, make_order, technician, upload
):
    order = make_order("install")
    _at_the_door_unreached(db, order, technician)
    offsets = [0, 27, 63, 90, 118, 151]  # within ±10 s of every 30 s
    ops = [_op("arrive.knock", DOOR + timedelta(seconds=s), round=i + 1) for i, s in enumerate(offsets)]
    ops.append(_op("call.attempt", DOOR + timedelta(seconds=181), outcome="no_answer"))
    ops.append(_op("arrive.no_access", DOOR + timedelta(minutes=4), notice_attachment_id=upload(technician)))
    run(db, order, technician, ops)
    evidence = latest_visit(order.id).compliance["arrive.knock_protocol"]["evidence"]
    assert evidence["seconds_between_rounds"] == [27, 36, 27, 28, 33]
    assert evidence["knock_rounds"] == 6 and evidence["seconds_before_call"] == 181
    assert order.status == "no_access"


# --- 9. checklist answers lock when their step completes; a correction is its own event -------


def _call_step_done(db, order, technician, new_attachment):
    ops = whole_visit_ops(order.type, new_attachment)
    before, _ = _until(ops, "arrive.checkin")
    run(db, order, technician, before)


def test_answers_of_a_completed_step_are_locked(db, make_order, technician, new_attachment):
    order = make_order("install")
    _call_step_done(db, order, technician, new_attachment)
    error = refused(order, technician, "checklist.answer", {"step": "call", "item": "no_wei", "value": False})
    assert (error.status, error.code, list(error.errors)) == ("rejected", "checklist_locked", ["step"])
    assert latest_visit(order.id).checklist["call"]["no_wei"]["value"] is True


def test_a_correction_needs_a_reason_and_is_kept_with_the_answer_as_its_own_event(
    db, make_order, technician, new_attachment
):
    order = make_order("install")
    _call_step_done(db, order, technician, new_attachment)
    no_reason = {"step": "call", "item": "no_wei", "value": False}
    assert refused(order, technician, "checklist.correct", no_reason).errors["data"] == {
        "reason": ["Missing data for required field."]
    }
    assert "reason" in refused(order, technician, "checklist.correct", {**no_reason, "reason": "  "}).errors["data"]
    wrong_kind = {"step": "call", "item": "no_wei", "value": "no", "reason": "typo"}
    assert refused(order, technician, "checklist.correct", wrong_kind).code == "validation_error"
    open_step = {"step": "arrive", "item": "tools", "value": True, "reason": "x"}
    assert refused(order, technician, "checklist.correct", open_step).code == "step_not_complete"
    at = WINDOW_START - timedelta(minutes=20)
    run(db, order, technician, [_op("checklist.correct", at, **{**no_reason, "reason": "实际开口说了“喂”"})])
    answer = latest_visit(order.id).checklist["call"]["no_wei"]
    assert answer["value"] is False
    assert answer["corrections"] == [{"from": True, "to": False, "reason": "实际开口说了“喂”", "at": at.isoformat()}]
    event = db.session.scalars(
        select(VisitEvent).where(VisitEvent.work_order_id == order.id).order_by(VisitEvent.id.desc())
    ).first()
    assert event.type == "checklist.correct" and event.payload["reason"] == "实际开口说了“喂”"
    assert visit_summary(order)["visits"][-1]["checklist"]["call"]["no_wei"]["corrections"][0]["from"] is True


# --- 8. 电话指导 on the pre-visit call: fixed by phone, the appointment released ----------------


def test_a_fix_by_phone_on_the_call_closes_the_order_and_releases_the_appointment(db, make_order, technician):
    order = make_order("repair")
    appointment = db.session.scalars(select(Appointment).where(Appointment.work_order_id == order.id)).one()
    assert refused(order, technician, "call.phone_fix", {"notes": "重启机顶盒"}, DAY_BEFORE).code == "call_not_reached"
    assert "notes" in refused(order, technician, "call.phone_fix", {"notes": " "}, DAY_BEFORE).errors["data"]
    run(
        db,
        order,
        technician,
        [
            _op("call.attempt", DAY_BEFORE, outcome="reached", fault_description="无信号"),
            _op("call.phone_fix", DAY_BEFORE + timedelta(minutes=8), notes="指导客户重新插好信号线，信号恢复"),
        ],
    )
    assert order.status == "resolved_by_phone"
    assert [c.to_status for c in order.history] == ["en_route", "resolved_by_phone"]
    assert db.session.get(Appointment, appointment.id).status == "done"  # no longer holds the technician's time
    visit = latest_visit(order.id)
    assert visit.outcome == "resolved_by_phone" and visit.ended_at is not None
    guidance = db.session.scalars(select(PhoneGuidance).where(PhoneGuidance.work_order_id == order.id)).one()
    assert guidance.resolved and guidance.notes == "指导客户重新插好信号线，信号恢复"
    assert visit_summary(order)["events"][-1]["type"] == "call.phone_fix"
    assert orders_awaiting_forms() == []  # nobody came to the door: no forms to seal
    # The order is closed: the technician's later actions on it conflict.
    assert refused(order, technician, "call.attempt", {"outcome": "reached"}).code == "visit_closed"


# --- 4. unfixed work: the agreed new time recorded with it ------------------------------------


def _operate_data(result, **extra):
    return {"work_kinds": ["in_home"], "result": result, **extra}


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        (_operate_data("not_fixed"), "revisit_time_required", "revisit"),
        (
            _operate_data("needs_revisit", revisit={"start": REVISIT["end"], "end": REVISIT["start"]}),
            "revisit_window_invalid",
            "revisit",
        ),
        (
            _operate_data("not_fixed", revisit={"start": DAY_BEFORE.isoformat(), "end": WINDOW_START.isoformat()}),
            "revisit_window_invalid",
            "revisit",
        ),
        (_operate_data("fixed", revisit=REVISIT), "revisit_not_needed", "revisit"),
    ],
)
def test_unfixed_work_needs_the_agreed_new_time(db, make_order, technician, new_attachment, data, code, field):
    order = make_order("repair")
    before, _ = _until(whole_visit_ops("repair", new_attachment), "operate.record")
    run(db, order, technician, before)
    error = refused(order, technician, "operate.record", data, WINDOW_START + timedelta(minutes=30))
    assert (error.status, error.code, list(error.errors)) == ("rejected", code, [field])


def test_the_agreed_new_time_is_recorded_and_shown_in_the_visit(db, make_order, technician, new_attachment):
    order = make_order("repair")
    run(db, order, technician, whole_visit_ops("repair", new_attachment, result="not_fixed"))
    assert order.status == "needs_revisit"
    shown = visit_summary(order)["visits"][-1]["operate"]["revisit"]
    assert [datetime.fromisoformat(shown[k]) for k in ("start", "end")] == [
        datetime.fromisoformat(REVISIT[k]) for k in ("start", "end")
    ]


# --- 4. after a fix that needed follow-up, a task to contact the customer ----------------------


def _ops_with_follow_up(new_attachment, ticked):
    ops = whole_visit_ops("repair", new_attachment)
    for op in ops:
        if op["type"] == "checklist.answer" and op["data"]["item"] == "follow_up_agreed":
            op["data"]["value"] = ticked
    return ops


def test_a_fix_with_the_follow_up_agreed_opens_a_follow_up_case_for_the_team_lead(
    db, make_order, technician, new_attachment, make_user
):
    lead = make_user("manager", name="陈主管", branch="福州")
    order = make_order("repair")
    run(db, order, technician, _ops_with_follow_up(new_attachment, True))
    assert order.status == "completed"  # in the return-visit queue as every completed order
    case = db.session.scalars(select(Complaint).where(Complaint.work_order_id == order.id)).one()
    assert (case.kind, case.channel, case.status, case.owner_id) == ("follow_up", "visit", "open", lead.id)
    assert case.description.startswith("修复后主动联系客户进行确认") and case.contact_phone == "13800000000"
    # The return-visit queue shows the agreed follow-up on the order's row.
    (entry,) = queue_entries([order])
    assert entry["follow_up"] is case

    other = make_order("repair")
    run(db, other, technician, _ops_with_follow_up(new_attachment, False))
    assert db.session.scalars(select(Complaint).where(Complaint.work_order_id == other.id)).first() is None
