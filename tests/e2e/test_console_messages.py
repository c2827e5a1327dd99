"""The messages screen in Chromium at 1366x768: what was sent to customers, filtered by order and status."""

import datetime as dt
import re

from playwright.sync_api import expect

from backend.timeutil import LOCAL_TZ
from tests.e2e.conftest import screenshot
from tests.e2e.test_console_board import _new_order
from tests.e2e.test_console_intake import _sign_in


def _booked(server, description, hour):
    """Open an order and book it tomorrow at `hour` through the API: the booking message is recorded."""
    order = _new_order(server, description)
    day = (dt.datetime.now(LOCAL_TZ) + dt.timedelta(days=1)).date()
    status, _ = server.api(
        "POST",
        f"/api/v1/work-orders/{order['id']}/appointment",
        server.token("dispatch"),
        {
            "technician_id": server.seed["technician_id"],
            "starts_at": f"{day}T{hour:02d}:00:00+08:00",
            "ends_at": f"{day}T{hour + 1:02d}:00:00+08:00",
        },
    )
    assert status == 201
    return order


def test_the_messages_to_customers_are_listed_masked_and_filtered_by_order_and_status(live_server, desk):
    first = _booked(live_server, "电视无信号", 9)
    second = _booked(live_server, "机顶盒死机", 14)
    page = desk.new_page()
    _sign_in(page, live_server, "dispatch")
    page.get_by_role("link", name="短信").click()
    table = page.get_by_role("table")
    row = table.get_by_role("row").filter(has=page.get_by_role("button", name=f"只看工单 {first['number']} 的短信"))
    expect(row).to_contain_text("预约确认")
    expect(row).to_contain_text("137****1111")  # never the whole number on screen
    expect(row).to_contain_text("已记录（未接短信网关）")
    expect(row).to_contain_text("尝试")
    expect(table).not_to_contain_text("13700001111")
    expect(table.get_by_role("row")).to_have_count(3)  # a header and the two bookings
    screenshot(page, "console-messages")

    # The order's number shows only that order's messages.
    row.get_by_role("button", name=f"只看工单 {first['number']} 的短信").click()
    expect(page.get_by_label("工单号")).to_have_value(first["number"])
    expect(table.get_by_role("row")).to_have_count(2)
    expect(table).not_to_contain_text(second["number"])

    # From the keyboard: type another order's number, choose a status, Enter.
    filters = page.get_by_role("search", name="筛选短信")
    filters.get_by_label("工单号").fill(second["number"])
    filters.get_by_label("状态").select_option(label="发送失败")
    filters.get_by_label("工单号").press("Enter")
    expect(page.get_by_text("没有符合条件的短信")).to_be_visible()
    filters.get_by_label("状态").select_option(label="已记录（未接短信网关）")
    filters.get_by_label("工单号").press("Enter")
    expect(page.get_by_role("table")).to_contain_text(second["number"])
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(2)

    filters.get_by_role("button", name="清除筛选").click()
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(3)


def test_a_manager_reads_the_messages(live_server, desk):
    order = _booked(live_server, "电视无信号", 10)
    page = desk.new_page()
    _sign_in(page, live_server, "manager")
    page.get_by_role("link", name="短信").click()
    expect(page.get_by_role("table")).to_contain_text(order["number"])
    expect(page.get_by_role("button", name=re.compile("预约|确认"))).to_have_count(0)  # nothing to change here
