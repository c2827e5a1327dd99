"""Complaints (投诉) through the service layer: the three-hour answer rule, answering and resolving."""

from datetime import datetime, timedelta

import pytest

from backend.aftercare import services
from backend.errors import Conflict, InvalidInput, NotFound
from backend.extensions import db
from backend.timeutil import LOCAL_TZ

OPENED = datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL_TZ)


def open_case(dispatcher, order, **kw):
    kw.setdefault("channel", "phone")
    kw.setdefault("description", "维护员迟到一小时，没有提前打电话")
    kw.setdefault("now", OPENED)
    return services.open_complaint(dispatcher, work_order_id=order.id, **kw)


def overdue_at(now):
    return db.session.scalars(services.complaints_query(now=now, overdue=True)).all()


def test_a_complaint_is_due_three_hours_after_it_opens(dispatcher, completed_order):
    complaint = open_case(dispatcher, completed_order())
    assert complaint.due_at == OPENED + timedelta(hours=3)
    assert (complaint.status, complaint.opened_by_id, complaint.overdue) == ("open", dispatcher.id, False)


def test_overdue_is_flagged_only_once_the_three_hours_have_passed(dispatcher, completed_order):
    complaint = open_case(dispatcher, completed_order())
    assert complaint not in overdue_at(OPENED + timedelta(hours=3))
    assert complaint in overdue_at(OPENED + timedelta(hours=3, seconds=1))
    assert services.flag(complaint, OPENED + timedelta(hours=3, seconds=1)).overdue is True
    not_overdue = db.session.scalars(services.complaints_query(now=OPENED + timedelta(hours=4), overdue=False)).all()
    assert complaint not in not_overdue


def test_the_deadline_is_configurable(app, dispatcher, completed_order):
    app.config["COMPLAINT_ANSWER_HOURS"] = 1
    try:
        complaint = open_case(dispatcher, completed_order())
    finally:
        del app.config["COMPLAINT_ANSWER_HOURS"]
    assert complaint.due_at == OPENED + timedelta(hours=1)


def test_an_answer_in_time_clears_the_flag(dispatcher, manager, completed_order):
    complaint = open_case(dispatcher, completed_order())
    services.answer_complaint(manager, complaint.id, "已致电客户道歉，说明原因", now=OPENED + timedelta(hours=2))
    assert (complaint.status, complaint.answered_by_id, complaint.answered_late) == ("answered", manager.id, False)
    assert complaint not in overdue_at(OPENED + timedelta(hours=5))


def test_a_late_answer_is_kept_and_shows_as_late(dispatcher, completed_order):
    complaint = open_case(dispatcher, completed_order())
    services.answer_complaint(dispatcher, complaint.id, "已回复", now=OPENED + timedelta(hours=4))
    assert complaint.answered_late is True
    assert complaint not in overdue_at(OPENED + timedelta(hours=5))


def test_answered_at_once_on_the_same_call(dispatcher, completed_order):
    complaint = open_case(dispatcher, completed_order(), answer="当场致歉并解释")
    assert (complaint.status, complaint.answered_at, complaint.answer_notes) == ("answered", OPENED, "当场致歉并解释")
    assert complaint not in overdue_at(OPENED + timedelta(hours=4))


def test_resolve_after_answer(dispatcher, completed_order):
    complaint = open_case(dispatcher, completed_order())
    services.answer_complaint(dispatcher, complaint.id, "已回复", now=OPENED + timedelta(hours=1))
    services.resolve_complaint(dispatcher, complaint.id, "上门复查，问题解决，客户接受", now=OPENED + timedelta(days=1))
    assert complaint.status == "resolved"
    assert complaint.answer_notes == "已回复"
    assert complaint.resolution_notes == "上门复查，问题解决，客户接受"


def test_resolving_an_unanswered_case_answers_it_too(dispatcher, completed_order):
    complaint = open_case(dispatcher, completed_order())
    services.resolve_complaint(dispatcher, complaint.id, "电话解释后客户满意", now=OPENED + timedelta(hours=1))
    assert (complaint.answered_at, complaint.answered_by_id) == (OPENED + timedelta(hours=1), dispatcher.id)
    assert complaint.answered_late is False


def test_no_second_answer_and_nothing_after_resolution(dispatcher, completed_order):
    complaint = open_case(dispatcher, completed_order())
    services.answer_complaint(dispatcher, complaint.id, "已回复")
    with pytest.raises(Conflict) as twice:
        services.answer_complaint(dispatcher, complaint.id, "再次回复")
    assert twice.value.code == "already_answered"
    services.resolve_complaint(dispatcher, complaint.id, "解决")
    for act in (services.answer_complaint, services.resolve_complaint):
        with pytest.raises(Conflict) as refused:
            act(dispatcher, complaint.id, "again")
        assert refused.value.code == "complaint_resolved"


def test_a_complaint_needs_a_real_work_order(dispatcher):
    with pytest.raises(InvalidInput) as refused:
        services.open_complaint(dispatcher, work_order_id=424242, channel="phone", description="x")
    assert refused.value.errors == {"json": {"work_order_id": ["No work order 424242."]}}


def test_unknown_complaint(dispatcher):
    with pytest.raises(NotFound):
        services.answer_complaint(dispatcher, 999999, "x")


def test_list_is_soonest_due_first_and_filters(dispatcher, completed_order):
    order, other = completed_order(), completed_order()
    later = open_case(dispatcher, order, now=OPENED + timedelta(hours=1))
    sooner = open_case(dispatcher, other, now=OPENED)
    listed = db.session.scalars(services.complaints_query(now=OPENED)).all()
    assert listed.index(sooner) < listed.index(later)
    only_order = db.session.scalars(services.complaints_query(now=OPENED, work_order_id=order.id)).all()
    assert only_order == [later]


def test_an_overdue_case_is_escalated_to_the_branch_supervisor_once(dispatcher, completed_order, make_user):
    lead = make_user("manager", name="鼓楼组长", branch="鼓楼")
    order = completed_order(branch="鼓楼")
    late = open_case(dispatcher, order)
    answered = open_case(dispatcher, order, answer="已致电客户道歉并改约")
    assert services.escalate_overdue(now=OPENED + timedelta(hours=2, minutes=59)) == []
    escalated = services.escalate_overdue(now=OPENED + timedelta(hours=3, minutes=1))
    assert [case.id for case in escalated] == [late.id]
    assert late.escalated_to_id == lead.id and late.overdue is True
    assert answered.escalated_at is None
    assert services.escalate_overdue(now=OPENED + timedelta(hours=5)) == []  # once


def test_a_query_about_no_order_records_who_called_and_how_to_call_back(dispatcher):
    case = services.open_complaint(
        dispatcher,
        kind="query",
        channel="phone",
        description="询问宽带资费",
        person="王女士",
        contact_phone="13900001111",
        place="福州市仓山区",
        now=OPENED,
    )
    assert (case.kind, case.work_order_id, case.due_at) == ("query", None, OPENED + timedelta(hours=3))
    with pytest.raises(InvalidInput) as error:
        services.open_complaint(dispatcher, kind="query", channel="phone", description="x", now=OPENED)
    assert set(error.value.errors["json"]) == {"person", "contact_phone"}


def test_a_branch_without_a_manager_and_a_case_of_no_branch_go_to_the_first_manager(make_user):
    first = make_user("manager", name="总部主管", branch="厦门")
    make_user("manager", name="鼓楼组长", branch="鼓楼")
    gone = make_user("manager", name="离职主管", branch="福清")
    gone.active = False
    assert services.supervisor_for("福清") == first  # its only manager has left
    assert services.supervisor_for(None) == first
