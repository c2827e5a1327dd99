"""Issue 10.5: a customer who never answers the phone does not block the door."""

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
    page.get_by_role("button", name="开始敲门计时").wait_for()

    phone.set_offline(False)
    wait_until(lambda: not outbox(page), timeout=60, message="the outbox to drain")
    steps = live_server.scalar(
        "SELECT completed_steps FROM visits WHERE work_order_id = :id ORDER BY id DESC LIMIT 1", id=order["id"]
    )
    assert "call" in str(steps)
    assert live_server.scalar("SELECT status FROM work_orders WHERE id = :id", id=order["id"]) == "en_route"
