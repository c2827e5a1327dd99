"""Issue 10.8 in the app: 电话指导 on the pre-visit call closes the order, no visit needed."""

from tests.e2e.conftest import screenshot, wait_until
from tests.e2e.driver import login, open_visit, outbox


def test_a_fix_by_phone_on_the_call_closes_the_order(live_server, phone):
    page = phone.new_page()
    login(page, live_server)
    order = live_server.order("repair", 1)
    open_visit(page, order["number"])
    assert page.locator("[data-testid=phone-fix]").count() == 0  # only once a call reached the customer
    page.locator("article.step input[name=outcome][value=reached]").check()
    page.get_by_role("button", name="记录通话").click()
    page.locator("[data-testid=phone-fix] summary").click()
    close = page.get_by_role("button", name="电话指导解决，结单")
    assert close.is_disabled()  # what the guidance fixed is asked first
    page.locator("textarea[name=phone_fix_notes]").fill("指导客户重新插好信号线，信号恢复")
    close.click()
    page.locator("[data-testid=phone-fixed]").wait_for()
    screenshot(page, "call-phone-fix")

    wait_until(lambda: not outbox(page), timeout=60, message="the outbox to drain")
    assert live_server.scalar("SELECT status FROM work_orders WHERE id = :id", id=order["id"]) == "resolved_by_phone"
    active = live_server.scalar(
        "SELECT count(*) FROM appointments WHERE work_order_id = :id AND status = 'active'", id=order["id"]
    )
    assert active == 0
