"""The app as a new technician meets it (issue 14): nothing typed is lost, and nobody gets lost.

Every test runs at the phone viewport (360x740). "Killing" the app is closing its browser context:
the profile on disk (IndexedDB, service worker) stays, as on a phone whose app was swiped away.
"""

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.e2e.driver import STEP_DRIVERS, answer_checklist, login, open_visit, sign

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
    page = killable_phone.open()
    login(page, live_server)
    order = live_server.order("repair")
    killable_phone.context.set_offline(True)
    open_visit(page, order["number"])
    field = page.locator("article.step [data-item=fault_described]")
    field.click()
    field.press_sequentially("机顶盒无信号，客户已重启两次")
    page.wait_for_timeout(1000)  # the focus is still in the field: it never lost focus
    assert page.evaluate("document.activeElement.dataset.item") == "fault_described"
    killable_phone.kill()

    page = reopen_visit(killable_phone, live_server, order["number"])
    field = page.locator("article.step [data-item=fault_described]")
    assert field.input_value() == "机顶盒无信号，客户已重启两次"
    assert field.locator("xpath=..").get_by_test_id("draft").is_visible()
    # Leaving the restored field records it as the answer: the draft mark goes.
    field.click()
    field.blur()
    page.get_by_test_id("draft").wait_for(state="detached")
    assert "电话中了解的故障情况" not in page.get_by_test_id("missing").inner_text()


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
    page.wait_for_function(f"({INK_JS})() > {drawn // 2}")

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
    assert 0 <= box["y"] and box["y"] + box["height"] <= 740
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
