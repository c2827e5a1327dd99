"""Cases in the console (Chromium, 1366x768): a complaint opened on a call goes overdue and is escalated."""

import os
import subprocess
import sys

import sqlalchemy as sa
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, screenshot
from tests.e2e.test_console_intake import _sign_in


def _escalate(server):
    """Run the every-minute escalation job as cron would, against the server's database."""
    env = {
        **os.environ,
        "DOORSTEP_SQLALCHEMY_DATABASE_URI": server.database_url,
        "DOORSTEP_SECRET_KEY": "e2e-secret",
        "DOORSTEP_PUBLIC_BASE_URL": server.url,
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "backend", "cases", "escalate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_a_complaint_opened_on_a_call_goes_overdue_and_is_escalated_to_the_supervisor(live_server, desk):
    order = live_server.order("repair", 0)
    page = desk.new_page()
    _sign_in(page, live_server, "dispatch")
    page.get_by_role("link", name="个案/投诉").click()
    form = page.get_by_role("form", name="新建个案")
    form.get_by_label("工单编号（如有）").fill(str(order["id"]))
    form.get_by_label("事件").fill("维护员迟到一小时，没有提前打电话")
    form.get_by_label("严重程度").select_option(label="严重")
    form.get_by_role("button", name="建立个案（三小时内答复）").click()
    case = page.get_by_role("listitem").filter(has_text="维护员迟到一小时")
    expect(case).to_contain_text("待答复")
    expect(case).to_contain_text("福州市鼓楼区五四路")  # the place and the person come from the order
    expect(case).not_to_contain_text("已超时")

    # Three hours pass (the clock is the test's): the every-minute job escalates the unanswered case.
    if live_server.engine.dialect.name == "postgresql":
        four_hours_earlier = "UPDATE complaints SET due_at = due_at - interval '4 hours'"
    else:
        four_hours_earlier = "UPDATE complaints SET due_at = datetime(due_at, '-4 hours')"
    with live_server.engine.begin() as connection:
        connection.execute(sa.text(four_hours_earlier))
    assert "escalated to 陈主管" in _escalate(live_server)
    page.get_by_role("button", name="已超时").click()
    case = page.get_by_role("listitem").filter(has_text="维护员迟到一小时")
    expect(case).to_contain_text("已超时升级至陈主管")
    screenshot(page, "console-cases")

    case.get_by_label("备注").fill("已致电客户道歉，改约明天上午")
    case.get_by_role("button", name="记录答复").click()
    expect(case).to_have_count(0)  # answered: no longer overdue
    page.get_by_role("button", name="全部").click()
    expect(page.get_by_role("listitem").filter(has_text="维护员迟到一小时")).to_contain_text("已答复")
