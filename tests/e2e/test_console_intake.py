"""The office console's call intake in Chromium at 1366x768, driven as a dispatcher would."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot


def _sign_in(page, server, username):
    page.goto(f"{server.url}/console/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(server.seed["password"])
    page.get_by_role("button", name="登录").click()


def _caller(server):
    token = server.token("dispatch")
    status, customer = server.api(
        "POST",
        "/api/v1/customers",
        token,
        {
            "name": "张三",
            "title": "先生",
            "phones": ["13912345678"],
            "address": "福州市台江区八一七中路88号",
            "account_no": "FZ20261203",
        },
    )
    assert status == 201
    return customer


def test_a_call_found_by_part_of_the_phone_verified_and_solved_by_phone_guidance(live_server, desk):
    customer = _caller(live_server)
    page = desk.new_page()
    _sign_in(page, live_server, "dispatch")
    expect(page.get_by_text("您好！福建广电网络客服KF0107号为您服务，请问有什么可以帮到您？")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("不知道"))).to_be_visible()

    page.get_by_role("searchbox").fill("12345")
    expect(page.get_by_text("找到 1 位客户")).to_be_visible()  # the page total, from X-Pagination
    page.get_by_role("button", name=re.compile("张三先生")).click()
    create = page.get_by_role("button", name="创建工单")
    expect(create).to_be_disabled()  # 核对客户信息 comes first
    for label in ("客户姓名", "联系电话", "装机地址", "用户账号"):
        page.get_by_label(re.compile(label)).check()
    expect(page.get_by_text("福州市台江区八一七中路88号").first).to_be_visible()
    page.get_by_label("故障类型").select_option(label="电视无信号")
    expect(page.get_by_label("工单类型")).to_have_value("repair")
    expect(page.get_by_label("工单类型").locator("option:checked")).to_have_text("维修")
    page.get_by_label("故障描述").fill("客厅电视显示无信号")
    create.click()

    expect(page.get_by_role("heading", name=re.compile("电话指导"))).to_be_visible()
    page.get_by_label("请客户拔掉机顶盒电源，等待10秒后重新插上").check()
    screenshot(page, "console-intake")
    page.get_by_role("button", name="电话指导已解决（关闭工单）").click()
    expect(page.get_by_role("status")).to_contain_text("已电话解决并关闭")

    order_id = live_server.scalar("SELECT id FROM work_orders WHERE customer_id = :c", c=customer["id"])
    status, order = live_server.api("GET", f"/api/v1/work-orders/{order_id}", live_server.token("dispatch"))
    assert order["status"] == "resolved_by_phone"
    assert order["fault_kind"] == "no_signal"
    assert order["description"] == "客厅电视显示无信号"
    assert "请客户拔掉机顶盒电源" in order["phone_guidance"][0]["notes"]
    expect(page.get_by_role("cell", name="电话解决")).to_be_visible()  # the history beside the call shows it


def test_each_role_lands_in_its_own_place_and_a_manager_reads_but_cannot_act(live_server, desk):
    _caller(live_server)
    page = desk.new_page()
    _sign_in(page, live_server, "tech")
    page.wait_for_url(f"{live_server.url}/app/")  # a technician cannot stay in the console

    page = desk.new_page()
    _sign_in(page, live_server, "manager")
    # A manager lands on the figures (经营分析), and reads the call centre's screens without acting.
    expect(page.get_by_role("link", name="经营分析")).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="来电受理").click()
    expect(page.get_by_text("经理只读")).to_be_visible()
    page.get_by_role("searchbox").fill("八一七")
    page.get_by_role("button", name=re.compile("张三先生")).click()
    for label in ("客户姓名", "联系电话", "装机地址", "用户账号"):
        page.get_by_label(re.compile(label)).check()
    expect(page.get_by_role("button", name="创建工单")).to_be_disabled()

    page.goto(f"{live_server.url}/")
    page.wait_for_url(f"{live_server.url}/console/")  # the server's address sends them back to theirs


def test_a_dispatcher_who_signs_in_on_the_technician_app_is_taken_to_the_console_signed_in(live_server, desk):
    page = desk.new_page()
    page.goto(f"{live_server.url}/app/")
    page.get_by_label("用户名").fill("dispatch")
    page.get_by_label("密码").fill(live_server.seed["password"])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/console/")
    expect(page.get_by_text("客服KF0107号为您服务")).to_be_visible()  # no second sign-in


def test_the_live_board_shows_a_synced_step_and_a_cancellation_within_five_seconds(live_server, desk):
    import datetime as dt
    import time
    import uuid

    page = desk.new_page()
    _sign_in(page, live_server, "dispatch")
    page.get_by_role("link", name="实时").click()
    first, second = live_server.order("repair", 0), live_server.order("repair", 1)
    row = page.get_by_role("row", name=re.compile(first["number"]))
    expect(row).to_contain_text("未开始")
    screenshot(page, "console-live")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    op = {
        "op_id": str(uuid.uuid4()),
        "work_order_id": first["id"],
        "type": "call.attempt",
        "at": dt.datetime.now(dt.UTC).isoformat(),
        "data": {"outcome": "reached"},
    }
    status, body = live_server.api("POST", "/api/v1/sync", live_server.token("tech"), {"device_id": "p1", "ops": [op]})
    assert status == 200 and body["results"][0]["status"] == "applied"
    started = time.monotonic()
    expect(row).to_contain_text("电话", timeout=5000)  # the technician is on the call step
    assert time.monotonic() - started < 5

    status, _ = live_server.api(
        "POST",
        f"/api/v1/work-orders/{second['id']}/status",
        live_server.token("dispatch"),
        {"to": "cancelled", "reason": "客户来电取消"},
    )
    assert status == 200
    expect(page.get_by_role("row", name=re.compile(second["number"]))).to_have_count(0, timeout=5000)
    assert page.evaluate("window.__sameDocument === true")  # shown without a reload
