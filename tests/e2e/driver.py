"""Drive the technician app as a person would: tap, type, photograph, sign."""

import io
import random

from tests.e2e.conftest import screenshot

OUTBOX_COUNT_JS = """async () => {
  const db = await new Promise((ok, err) => {
    const r = indexedDB.open('doorstep');
    r.onsuccess = () => ok(r.result);
    r.onerror = err;
  });
  const ops = await new Promise((ok) => {
    const q = db.transaction('outbox').objectStore('outbox').getAll();
    q.onsuccess = () => ok(q.result);
  });
  db.close();
  return ops.map((o) => ({
    type: o.type, work_order_id: o.work_order_id, state: o.state, op_id: o.op_id, result: o.result }));
}"""


def photo_file(tmp_path, name="photo.jpg", seed=1):
    """Write a large, noisy camera-like JPEG (well over 300 KB before the app compresses it)."""
    from PIL import Image

    rng = random.Random(seed)
    img = Image.frombytes("RGB", (1600, 1200), bytes(rng.getrandbits(8) for _ in range(1600 * 1200 * 3)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=95)
    path = tmp_path / name
    path.write_bytes(buf.getvalue())
    return path


def login(page, server, username="tech"):
    """Open the app and log in; wait for the agenda and a controlling service worker."""
    page.goto(f"{server.url}/app/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", server.seed["password"])
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=visit]")
    # Predicates are functions, not expression strings: the page's CSP forbids eval, which strings need.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20000)


def outbox(page):
    """Return the ops in the app's outbox."""
    return page.evaluate(OUTBOX_COUNT_JS)


def open_visit(page, number):
    """Open a visit from the agenda."""
    page.locator(f"[data-order='{number}'] button.open").click()
    page.wait_for_selector("article.step")


def current_step(page):
    return page.locator("article.step").get_attribute("data-step")


def answer_checklist(page, step, tmp_path):
    """Answer every item of the step's checklist by its kind (linked items are the step tool's to answer)."""
    for item in step["checklist"]:
        if "record" in item:
            continue
        field = page.locator(f"article.step [data-item='{item['id']}']")
        if item["kind"] == "check":
            field.check()
        elif item["kind"] == "text":
            field.fill(f"{item['id']} 已记录")
            field.blur()
        elif item["kind"] == "number":
            field.fill("12")
            field.blur()
        elif item["kind"] == "choice":
            field.first.check()
        elif item["kind"] == "photo":
            field.set_input_files(str(photo_file(tmp_path, f"{item['id']}.jpg")))
            page.locator(f"article.step label.photo.taken:has([data-item='{item['id']}'])").wait_for()


def complete_step(page, step_id):
    """Tap "complete this step" and wait until the stepper moves on."""
    page.locator("[data-testid=complete-step]").click()
    page.wait_for_function(
        f"() => !document.querySelector('article.step[data-step={step_id}] [data-testid=complete-step]')"
    )


def do_call(page, step, tmp_path, shot=False):
    answer_checklist(page, step, tmp_path)
    if shot:
        page.locator("article.step .script").nth(1).evaluate(
            "(el) => { el.scrollIntoView({ block: 'start' }); window.scrollBy(0, -64); }"
        )
        screenshot(page, "step-call-checklist-script")
    page.locator("input[name=outcome][value=reached]").check()
    if any(item.get("record") == "call.fault_description" for item in step["checklist"]):
        page.fill("textarea[name=fault_description]", "电视没有信号")
    page.get_by_role("button", name="记录通话").click()
    page.locator("ul.log li").first.wait_for()
    complete_step(page, "call")


def check_in(page):
    """Tap "check in"; the seeded windows are at 08:00, so a run early in the day confirms the early warning."""
    page.get_by_role("button", name="到达签到").click()
    page.locator("[data-testid=checkin-warning], p.ok:has-text('已签到')").first.wait_for()
    if page.get_by_test_id("checkin-warning").count():
        page.get_by_role("button", name="仍然签到").click()
    page.get_by_text("已签到").wait_for()


def do_arrive(page, step, tmp_path):
    check_in(page)
    answer_checklist(page, step, tmp_path)
    complete_step(page, "arrive")


def do_communicate(page, step, tmp_path):
    page.fill("textarea[name=customer_description]", "客户说电视没有信号，重启机顶盒也不行")
    page.locator("input[name=style][value=owl]").check()
    page.get_by_role("button", name="保存").click()
    page.get_by_role("button", name="✓ 已记录 · 保存").wait_for()
    answer_checklist(page, step, tmp_path)
    complete_step(page, "communicate")


def do_operate(page, step, tmp_path):
    answer_checklist(page, step, tmp_path)
    page.locator("input[type=checkbox][value=equipment_replacement]").check()
    page.get_by_role("button", name="+ 添加一台更换的设备").click()
    page.get_by_label("旧序列号").fill("STB-OLD-0001")
    page.get_by_label("新序列号").fill("STB-NEW-0002")
    # Out of warranty (the default) the swapped box costs the tariff's price; the fee picker adds the rest.
    page.get_by_test_id("swap-fee").get_by_text("高清机顶盒 ¥299.00").wait_for()
    page.get_by_role("button", name="+ 添加收费项目").click()
    page.locator("select[data-fee='0']").select_option("F_CONNECTOR")
    page.locator("[data-testid=fee-total]").get_by_text("¥300.00").wait_for()
    page.locator("input[name=result][value=fixed]").check()
    # The technician signs the work record at the end of the step, then saves it.
    page.locator("canvas.sig").scroll_into_view_if_needed()
    sign(page)
    page.get_by_role("button", name="保存").click()
    page.get_by_role("button", name="✓ 已记录 · 保存").wait_for()
    page.get_by_test_id("technician-signed").wait_for()
    complete_step(page, "operate")


def sign(page):
    """Draw a signature with the finger (mouse) on the signature pad."""
    box = page.locator("canvas.sig").bounding_box()
    x, y = box["x"] + 30, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 25):
        page.mouse.move(x + i * 10, y + (15 if i % 2 else -15), steps=2)
    page.mouse.up()


def do_evaluate(page, step, tmp_path, shot=False):
    answer_checklist(page, step, tmp_path)
    for key in ("总体满意度", "准时", "态度", "专业", "整洁"):
        page.get_by_role("radio", name=f"{key} 5").click()
    for moment in ("call", "arrival", "communication", "operation"):
        page.locator(f"select[data-mot={moment}]").select_option("2")
    page.get_by_role("button", name="预览服务单和反馈单").click()
    page.get_by_role("dialog").get_by_text("预览 / PREVIEW").wait_for()
    page.get_by_role("dialog").get_by_role("button", name="返回").click()
    page.locator("canvas.sig").scroll_into_view_if_needed()
    sign(page)
    if shot:
        screenshot(page, "signature")
    page.get_by_role("button", name="提交评价").click()
    page.locator("article.step[data-step=evaluate] .tool.ok, article.step[data-step=evaluate] p.ok").first.wait_for()
    complete_step(page, "evaluate")


def do_help(page, step, tmp_path):
    answer_checklist(page, step, tmp_path)
    page.fill("textarea[name=checks]", "检查了卧室电视")
    page.get_by_role("button", name="+ 添加意向").click()
    page.get_by_label("主动宣传：递送宣传单张").check()
    page.get_by_role("button", name="保存").click()
    page.get_by_role("button", name="✓ 已记录 · 保存").wait_for()
    complete_step(page, "help")


STEP_DRIVERS = {
    "call": do_call,
    "arrive": do_arrive,
    "communicate": do_communicate,
    "operate": do_operate,
    "evaluate": do_evaluate,
    "help": do_help,
}
