"""Issue 10.9 in the app: a completed step's answers are locked; a correction takes a reason and shows."""

import json

from tests.e2e.conftest import screenshot, wait_until
from tests.e2e.driver import STEP_DRIVERS, login, open_visit, outbox


def test_a_completed_steps_answer_is_corrected_with_a_reason(live_server, phone, tmp_path):
    page = phone.new_page()
    login(page, live_server)
    token = live_server.token("tech")
    flow = live_server.api("GET", "/api/v1/flows/install", token)[1]
    order = live_server.order("install", 1)
    open_visit(page, order["number"])
    STEP_DRIVERS["call"](page, flow["steps"][0], tmp_path)
    page.locator("article.step[data-step=arrive]").wait_for()

    page.locator("ol.stepper li").first.locator("button").click()
    page.locator("[data-testid=checklist-locked]").wait_for()
    assert page.locator("article.step input[data-item=no_wei]").count() == 0  # no tick to change
    item = page.locator("[data-locked=no_wei]")
    item.get_by_role("button", name="更正").click()
    save = item.get_by_role("button", name="保存更正")
    assert save.is_disabled()  # no reason, no correction
    item.locator("input[type=checkbox]").uncheck()
    item.locator("input[name=correction_reason]").fill("实际开口说了“喂”")
    save.click()
    item.locator("[data-testid=correction]").wait_for()
    assert "实际开口说了“喂”" in item.locator("[data-testid=correction]").inner_text()
    screenshot(page, "checklist-correction")

    wait_until(lambda: not outbox(page), timeout=60, message="the outbox to drain")
    payload = live_server.scalar(
        "SELECT payload FROM visit_events WHERE work_order_id = :id AND type = 'checklist.correct'", id=order["id"]
    )
    payload = payload if isinstance(payload, dict) else json.loads(payload)  # JSON on PostgreSQL, text on SQLite
    assert payload["reason"] == "实际开口说了“喂”"
