"""Return visits (回访) through the service layer: the queue, the script, and what a call does to the order."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from backend.aftercare import services
from backend.aftercare.models import Complaint, ReturnVisitCall
from backend.errors import Conflict, InvalidInput, NotFound
from backend.extensions import db
from backend.timeutil import LOCAL_TZ
from backend.visits.models import Visit
from backend.workorders.statemachine import transition
from tests.aftercare.conftest import COMPLETED, statuses

NEXT_MORNING = datetime(2026, 11, 24, 9, 30, tzinfo=LOCAL_TZ)


def queue(due):
    return db.session.scalars(services.return_visit_queue_query(due)).all()


def test_an_order_is_due_the_day_after_completion(completed_order):
    order = completed_order(COMPLETED)
    assert order not in queue(date(2026, 11, 23))
    assert order in queue(date(2026, 11, 24))
    assert order in queue(date(2026, 11, 30))  # still due until someone reaches the customer


def test_completion_just_before_local_midnight_is_due_the_next_local_day(completed_order):
    late = completed_order(datetime(2026, 11, 23, 23, 59, tzinfo=LOCAL_TZ))
    after_midnight = completed_order(datetime(2026, 11, 24, 0, 1, tzinfo=LOCAL_TZ))
    assert late in queue(date(2026, 11, 24))
    assert after_midnight not in queue(date(2026, 11, 24))
    assert services.queue_entries([late])[0]["due_on"] == date(2026, 11, 24)


def test_delay_is_configurable(app, completed_order):
    order = completed_order(COMPLETED)
    app.config["RETURN_VISIT_AFTER_DAYS"] = 3
    try:
        assert order not in queue(date(2026, 11, 25))
        assert order in queue(date(2026, 11, 26))
        assert services.queue_entries([order])[0]["due_on"] == date(2026, 11, 26)
    finally:
        del app.config["RETURN_VISIT_AFTER_DAYS"]


def test_queue_is_oldest_completion_first_and_only_completed_orders(completed_order):
    newer = completed_order(COMPLETED)
    older = completed_order(COMPLETED - timedelta(days=2))
    closed = completed_order(COMPLETED - timedelta(days=5))
    closed.status = "closed"
    db.session.commit()
    due = queue(date(2026, 11, 24))
    assert due.index(older) < due.index(newer)
    assert closed not in due


def test_reached_and_resolved_closes_the_order(dispatcher, completed_order):
    order = completed_order()
    sheet = services.record_return_visit(
        dispatcher, order.id, reached=True, satisfaction=5, resolved=True, notes="客户很满意", now=NEXT_MORNING
    )
    assert order.status == "closed"
    assert statuses(order)[-2:] == ["completed", "closed"]
    assert order.history[-1].actor_id == dispatcher.id
    call = sheet["call"]
    assert (call.caller_id, call.satisfied, call.order_status_after) == (dispatcher.id, True, "closed")
    assert order not in queue(date(2026, 11, 24))


def test_reached_but_not_resolved_sends_the_order_back_for_another_visit(dispatcher, completed_order):
    order = completed_order()
    sheet = services.record_return_visit(
        dispatcher, order.id, reached=True, satisfaction=2, resolved=False, notes="还是没有信号", now=NEXT_MORNING
    )
    assert order.status == "needs_revisit"
    assert sheet["call"].satisfied is False
    assert "not solved" in order.history[-1].reason


def test_unreached_attempts_are_logged_and_the_order_stays_queued(dispatcher, completed_order):
    order = completed_order()
    services.record_return_visit(dispatcher, order.id, reached=False, unreached_reason="no_answer", now=NEXT_MORNING)
    services.record_return_visit(
        dispatcher,
        order.id,
        reached=False,
        unreached_reason="not_convenient",
        notes="客户说下午再打",
        now=NEXT_MORNING + timedelta(hours=1),
    )
    assert order.status == "completed"
    entry = next(e for e in services.queue_entries(queue(date(2026, 11, 24))) if e["work_order"] is order)
    assert entry["attempts"] == 2
    assert entry["last_attempt"].unreached_reason == "not_convenient"


def test_attempts_count_only_since_the_latest_completion(dispatcher, technician, completed_order):
    order = completed_order()
    services.record_return_visit(dispatcher, order.id, reached=True, satisfaction=1, resolved=False, now=NEXT_MORNING)
    # Revisited and completed again two days later.
    for status in ("scheduled", "on_site"):
        transition(order, status, dispatcher)
    transition(order, "completed", technician).at = NEXT_MORNING + timedelta(days=2)
    db.session.commit()
    entry = services.queue_entries([order])[0]
    assert (entry["attempts"], entry["last_attempt"]) == (0, None)
    assert entry["due_on"] == date(2026, 11, 27)


@pytest.mark.parametrize(
    ("outcome", "fields"),
    [
        ({"reached": True}, {"satisfaction", "resolved"}),
        ({"reached": True, "satisfaction": 4, "resolved": True, "unreached_reason": "busy"}, {"unreached_reason"}),
        ({"reached": False}, {"unreached_reason"}),
        ({"reached": False, "unreached_reason": "busy", "satisfaction": 3}, {"satisfaction"}),
    ],
)
def test_an_outcome_that_does_not_add_up_is_refused(dispatcher, completed_order, outcome, fields):
    order = completed_order()
    with pytest.raises(InvalidInput) as refused:
        services.record_return_visit(dispatcher, order.id, **outcome)
    assert refused.value.code == "inconsistent_outcome"
    assert set(refused.value.errors["json"]) == fields
    assert order.status == "completed"
    assert db.session.query(ReturnVisitCall).filter_by(work_order_id=order.id).count() == 0


def test_only_completed_orders_get_a_return_visit(dispatcher, completed_order):
    order = completed_order()
    services.record_return_visit(dispatcher, order.id, reached=True, satisfaction=5, resolved=True)
    with pytest.raises(Conflict) as refused:
        services.record_return_visit(dispatcher, order.id, reached=True, satisfaction=5, resolved=True)
    assert refused.value.code == "not_awaiting_return_visit"


def test_unknown_order(dispatcher):
    with pytest.raises(NotFound):
        services.record_return_visit(dispatcher, 987654, reached=False, unreached_reason="busy")


def test_the_sheet_fills_the_standard_script_for_this_call(dispatcher, technician, completed_order):
    order = completed_order(customer_name="李娜", title="女士")
    sheet = services.return_visit_sheet(dispatcher, order.id, now=NEXT_MORNING)
    steps = {step["id"]: step["text"] for step in sheet["script"]}
    assert [s["id"] for s in sheet["script"]][:5] == [
        "confirm_identity",
        "introduce",
        "ask_convenient",
        "report_follow_up",
        "ask_satisfaction",
    ]
    assert steps["confirm_identity"]["zh"] == "您好，上午好！请问是李女士吗？"
    assert "鼓楼分公司" in steps["introduce"]["zh"] and "工号KF0107" in steps["introduce"]["zh"]
    assert "方便" in steps["ask_convenient"]["zh"]
    assert technician.name in steps["report_follow_up"]["zh"]
    assert "满意" in steps["ask_satisfaction"]["zh"]
    assert steps["confirm_identity"]["en"] == "Good morning! Am I speaking with Ms. 李?"
    assert all("{" not in text[lang] and "喂" not in text[lang] for text in steps.values() for lang in text)
    assert sheet["awaiting_return_visit"] is True
    assert sheet["due_on"] == date(2026, 11, 24)


def test_the_sheet_says_when_the_customer_called_what_they_reported_the_result_and_the_agents_number(
    db, dispatcher, technician, completed_order
):
    # 003: 您曾经在**日致电我们反映了**情况……我们已有跟进结果了……我的工号是**，再见！
    order = completed_order()
    order.created_at = datetime(2026, 11, 21, 19, 30, tzinfo=LOCAL_TZ)
    db.session.add(
        Visit(
            work_order_id=order.id,
            technician_id=technician.id,
            flow_type="repair",
            flow_version=1,
            result="fixed",
            operate_notes="更换机顶盒",
            ended_at=COMPLETED,
        )
    )
    db.session.commit()
    sheet = services.return_visit_sheet(dispatcher, order.id, now=NEXT_MORNING)
    steps = {step["id"]: step["text"] for step in sheet["script"]}
    assert steps["report_follow_up"]["zh"].startswith(
        "您曾经在11月21日致电我们反映了“无信号”的情况，关于这个问题，我们已有跟进结果了：故障已排除（更换机顶盒）。"
    )
    assert steps["report_follow_up"]["en"].startswith(
        "On 21 November you called us about “无信号”. We have the follow-up result: the fault was fixed (更换机顶盒)."
    )
    assert "我的工号是KF0107，再见！" in steps["closing"]["zh"]
    assert "my employee number is KF0107" in steps["closing"]["en"]


def test_the_sheet_leaves_out_a_result_not_recorded_and_a_missing_number(db, make_user, completed_order):
    caller = make_user("dispatcher", name="无工号")
    sheet = services.return_visit_sheet(caller, completed_order().id, now=NEXT_MORNING)
    steps = {step["id"]: step["text"] for step in sheet["script"]}
    assert "我们已有跟进结果了。" in steps["report_follow_up"]["zh"]  # no visit result: the sentence without it
    assert steps["closing"]["zh"].endswith("欢迎随时致电服务部，再见！")
    assert all("{" not in text[lang] and "[" not in text[lang] for text in steps.values() for lang in text)


def test_the_sheet_says_happy_new_year_in_the_season(dispatcher, completed_order):
    order = completed_order(datetime(2026, 2, 16, 10, tzinfo=LOCAL_TZ))
    sheet = services.return_visit_sheet(dispatcher, order.id, now=datetime(2026, 2, 17, 10, tzinfo=LOCAL_TZ))
    assert sheet["script"][0]["text"]["zh"].startswith("您好，新年好！")


def _follow_ups(order):
    return db.session.scalars(select(Complaint).where(Complaint.work_order_id == order.id)).all()


def test_an_unsatisfied_customer_is_not_a_silent_close_a_follow_up_case_goes_to_the_team_lead(
    dispatcher, completed_order, make_user
):
    make_user("manager", name="别处主管", branch="厦门")
    lead = make_user("manager", name="鼓楼组长", branch="鼓楼")
    order = completed_order(branch="鼓楼")
    services.record_return_visit(
        dispatcher, order.id, reached=True, satisfaction=2, resolved=True, notes="维护员态度不好", now=NEXT_MORNING
    )
    assert order.status == "closed"  # the fault is fixed
    (case,) = _follow_ups(order)
    assert (case.kind, case.channel, case.owner_id) == ("follow_up", "return_visit", lead.id)
    assert case.description == "回访：客户不满意（满意度2/5）。维护员态度不好"
    assert case.person == "张伟" and case.contact_phone == order.customer.phones[0]
    assert case.due_at == NEXT_MORNING + timedelta(hours=3)


def test_an_unsolved_problem_opens_a_follow_up_too_and_a_satisfied_one_does_not(dispatcher, completed_order):
    unsolved, fine = completed_order(), completed_order()
    services.record_return_visit(
        dispatcher, unsolved.id, reached=True, satisfaction=4, resolved=False, now=NEXT_MORNING
    )
    services.record_return_visit(dispatcher, fine.id, reached=True, satisfaction=4, resolved=True, now=NEXT_MORNING)
    assert [c.description for c in _follow_ups(unsolved)] == ["回访：问题未解决"]
    assert _follow_ups(fine) == []
