"""Nothing lost, nothing applied twice: a flapping network during sync, and a new app version mid-visit."""

import random
from collections import Counter

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.driver import STEP_DRIVERS, check_in, login, open_visit, outbox

RUNS = 20


@pytest.fixture
def busy_server(tmp_path):
    """A server with enough orders for one fresh order per run."""
    server = LiveServer(tmp_path, orders_per_type=RUNS // 2)
    yield server
    server.stop()


class Flaky:
    """Route handler that cuts the network at random (seeded), including after the server applied."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.outcomes = Counter()
        self.calm = False

    def __call__(self, route):
        outcome = "pass" if self.calm else self.rng.choice(["pass", "cut_before", "lose_response", "server_error"])
        self.outcomes[outcome] += 1
        if outcome == "pass":
            route.continue_()
        elif outcome == "cut_before":
            route.abort("internetdisconnected")
        elif outcome == "lose_response":
            route.fetch()  # the server gets the batch and applies it...
            route.abort("connectionreset")  # ...but its answer never reaches the phone
        else:
            route.fulfill(status=503, json={"code": "unavailable", "status": 503, "message": "try later"})


def drain_through(page, flaky, max_tries=40):
    """Keep tapping "sync now" until the outbox is empty; after many tries let the network calm down."""
    for attempt in range(max_tries):
        if not outbox(page):
            return attempt
        if attempt == max_tries // 2:
            flaky.calm = True
        page.get_by_role("button", name="立即同步").click()
        page.wait_for_timeout(150)
    raise AssertionError(f"outbox still holds {len(outbox(page))} ops")


def test_flapping_network_loses_nothing_and_applies_nothing_twice(busy_server, phone, tmp_path):
    server = busy_server
    page = phone.new_page()
    login(page, server)
    token = server.token("tech")
    flows = {kind: server.api("GET", f"/api/v1/flows/{kind}", token)[1] for kind in ("install", "repair")}
    seen = Counter()
    for run in range(RUNS):
        order = server.order("install" if run % 2 == 0 else "repair", run // 2)
        phone.set_offline(True)
        open_visit(page, order["number"])
        flow = flows[order["type"]]
        STEP_DRIVERS["call"](page, flow["steps"][0], tmp_path)
        check_in(page)
        page.get_by_role("button", name="← 返回").click()
        taken = Counter(op["type"] for op in outbox(page))

        flaky = Flaky(seed=run)
        phone.route("**/api/v1/sync", flaky)
        phone.set_offline(False)
        drain_through(page, flaky)
        phone.unroute("**/api/v1/sync")
        seen.update(flaky.outcomes)

        events = Counter(
            t for (t,) in server.rows("SELECT type FROM visit_events WHERE work_order_id = :id", id=order["id"])
        )
        assert events == taken, f"run {run}: server events differ from the actions taken"
        distinct = server.scalar(
            "SELECT count(DISTINCT op_id) FROM visit_events WHERE work_order_id = :id", id=order["id"]
        )
        assert distinct == sum(taken.values())
    assert seen["lose_response"] > 0 and seen["cut_before"] > 0 and seen["server_error"] > 0


def test_new_app_version_mid_visit_loses_nothing(tmp_path, phone):
    server = LiveServer(tmp_path, own_dist=True)
    try:
        page = phone.new_page()
        login(page, server)
        token = server.token("tech")
        flow = server.api("GET", "/api/v1/flows/repair", token)[1]
        order = server.order("repair")
        # The sync endpoint is unreachable, so the actions wait in the outbox across the update.
        phone.route("**/api/v1/sync", lambda route: route.abort("internetdisconnected"))
        open_visit(page, order["number"])
        STEP_DRIVERS["call"](page, flow["steps"][0], tmp_path)
        before = outbox(page)
        assert before

        sw = server.dist / "sw.js"
        sw.write_text(sw.read_text() + "\n// release 2\n")
        page.evaluate("navigator.serviceWorker.getRegistration('/app/').then((r) => r.update())")
        page.get_by_text("有新版本可用").wait_for(timeout=20000)
        # The new worker waits: the page still runs the old one until the technician says so.
        assert page.evaluate("navigator.serviceWorker.getRegistration('/app/').then((r) => !!r.waiting)")
        with page.expect_event("load"):
            page.get_by_role("button", name="更新").click()
        assert [op["op_id"] for op in outbox(page)] == [op["op_id"] for op in before]
        page.locator("article.step").wait_for()  # back on the same visit, at the same step
        assert page.locator("article.step").get_attribute("data-step") == "arrive"

        phone.unroute("**/api/v1/sync")
        page.get_by_role("button", name="立即同步").click()
        page.wait_for_function("() => document.querySelector('[data-testid=queued]').textContent === '已全部同步'")
        events = server.scalar("SELECT count(*) FROM visit_events WHERE work_order_id = :id", id=order["id"])
        assert events == len(before)
    finally:
        server.stop()


def test_a_poison_op_is_refused_in_words_and_the_rest_of_the_outbox_drains(live_server, phone, tmp_path):
    """A batch the server keeps failing on (5xx) must not stall the phone: the op at fault is found."""
    server = live_server
    page = phone.new_page()
    login(page, server)
    flow = server.api("GET", "/api/v1/flows/repair", server.token("tech"))[1]
    order = server.order("repair")
    phone.set_offline(True)
    open_visit(page, order["number"])
    STEP_DRIVERS["call"](page, flow["steps"][0], tmp_path)
    check_in(page)
    taken = outbox(page)
    poison = next(op for op in taken if op["type"] == "arrive.checkin")

    def fail_on_poison(route):
        if poison["op_id"] in (route.request.post_data or ""):
            route.fulfill(status=500, json={"code": "internal_error", "status": 500, "message": "boom"})
        else:
            route.continue_()

    phone.route("**/api/v1/sync", fail_on_poison)
    phone.set_offline(False)
    for _ in range(12):
        ops = outbox(page)
        if [op["state"] for op in ops] == ["failed"]:
            break
        page.get_by_role("button", name="立即同步").click()
        page.wait_for_timeout(300)
    phone.unroute("**/api/v1/sync")
    left = outbox(page)
    assert [(op["op_id"], op["state"], op["result"]["code"]) for op in left] == [
        (poison["op_id"], "failed", "server_error")
    ]
    applied = {
        op_id for (op_id,) in server.rows("SELECT op_id FROM visit_events WHERE work_order_id = :id", id=order["id"])
    }
    assert applied == {op["op_id"] for op in taken} - {poison["op_id"]}
    page.get_by_role("button", name="← 返回").click()
    assert page.get_by_text("服务器无法处理此操作").first.is_visible()
