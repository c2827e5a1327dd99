"""Installability, the no-access path with the knock timer, and a conflict after a dispatcher's cancel."""

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, wait_until
from tests.e2e.driver import STEP_DRIVERS, login, open_visit, outbox, photo_file


def test_the_app_is_installable_and_opens_offline(live_server, installed_phone):
    phone = installed_phone
    page = phone.new_page()
    login(page, live_server)
    cdp = phone.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert not manifest["errors"]

    phone.set_offline(True)
    page.close()
    page = phone.new_page()
    page.goto(f"{live_server.url}/app/")
    page.locator("[data-testid=visit]").first.wait_for()
    assert page.locator("[data-testid=visit]").count() == len(live_server.seed["orders"])
    assert "离线" in page.locator(".syncbar").inner_text()


def test_nobody_home_knock_timer_then_notice_left(live_server, phone, tmp_path):
    page = phone.new_page()
    page.clock.install()
    login(page, live_server)
    token = live_server.token("tech")
    flow = live_server.api("GET", "/api/v1/flows/install", token)[1]
    order = live_server.order("install", 1)
    phone.set_offline(True)
    open_visit(page, order["number"])
    STEP_DRIVERS["call"](page, flow["steps"][0], tmp_path)

    page.get_by_role("button", name="开始敲门计时").click()
    page.get_by_text("第1轮敲门").wait_for()
    page.clock.run_for(12_000)
    assert 15 <= int(page.locator("[data-testid=countdown]").inner_text().rstrip("s")) <= 19
    page.locator("[data-testid=knock]").evaluate(
        "(el) => { el.scrollIntoView({ block: 'start' }); window.scrollBy(0, -64); }"
    )
    screenshot(page, "knock-timer")
    for round_no in range(2, 7):
        page.clock.run_for(30_000)
        page.get_by_text(f"第{round_no}轮敲门").wait_for()
    assert not page.get_by_text("已敲门3分钟无人应答").is_visible()
    page.clock.run_for(30_000)
    page.get_by_text("已敲门3分钟无人应答：请致电客户。").wait_for()
    page.get_by_role("button", name="已致电：无人接听").click()
    page.locator("[data-item=notice_photo]").set_input_files(str(photo_file(tmp_path, "notice.jpg")))
    page.get_by_role("button", name="结束上门：无人在家").click()
    page.get_by_text("已留下《服务单》，等待重新预约").wait_for()

    phone.set_offline(False)
    page.clock.run_for(1000)
    wait_until(lambda: not outbox(page), timeout=60, message="the outbox to drain")
    assert live_server.scalar("SELECT status FROM work_orders WHERE id = :id", id=order["id"]) == "no_access"
    knocks = live_server.scalar(
        "SELECT count(*) FROM visit_events WHERE work_order_id = :id AND type = 'arrive.knock'", id=order["id"]
    )
    assert knocks == 6
    notices = live_server.scalar(
        "SELECT count(*) FROM attachments WHERE work_order_id = :id AND content_type = 'image/jpeg'", id=order["id"]
    )
    assert notices == 1


def test_cancelled_while_offline_shows_the_conflict_and_the_rest_still_applies(live_server, phone, tmp_path):
    page = phone.new_page()
    login(page, live_server)
    token = live_server.token("tech")
    flows = {kind: live_server.api("GET", f"/api/v1/flows/{kind}", token)[1] for kind in ("install", "repair")}
    cancelled, other = live_server.order("install", 2), live_server.order("repair", 2)

    phone.set_offline(True)
    for order in (cancelled, other):
        open_visit(page, order["number"])
        STEP_DRIVERS["call"](page, flows[order["type"]]["steps"][0], tmp_path)
        page.get_by_role("button", name="← 返回").click()
    dispatcher = live_server.token("dispatch")
    status, _ = live_server.api(
        "POST", f"/api/v1/work-orders/{cancelled['id']}/status", dispatcher, {"to": "cancelled", "reason": "客户取消"}
    )
    assert status == 200

    phone.set_offline(False)
    wait_until(
        lambda: all(op["state"] == "failed" for op in outbox(page)) and outbox(page),
        timeout=60,
        message="only refused ops to remain",
    )
    refused = outbox(page)
    assert {op["work_order_id"] for op in refused} == {cancelled["id"]}
    assert {op["result"]["code"] for op in refused} == {"order_cancelled"}
    expect(page.locator("[data-testid=refused]").first.get_by_text("调度已取消此工单")).to_be_visible()
    applied = live_server.scalar("SELECT count(*) FROM visit_events WHERE work_order_id = :id", id=other["id"])
    assert applied > 0
    assert live_server.scalar("SELECT count(*) FROM visit_events WHERE work_order_id = :id", id=cancelled["id"]) == 0


EXPIRE_TOKEN_JS = """async () => {
  const db = await new Promise((ok) => { const r = indexedDB.open('doorstep'); r.onsuccess = () => ok(r.result); });
  await new Promise((ok) => {
    const tx = db.transaction('meta', 'readwrite');
    const store = tx.objectStore('meta');
    store.get('session').onsuccess = (e) => {
      store.put({ key: 'session', value: { ...e.target.result.value, token: 'expired' } });
    };
    tx.oncomplete = ok;
  });
  db.close();
}"""


def test_expired_login_keeps_the_work_and_drains_after_logging_in_again(live_server, phone, tmp_path):
    page = phone.new_page()
    login(page, live_server)
    flow = live_server.api("GET", "/api/v1/flows/install", live_server.token("tech"))[1]
    order = live_server.order("install")
    phone.set_offline(True)
    page.evaluate(EXPIRE_TOKEN_JS)
    open_visit(page, order["number"])
    STEP_DRIVERS["call"](page, flow["steps"][0], tmp_path)
    queued = len(outbox(page))

    phone.set_offline(False)
    page.get_by_role("button", name="立即同步").click()
    page.get_by_text("登录已过期").wait_for()
    assert len(outbox(page)) == queued
    page.locator(".warn input[name=password]").fill(live_server.seed["password"])
    page.get_by_role("button", name="重新登录").click()
    wait_until(lambda: not outbox(page), timeout=30, message="the outbox to drain after logging in again")
    assert live_server.scalar("SELECT count(*) FROM visit_events WHERE work_order_id = :id", id=order["id"]) == queued


def test_english_switch(live_server, phone):
    page = phone.new_page()
    login(page, live_server)
    page.get_by_role("button", name="切换到英文").click()
    page.get_by_text("Data refreshed at").wait_for()
    assert page.evaluate("document.documentElement.lang") == "en"
