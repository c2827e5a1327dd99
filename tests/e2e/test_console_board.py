"""The booking board in Chromium at 1366x768: book, clash, reschedule with a reason."""

import datetime as dt
import re

from playwright.sync_api import expect

from backend.timeutil import LOCAL_TZ
from tests.e2e.conftest import screenshot
from tests.e2e.test_console_intake import _sign_in


def _new_order(server, description):
    token = server.token("dispatch")
    status, customer = server.api(
        "POST",
        "/api/v1/customers",
        token,
        {
            "name": "林小红",
            "title": "女士",
            "phones": ["13700001111"],
            "address": "福州市鼓楼区杨桥路5号",
            "area": "鼓楼",
        },
    )
    assert status == 201
    status, order = server.api(
        "POST",
        "/api/v1/work-orders",
        token,
        {"customer_id": customer["id"], "type": "repair", "description": description},
    )
    assert status == 201
    return order


def _board_for_tomorrow(page, server):
    _sign_in(page, server, "dispatch")
    page.get_by_role("link", name="派工").click()
    page.get_by_role("button", name="明天").click()


def _tomorrow():
    return (dt.datetime.now(LOCAL_TZ) + dt.timedelta(days=1)).date()


def test_an_order_waiting_for_a_time_is_booked_on_a_free_window_and_reaches_the_technicians_agenda(live_server, desk):
    order = _new_order(live_server, "电视无信号，需上门")
    page = desk.new_page()
    _board_for_tomorrow(page, live_server)
    lane = page.get_by_role("region", name=re.compile("待预约工单"))
    card = lane.get_by_role("listitem").filter(has_text=order["number"])
    card.get_by_role("button", name="选择并预约").click()
    page.get_by_role("button", name=re.compile("空闲时段 李明 08:00")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("结束")).to_have_value("09:00")  # a repair visit is booked for an hour
    screenshot(page, "console-board")
    dialog.get_by_role("button", name="确认预约").click()
    expect(page.get_by_role("status")).to_contain_text(f"{order['number']} 已预约在 08:00")
    expect(page.get_by_role("button", name=f"改约 {order['number']} 08:00")).to_be_visible()

    status, agenda = live_server.api("GET", f"/api/v1/me/agenda?date={_tomorrow()}", live_server.token("tech"))
    assert status == 200
    assert [v["work_order"]["number"] for v in agenda["visits"]] == [order["number"]]


def test_two_dispatchers_booking_one_slot_one_wins_and_the_other_is_told_in_words(live_server, browser):
    first, second = _new_order(live_server, "宽带无法上网"), _new_order(live_server, "遥控器失灵")
    pages = []
    for order in (first, second):
        context = browser.new_context(viewport={"width": 1366, "height": 768}, timezone_id="Asia/Shanghai")
        page = context.new_page()
        _board_for_tomorrow(page, live_server)
        card = page.get_by_role("listitem").filter(has_text=order["number"])
        card.get_by_role("button", name="选择并预约").click()
        page.get_by_role("button", name=re.compile("空闲时段 李明 08:00")).click()
        pages.append(page)
    pages[0].get_by_role("dialog").get_by_role("button", name="确认预约").click()
    expect(pages[0].get_by_role("status")).to_contain_text("已预约在 08:00")
    loser = pages[1]
    loser.get_by_role("dialog").get_by_role("button", name="确认预约").click()
    expect(loser.get_by_role("alert")).to_contain_text("该时段已被占用")
    expect(loser.get_by_role("dialog").get_by_label("开始")).to_have_value("08:00")  # nothing typed is lost
    expect(loser.get_by_role("button", name=f"改约 {first['number']} 08:00")).to_be_attached()  # the winner shows
    for page in pages:
        page.context.close()


def test_dragging_a_booked_visit_reschedules_it_recording_who_asked_and_why(live_server, desk):
    order = _new_order(live_server, "画面马赛克")
    day = _tomorrow()
    starts = dt.datetime.combine(day, dt.time(9), tzinfo=LOCAL_TZ)
    status, _ = live_server.api(
        "POST",
        f"/api/v1/work-orders/{order['id']}/appointment",
        live_server.token("dispatch"),
        {
            "technician_id": live_server.seed["technician_id"],
            "starts_at": starts.isoformat(),
            "ends_at": (starts + dt.timedelta(hours=1)).isoformat(),
        },
    )
    assert status == 201
    page = desk.new_page()
    _board_for_tomorrow(page, live_server)
    block = page.get_by_role("button", name=f"改约 {order['number']} 09:00")
    block.drag_to(page.get_by_role("button", name=re.compile("空闲时段 李明 10:30")))
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_contain_text("改约")
    dialog.get_by_label("提出方").select_option(label="客户要求")
    dialog.get_by_label("原因").fill("客户上午不在家")
    dialog.get_by_role("button", name="确认预约").click()
    expect(page.get_by_role("button", name=f"改约 {order['number']} 10:30")).to_be_visible(
        timeout=20_000
    )  # a rescheduling PATCH and the board reload, on a loaded CI machine

    status, detail = live_server.api("GET", f"/api/v1/work-orders/{order['id']}", live_server.token("dispatch"))
    latest = max(detail["appointments"], key=lambda a: a["id"])
    assert (latest["requested_by"], latest["reason"], latest["status"]) == ("customer", "客户上午不在家", "active")


def test_the_week_view_shows_seven_days_per_technician_from_one_request_and_books_a_later_day(live_server, desk):
    order = _new_order(live_server, "宽带断线，需上门")
    today = dt.datetime.now(LOCAL_TZ).date()
    later = today + dt.timedelta(days=3)
    page = desk.new_page()
    _sign_in(page, live_server, "dispatch")
    page.get_by_role("link", name="派工").click()
    expect(page.get_by_role("heading", name=re.compile(f"派工 · {today}"))).to_be_visible()
    views = []
    page.on("request", lambda r: views.append(r.url) if "/technicians/availability" in r.url else None)
    page.locator("body").press("w")  # from the keyboard, no pointer
    expect(page.get_by_role("heading", name=re.compile(f"{today} 起一周"))).to_be_visible()
    assert len(views) == 1 and "days=7" in views[0], views  # the whole week is one request
    expect(page.get_by_role("button", name="周", exact=True)).to_have_attribute("aria-pressed", "true")
    row = page.get_by_role("group", name="李明", exact=True)
    expect(row.get_by_role("group", name=re.compile(r"^李明 \d{4}-\d\d-\d\d$"))).to_have_count(7)
    # Today's seeded visits, each in its day's cell and named with its status (coloured by it).
    seeded = live_server.order("repair", 0)
    today_cell = row.get_by_role("group", name=f"李明 {today}")
    visit = today_cell.get_by_role("button", name=re.compile(f"改约 {seeded['number']} {today} .* 已预约"))
    expect(visit).to_be_visible()
    assert "st-scheduled" in visit.locator("..").get_attribute("class")
    screenshot(page, "console-board-week")

    lane = page.get_by_role("region", name=re.compile("待预约工单"))
    lane.get_by_role("listitem").filter(has_text=order["number"]).get_by_role("button", name="选择并预约").click()
    row.get_by_role("group", name=f"李明 {later}").get_by_role(
        "button", name=re.compile(f"空闲时段 李明 {later} 08:00")
    ).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(str(later))  # the window's own day, not the board's first day
    expect(dialog.get_by_label("结束")).to_have_value("09:00")
    dialog.get_by_role("button", name="确认预约").click()
    expect(page.get_by_role("status")).to_contain_text(f"{order['number']} 已预约在 08:00")
    booked = row.get_by_role("group", name=f"李明 {later}").get_by_role(
        "button", name=re.compile(f"改约 {order['number']} {later} 08:00")
    )
    expect(booked).to_be_visible()
    starts = live_server.scalar(
        "SELECT starts_at FROM appointments WHERE work_order_id = :id AND status = 'active'", id=order["id"]
    )
    assert str(later) in str(starts)  # 08:00 in Fuzhou is 00:00 UTC, the same day

    page.locator("body").press("d")
    expect(page.get_by_role("heading", name=re.compile(f"派工 · {today}$"))).to_be_visible()
