"""The app as a new technician meets it (issue 14): nothing typed is lost, and nobody gets lost.

Every test runs at the phone viewport (360x740). "Killing" the app is closing its browser context:
the profile on disk (IndexedDB, service worker) stays, as on a phone whose app was swiped away.
"""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, screenshot
from tests.e2e.driver import STEP_DRIVERS, answer_checklist, login, open_visit, outbox, sign

SHANGHAI = ZoneInfo("Asia/Shanghai")

INK_JS = """() => {
  const c = document.querySelector('canvas.sig');
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let ink = 0;
  for (let i = 0; i < px.length; i += 4) if (px[i] < 128) ink += 1;
  return ink;
}"""


class Phone:
    """A phone whose app can be killed and reopened: a persistent Chromium profile."""

    def __init__(self, playwright, profile):
        self.playwright = playwright
        self.profile = profile
        self.context = None

    def open(self, offline=False):
        """Start the app's browser on the profile; return a fresh page."""
        self.context = self.playwright.chromium.launch_persistent_context(
            str(self.profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, **PHONE
        )
        self.context.set_offline(offline)
        return self.context.pages[0] if self.context.pages else self.context.new_page()

    def kill(self):
        """Close the whole browser context with no chance for the page to save anything on the way."""
        self.context.close()
        self.context = None


@pytest.fixture
def killable_phone(playwright, tmp_path):
    phone = Phone(playwright, tmp_path / "profile")
    yield phone
    if phone.context is not None:
        phone.context.close()


def flows_of(server):
    token = server.token("tech")
    return {kind: server.api("GET", f"/api/v1/flows/{kind}", token)[1] for kind in ("install", "repair")}


def walk_to(page, flow, last, tmp_path):
    """Do every step before `last` with the standard drivers."""
    for step in flow["steps"]:
        if step["id"] == last:
            return step
        STEP_DRIVERS[step["id"]](page, step, tmp_path)
    raise AssertionError(f"no step {last}")


def reopen_visit(phone, server, number):
    """Start the killed app again with no network, and open the visit from the agenda."""
    page = phone.open(offline=True)
    page.goto(f"{server.url}/app/")
    open_visit(page, number)
    return page


def test_checklist_text_typed_when_the_app_is_killed_is_there_on_reopening(live_server, killable_phone, tmp_path):
    flow = flows_of(live_server)["repair"]
    order = live_server.order("repair")
    page = killable_phone.open()
    login(page, live_server)
    killable_phone.context.set_offline(True)
    open_visit(page, order["number"])
    walk_to(page, flow, "operate", tmp_path)
    field = page.locator("article.step [data-item=fault_diagnosed]")
    field.click()
    field.press_sequentially("分配器接头氧化，信号衰减")
    page.wait_for_timeout(1000)  # the focus is still in the field: it never lost focus
    assert page.evaluate("document.activeElement.dataset.item") == "fault_diagnosed"
    killable_phone.kill()

    page = reopen_visit(killable_phone, live_server, order["number"])
    assert page.locator("article.step").get_attribute("data-step") == "operate"
    field = page.locator("article.step [data-item=fault_diagnosed]")
    assert field.input_value() == "分配器接头氧化，信号衰减"
    assert field.locator("xpath=..").get_by_test_id("draft").is_visible()
    # Leaving the restored field records it as the answer: the draft mark goes.
    field.click()
    field.blur()
    field.locator("xpath=..").get_by_test_id("draft").wait_for(state="detached")
    assert "严格按照技术资料" not in page.get_by_test_id("missing").inner_text()


def test_an_unsaved_evaluation_with_a_drawn_signature_survives_a_kill(live_server, killable_phone, tmp_path):
    flow = flows_of(live_server)["repair"]
    order = live_server.order("repair")
    page = killable_phone.open()
    login(page, live_server)
    killable_phone.context.set_offline(True)
    open_visit(page, order["number"])
    walk_to(page, flow, "evaluate", tmp_path)
    for key, stars in (("总体满意度", 5), ("准时", 4), ("态度", 5)):
        page.get_by_role("radio", name=f"{key} {stars}").click()
    page.locator("select[data-mot=call]").select_option("2")
    page.locator("select[data-mot=arrival]").select_option("-1")
    page.get_by_label("意见建议").fill("师傅很细心")
    page.locator("canvas.sig").scroll_into_view_if_needed()
    sign(page)
    drawn = page.evaluate(INK_JS)
    assert drawn > 100
    page.wait_for_timeout(1000)
    killable_phone.kill()

    page = reopen_visit(killable_phone, live_server, order["number"])
    assert page.locator("article.step").get_attribute("data-step") == "evaluate"
    tool = page.locator(".tool.evaluate")
    tool.get_by_test_id("draft").wait_for()
    for key, stars in (("总体满意度", 5), ("准时", 4), ("态度", 5)):
        assert page.get_by_role("radio", name=f"{key} {stars}").get_attribute("aria-checked") == "true"
    assert page.get_by_role("radio", name="专业 1").get_attribute("aria-checked") == "false"
    assert page.locator("select[data-mot=call]").input_value() == "2"
    assert page.locator("select[data-mot=arrival]").input_value() == "-1"
    assert page.get_by_label("意见建议").input_value() == "师傅很细心"
    page.wait_for_function(f"() => ({INK_JS})() > {drawn // 2}")

    # The customer finishes; the restored signature is the one submitted.
    for key in ("专业", "整洁"):
        page.get_by_role("radio", name=f"{key} 5").click()
    for moment in ("communication", "operation"):
        page.locator(f"select[data-mot={moment}]").select_option("1")
    page.get_by_role("button", name="提交评价").click()
    page.locator("article.step[data-step=evaluate] p.ok").wait_for()
    assert page.get_by_test_id("draft").count() == 0


def test_after_completing_a_step_the_next_one_is_in_view_and_focused(live_server, phone, tmp_path):
    flow = flows_of(live_server)["repair"]
    page = phone.new_page()
    login(page, live_server)
    open_visit(page, live_server.order("repair")["number"])
    for step in flow["steps"][:3]:
        STEP_DRIVERS[step["id"]](page, step, tmp_path)
        heading = page.locator("article.step h3")
        box = heading.bounding_box()
        bar = page.locator("header.top").bounding_box()
        assert bar["height"] <= box["y"] and box["y"] + box["height"] <= 740, f"after {step['id']}: {box}"
        assert page.evaluate("document.activeElement === document.querySelector('article.step h3')")


def test_the_evaluate_hint_names_what_is_missing_and_goes_there(live_server, phone, tmp_path):
    flow = flows_of(live_server)["repair"]
    page = phone.new_page()
    login(page, live_server)
    open_visit(page, live_server.order("repair")["number"])
    step = walk_to(page, flow, "evaluate", tmp_path)
    answer_checklist(page, step, tmp_path)
    hint = page.get_by_test_id("eval-missing")
    assert "客户签名" in hint.inner_text()
    for key in ("总体满意度", "准时", "态度", "专业", "整洁"):
        page.get_by_role("radio", name=f"{key} 5").click()
    page.locator("select[data-mot=call]").select_option("1")
    page.locator("select[data-mot=communication]").select_option("1")
    page.locator("canvas.sig").scroll_into_view_if_needed()
    sign(page)
    # Signed, rated: what is missing is two moment-of-truth scores, and the hint says exactly that.
    assert hint.get_by_role("button").all_inner_texts() == ["关键时刻评分：上门", "关键时刻评分：操作"]
    assert page.get_by_role("button", name="提交评价").is_disabled()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    hint.get_by_role("button", name="关键时刻评分：上门").click()
    target = page.locator("select[data-mot=arrival]")
    assert page.evaluate("document.activeElement === document.querySelector('select[data-mot=arrival]')")
    box = target.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 740
    target.select_option("2")
    page.locator("select[data-mot=operation]").select_option("2")
    assert hint.count() == 0
    assert page.get_by_role("button", name="提交评价").is_enabled()


def test_each_add_button_says_what_it_adds(live_server, phone, tmp_path):
    flow = flows_of(live_server)["repair"]
    page = phone.new_page()
    login(page, live_server)
    open_visit(page, live_server.order("repair")["number"])
    walk_to(page, flow, "operate", tmp_path)
    tool = page.locator("article.step .tool")
    adds = [t.strip() for t in tool.locator("button", has_text="+").all_inner_texts()]
    assert adds == ["+ 添加一台更换的设备", "+ 添加材料", "+ 添加收费项目"]
    legends = set(tool.locator("legend").all_inner_texts())
    kinds = set(tool.locator("fieldset:has(input[value=equipment_replacement]) label.check").all_inner_texts())
    assert not legends & kinds, f"a work kind is also a section heading: {legends & kinds}"
    # Adding a swapped device is equipment replacement: it is ticked, not asked again.
    page.get_by_role("button", name="+ 添加一台更换的设备").click()
    assert page.locator("input[type=checkbox][value=equipment_replacement]").is_checked()
    page.get_by_role("button", name="+ 添加收费项目").click()
    tool.locator("fieldset").nth(1).evaluate("(el) => { el.scrollIntoView(); window.scrollBy(0, -56); }")
    screenshot(page, "step-operate-named-buttons")


def test_the_agenda_card_shows_the_phones_own_progress_offline(live_server, phone, tmp_path):
    flow = flows_of(live_server)["install"]
    order = live_server.order("install")
    page = phone.new_page()
    login(page, live_server)
    phone.set_offline(True)
    open_visit(page, order["number"])
    walk_to(page, flow, "operate", tmp_path)
    page.get_by_role("button", name="← 返回").click()
    card = page.locator(f"[data-order='{order['number']}']")
    assert card.get_by_test_id("progress").inner_text() == "第4步 操作 · 已完成 3/6"
    assert "已预约" not in card.inner_text()
    untouched = page.locator(f"[data-order='{live_server.order('install', 1)['number']}']")
    assert untouched.get_by_test_id("progress").inner_text() == "已预约"
    # Reopened offline, the card still says where the visit stands.
    page.close()
    page = phone.new_page()
    page.goto(f"{live_server.url}/app/")
    card = page.locator(f"[data-order='{order['number']}']")
    page.wait_for_function(
        f"() => document.querySelector(\"[data-order='{order['number']}'] [data-testid=progress]\")?.textContent"
        " === '第4步 操作 · 已完成 3/6'"
    )
    screenshot(page, "agenda")


def test_a_check_in_a_day_early_is_warned_and_tomorrow_is_apart(live_server, phone, tmp_path):
    server = live_server
    moved = server.order("repair", 2)
    tomorrow = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=1)).date()
    status, body = server.api(
        "POST",
        f"/api/v1/work-orders/{moved['id']}/appointment",
        server.token("dispatch"),
        {
            "technician_id": server.seed["technician_id"],
            "starts_at": f"{tomorrow}T10:00:00+08:00",
            "ends_at": f"{tomorrow}T10:30:00+08:00",
            "requested_by": "customer",
            "reason": "客户改约明天",
        },
    )
    assert status == 201, body
    flow = flows_of(server)["repair"]
    page = phone.new_page()
    login(page, server)
    days = page.get_by_test_id("day")
    assert days.count() == 2
    assert days.nth(0).locator("h2").inner_text().startswith("今天")
    assert days.nth(1).locator("h2").inner_text().startswith("明天")
    assert days.nth(1).get_by_test_id("visit").evaluate_all("(els) => els.map((e) => e.dataset.order)") == [
        moved["number"]
    ]
    assert days.nth(0).get_by_test_id("visit").count() == len(server.seed["orders"]) - 1

    phone.set_offline(True)
    open_visit(page, moved["number"])
    STEP_DRIVERS["call"](page, flow["steps"][0], tmp_path)
    before = len(outbox(page))
    page.get_by_role("button", name="到达签到").click()
    warning = page.get_by_test_id("checkin-warning")
    assert "小时" in warning.inner_text() and "10:00" in warning.inner_text()
    assert len(outbox(page)) == before  # nothing recorded yet
    page.get_by_role("button", name="取消").click()
    assert warning.count() == 0 and len(outbox(page)) == before
    page.get_by_role("button", name="到达签到").click()
    page.get_by_role("button", name="仍然签到").click()
    page.get_by_text("已签到").wait_for()
    assert [op["type"] for op in outbox(page)][before:] == ["arrive.checkin"]


def test_the_sync_bar_counts_visits_and_what_needs_attention(live_server, phone, tmp_path):
    flow = flows_of(live_server)["repair"]
    first, second = live_server.order("repair", 0), live_server.order("repair", 1)
    page = phone.new_page()
    login(page, live_server)
    phone.set_offline(True)
    open_visit(page, first["number"])
    STEP_DRIVERS["call"](page, flow["steps"][0], tmp_path)
    page.get_by_role("button", name="← 返回").click()
    open_visit(page, second["number"])
    page.locator("article.step [data-item=no_wei]").check()
    page.get_by_role("button", name="← 返回").click()
    actions = outbox(page)
    assert len(actions) > 10
    bar = page.locator(".syncbar")
    assert bar.get_by_test_id("queued").inner_text() == "2 个上门待同步"
    assert str(len(actions)) not in bar.get_by_test_id("queued").inner_text()
    bar.get_by_text("详情").click()
    assert bar.get_by_test_id("actions-waiting").inner_text() == f"待发送的操作：{len(actions)} 个"

    # The server takes the first visit's actions and refuses the second's: one visit needs attention.
    def answer(route):
        ops = json.loads(route.request.post_data)["ops"]
        results = [
            {"op_id": op["op_id"], "status": "applied"}
            if op["work_order_id"] == first["id"]
            else {"op_id": op["op_id"], "status": "conflict", "code": "order_cancelled", "message": "cancelled"}
            for op in ops
        ]
        route.fulfill(json={"results": results, "server_time": dt.datetime.now(dt.UTC).isoformat()})

    phone.route("**/api/v1/sync", answer)
    phone.set_offline(False)
    page.get_by_role("button", name="立即同步").click()
    expect(bar.get_by_test_id("attention")).to_have_text("1 个上门需处理")
    expect(bar.get_by_test_id("queued")).to_have_text("已全部同步")
    expect(page.locator(f"[data-order='{second['number']}']").get_by_test_id("needs-attention")).to_be_visible()
    assert page.locator(f"[data-order='{first['number']}']").get_by_test_id("needs-attention").count() == 0


def test_each_question_is_asked_once_and_the_record_and_checklist_share_the_answer(live_server, phone, tmp_path):
    server = live_server
    flow = flows_of(server)["repair"]
    order = server.order("repair")
    page = phone.new_page()
    login(page, server)
    phone.set_offline(True)
    open_visit(page, order["number"])
    # The checklist no longer asks what the step's tool asks; the one question is worded by the flow.
    linked = {
        "call": ["fault_described"],
        "operate": ["kind_of_work"],
        "help": ["leaflet_handed", "other_devices_checked"],
    }
    once = {"call": "故障", "help": "宣传单"}
    for step in flow["steps"]:
        article = page.locator("article.step")
        for item in linked.get(step["id"], []):
            assert article.locator(f"[data-item={item}]").count() == 0, f"{step['id']}: {item} asked in the checklist"
        if step["id"] in once:
            assert article.locator("label", has_text=once[step["id"]]).count() == 1, f"{step['id']}: asked twice"
        if step["id"] == "operate":
            assert article.locator("legend", has_text="处理方式").count() == 1
        if step["id"] == "help":
            assert "主动找茬" in article.locator("label:has(textarea[name=checks])").inner_text()
        STEP_DRIVERS[step["id"]](page, step, tmp_path)
    phone.set_offline(False)
    page.get_by_role("button", name="立即同步").click()
    page.wait_for_function("() => document.querySelector('[data-testid=queued]').textContent === '已全部同步'")
    (checklist, calls, kinds, leaflet) = server.rows(
        "SELECT checklist, call_attempts, work_kinds, leaflet_given FROM visits WHERE work_order_id = :id",
        id=order["id"],
    )[0]
    checklist, calls, kinds = (json.loads(x) if isinstance(x, str) else x for x in (checklist, calls, kinds))
    # One answer typed once reached both: the call log and the checklist item.
    assert [c.get("fault_description") for c in calls if c["outcome"] == "reached"] == ["电视没有信号"]
    assert checklist["call"]["fault_described"]["value"] == "电视没有信号"
    assert "equipment_replacement" in kinds and checklist["operate"]["kind_of_work"]["value"] == "equipment_replaced"
    assert leaflet and checklist["help"]["leaflet_handed"]["value"] is True
    assert checklist["help"]["other_devices_checked"]["value"] is True
