"""Return visits in the console (Chromium, 1366x768): the filled script, an unreached call, then a closing one."""

import datetime as dt
import re

import sqlalchemy as sa
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_console_intake import _sign_in
from tests.e2e.test_console_manager import _visit


def _completed_days_ago(server, order_id, days):
    at = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    with server.engine.begin() as connection:
        connection.execute(sa.text("UPDATE work_orders SET status = 'completed' WHERE id = :id"), {"id": order_id})
        connection.execute(
            sa.text(
                "INSERT INTO status_changes (work_order_id, from_status, to_status, reason, at) "
                "VALUES (:id, 'on_site', 'completed', 'visit completed', :at)"
            ),
            {"id": order_id, "at": at},
        )


def _visit_fixed(server, order_id, notes):
    """Record the visit's result as the technician's sync would: fixed, with the work done."""
    with server.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO visits (work_order_id, technician_id, flow_type, flow_version, checklist, call_attempts,"
                " knocks, needs, work_kinds, equipment_swaps, materials, fees, fees_total_cents, help_checks,"
                " attachments, completed_steps, flags, compliance, result, operate_notes, ended_at)"
                " SELECT id, technician_id, type, 1, '{}', '[]', '[]', '[]', '[]', '[]', '[]', '[]', 0, '[]', '[]',"
                " '[]', '[]', '{}', 'fixed', :notes, :at FROM work_orders WHERE id = :id"
            ),
            {"id": order_id, "notes": notes, "at": dt.datetime.now(dt.UTC)},
        )


def test_a_return_visit_unreached_then_reached_and_satisfied_closes_the_order(live_server, desk):
    order = live_server.order("repair", 0)
    _completed_days_ago(live_server, order["id"], 3)
    _visit_fixed(live_server, order["id"], "更换机顶盒")
    called = dt.datetime.now(dt.UTC) - dt.timedelta(days=4)  # the customer called four days ago
    with live_server.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE work_orders SET created_at = :at WHERE id = :id"), {"id": order["id"], "at": called}
        )
    called_on = called.astimezone(dt.timezone(dt.timedelta(hours=8)))  # the day in Fuzhou
    page = desk.new_page()
    _sign_in(page, live_server, "dispatch")
    page.get_by_role("link", name="回访").click()
    page.get_by_role("button", name=f"致电 {order['number']}").click()
    sheet = page.get_by_role("form", name=re.compile("回访单"))
    expect(sheet).to_contain_text("我们的维护员李明已上门为您处理完毕")
    expect(sheet).to_contain_text("工号KF0107")
    # 003's return call, filled from the record: the day they called, what they reported, the result.
    expect(sheet).to_contain_text(f"您曾经在{called_on.month}月{called_on.day}日致电我们反映了“电视无信号”的情况")
    expect(sheet).to_contain_text("我们已有跟进结果了：故障已排除（更换机顶盒）")
    expect(sheet).to_contain_text("我的工号是KF0107，再见！")
    screenshot(page, "console-returns")

    sheet.get_by_label("未接通").check()
    sheet.get_by_label("未接通原因").select_option(label="无人接听")
    sheet.get_by_role("button", name="记录回访").click()
    expect(page.get_by_role("status")).to_contain_text("未接通")
    expect(page.get_by_role("row", name=re.compile(order["number"]))).to_contain_text("已拨1次未接通")

    page.get_by_role("button", name=f"致电 {order['number']}").click()
    sheet = page.get_by_role("form", name=re.compile("回访单"))
    expect(sheet).to_contain_text("换客服人员再次致电")  # the same agent again: the standard says another
    sheet.get_by_label("已接通").check()
    sheet.get_by_role("group", name=re.compile("满意度")).get_by_label("5").check()
    sheet.get_by_role("group", name="问题是否已解决").get_by_label("是").check()
    sheet.get_by_role("button", name="记录回访").click()
    expect(page.get_by_role("status")).to_contain_text("回访完成，工单已关闭")
    assert live_server.scalar("SELECT status FROM work_orders WHERE id = :id", id=order["id"]) == "closed"


def test_a_follow_up_the_technician_agreed_at_the_visit_is_marked_on_the_queue(live_server, desk):
    # Worked through POST /api/v1/sync as the app would, 修复后主动联系客户进行确认 ticked: the
    # visit's end opens the follow-up case the call centre sees on the order's row.
    agreed, plain = live_server.order("repair", 0), live_server.order("repair", 1)
    _visit(live_server, live_server.token("tech"), agreed, "on_time")
    with live_server.engine.begin() as connection:  # completed two days ago: the return call is due
        connection.execute(
            sa.text("UPDATE status_changes SET at = :at WHERE work_order_id = :id AND to_status = 'completed'"),
            {"id": agreed["id"], "at": dt.datetime.now(dt.UTC) - dt.timedelta(days=2)},
        )
    _completed_days_ago(live_server, plain["id"], 3)
    _visit_fixed(live_server, plain["id"], "重新接线")
    case = live_server.rows(
        "SELECT description, status FROM complaints WHERE work_order_id = :id AND kind = 'follow_up'", id=agreed["id"]
    )
    assert [tuple(row) for row in case] == [("修复后主动联系客户进行确认（上门时约定）：更换机顶盒", "open")]

    page = desk.new_page()
    _sign_in(page, live_server, "dispatch")
    page.get_by_role("link", name="回访").click()

    badge = page.get_by_role("row", name=re.compile(agreed["number"])).get_by_test_id("follow-up")
    expect(badge).to_have_text("上门时约定：修复后主动联系客户确认")
    expect(badge).to_have_attribute("title", "修复后主动联系客户进行确认（上门时约定）：更换机顶盒")
    expect(page.get_by_role("row", name=re.compile(plain["number"]))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(plain["number"])).get_by_test_id("follow-up")).to_have_count(0)
