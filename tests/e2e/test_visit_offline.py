"""A whole install visit and a whole repair visit done offline, the app closed midway, then synced."""

from collections import Counter

from playwright.sync_api import expect

from tests.e2e.conftest import wait_until
from tests.e2e.driver import STEP_DRIVERS, login, open_visit, outbox


def test_two_whole_visits_offline_reach_the_server_exactly_once(live_server, phone, tmp_path):
    page = phone.new_page()
    login(page, live_server)
    token = live_server.token("tech")
    flows = {kind: live_server.api("GET", f"/api/v1/flows/{kind}", token)[1] for kind in ("install", "repair")}

    phone.set_offline(True)
    for kind in ("install", "repair"):
        order = live_server.order(kind)
        open_visit(page, order["number"])
        for step in flows[kind]["steps"]:
            if step["id"] == "operate":
                # The phone closes the app in the middle of the visit; it reopens with no network.
                page.close()
                page = phone.new_page()
                page.goto(f"{live_server.url}/app/")
                open_visit(page, order["number"])
                assert page.locator("article.step").get_attribute("data-step") == "operate"
            shot = kind == "install" and step["id"] in ("call", "evaluate")
            driver = STEP_DRIVERS[step["id"]]
            driver(page, step, tmp_path, shot=shot) if shot else driver(page, step, tmp_path)
        page.get_by_role("button", name="完成上门").click()
        page.locator("[data-testid=visit-done]").wait_for()
        page.get_by_role("button", name="← 返回").click()

    queued = outbox(page)
    assert queued and all(op["state"] == "pending" for op in queued)
    assert live_server.scalar("SELECT count(*) FROM visit_events") == 0

    phone.set_offline(False)
    wait_until(lambda: not outbox(page), timeout=60, message="the outbox to drain")

    for kind in ("install", "repair"):
        order_id = live_server.order(kind)["id"]
        taken = Counter(op["type"] for op in queued if op["work_order_id"] == order_id)
        events = Counter(
            t for (t,) in live_server.rows("SELECT type FROM visit_events WHERE work_order_id = :id", id=order_id)
        )
        assert events == taken, f"{kind}: audit events differ from the actions taken"
        assert live_server.scalar("SELECT status FROM work_orders WHERE id = :id", id=order_id) == "completed"
        kinds = Counter(
            k
            for (k,) in live_server.rows("SELECT content_type FROM attachments WHERE work_order_id = :id", id=order_id)
        )
        assert kinds["image/png"] == 2  # the technician's and the customer's signatures
        assert kinds["image/jpeg"] >= 2  # photos before and after
        largest = live_server.scalar("SELECT max(size) FROM attachments WHERE content_type = 'image/jpeg'")
        assert largest <= 300 * 1024
        sealed = {k for (k,) in live_server.rows("SELECT kind FROM forms WHERE work_order_id = :id", id=order_id)}
        assert sealed == {"service", "feedback"}
    # The screens follow the drain as it ends: no visit is left marked unsynced.
    expect(page.locator("[data-testid=unsynced]")).to_have_count(0)
