"""The standard's texts the app did not show (issue 10), shown at their step: read as a technician sees them."""

from tests.e2e.driver import STEP_DRIVERS, login, open_visit


def test_the_phone_habits_style_cues_traits_and_operate_rules_show_at_their_steps(live_server, phone, tmp_path):
    page = phone.new_page()
    login(page, live_server)
    token = live_server.token("tech")
    steps = {s["id"]: s for s in live_server.api("GET", "/api/v1/flows/repair", token)[1]["steps"]}
    open_visit(page, live_server.order("repair")["number"])

    step = page.locator("article.step[data-step=call]")
    step.locator("details.tips summary").click()
    assert "微笑着说话" in step.locator("[data-tip=phone_habits]").inner_text()
    step.get_by_test_id("style-cues").locator("summary").click()
    cues = step.get_by_test_id("style-cues").inner_text()
    assert "鸽子型（主导需求：关系）：反应慢；声音小，语速慢；友好" in cues and "老虎型" in cues
    STEP_DRIVERS["call"](page, steps["call"], tmp_path)
    STEP_DRIVERS["arrive"](page, steps["arrive"], tmp_path)

    STEP_DRIVERS["communicate"](page, steps["communicate"], tmp_path)

    operate = page.locator("article.step[data-step=operate]")
    item = operate.locator("label.check:has([data-item=obstacles_moved])").inner_text()
    assert item.startswith("提醒客户移走妨碍工作的物品")
    operate.locator("details.tips summary").click()
    operate.locator("[data-tip=difficulties]").wait_for()
    assert "尊重自己的专长" in operate.locator("[data-tip=difficulties]").inner_text()

    # Back on the communicate step, the chosen style (猫头鹰型, the driver's) shows its traits and cues.
    page.get_by_role("button", name="步骤 3: 沟通 (已完成)").click()
    tip = page.locator("article.step[data-step=communicate] .tool [data-tip=owl]")
    assert "行为特征：讲究逻辑性；完美主义" in tip.inner_text()
    assert "电话中的表现：反应慢；声音小，语速慢；不友好" in tip.inner_text()
