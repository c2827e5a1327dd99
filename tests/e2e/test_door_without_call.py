"""Issue 10.5 and 10.6: a customer who never answers the phone does not block the door, and the knock is 004's."""

from tests.e2e.conftest import screenshot, wait_until
from tests.e2e.driver import login, open_visit, outbox


def _log_call(page, outcome):
    page.locator(f"article.step input[name=outcome][value={outcome}]").check()
    page.get_by_role("button", name="记录通话").click()


def test_after_the_flows_unanswered_calls_the_call_step_completes_and_the_door_opens(live_server, phone):
    page = phone.new_page()
    login(page, live_server)
    order = live_server.order("repair", 1)
    phone.set_offline(True)
    open_visit(page, order["number"])

    _log_call(page, "no_answer")
    page.get_by_text("无人接听").first.wait_for()
    assert page.locator("[data-testid=complete-step]").is_disabled()
    assert not page.locator("[data-testid=door-without-call]").is_visible()

    _log_call(page, "busy")
    said = page.locator("[data-testid=door-without-call]")
    said.wait_for()
    # Said in words: why the step may now complete, and what comes next.
    assert "已拨打2次客户未接听" in said.inner_text() and "敲门" in said.inner_text()
    screenshot(page, "call-unanswered-door")
    page.locator("[data-testid=complete-step]").click()

    page.locator("article.step[data-step=arrive]").wait_for()
    # Issue 10.6: the knock prompt says the standard's two sets of three and shows the 30 s rhythm.
    rule = page.locator("[data-testid=knock-rule]").inner_text()
    assert "连续轻敲2次，每次3下" in rule and "每30秒重复1次" in rule and "3分钟后不开门则电话联系客户" in rule
    page.get_by_role("button", name="开始敲门计时").click()
    page.get_by_text("第1轮敲门 · 现在连续轻敲2次，每次3下").wait_for()
    assert "每30秒重复1次" in page.locator("[data-testid=knock-rhythm]").inner_text()
    screenshot(page, "knock-two-sets-of-three")

    phone.set_offline(False)
    wait_until(lambda: not outbox(page), timeout=60, message="the outbox to drain")
    steps = live_server.scalar(
        "SELECT completed_steps FROM visits WHERE work_order_id = :id ORDER BY id DESC LIMIT 1", id=order["id"]
    )
    assert "call" in str(steps)
    assert live_server.scalar("SELECT status FROM work_orders WHERE id = :id", id=order["id"]) == "en_route"
