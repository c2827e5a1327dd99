"""The call step as the standard says (issue 10.1, 10.2, 14.10): greet by the time of the call, address
the customer by surname + title, never show a placeholder."""

import datetime as dt
import json

from backend.timeutil import LOCAL_TZ
from tests.e2e.driver import login, open_visit

PLACEHOLDER_MARKS = ("{", "}", "[", "]", "××")


def _today_at(hour, minute=0):
    return dt.datetime.combine(dt.datetime.now(LOCAL_TZ).date(), dt.time(hour, minute), tzinfo=LOCAL_TZ)


def _scripts(page):
    return page.locator("article.step .script p").all_inner_texts()


def test_greeting_follows_the_phones_clock_and_the_call_log_keeps_it(live_server, phone):
    # The first repair visit is booked for 09:30 (上午好 for its start); the call is made at 08:30.
    page = phone.new_page()
    page.clock.install(time=_today_at(8, 30))
    login(page, live_server)
    order = live_server.order("repair", 0)
    open_visit(page, order["number"])
    greeting = page.locator("article.step .greeting")
    assert greeting.inner_text() == "早上好"

    page.locator("input[name=outcome][value=reached]").check()
    page.get_by_role("button", name="记录通话").click()
    page.locator("ul.log li").first.wait_for()

    # The screen stays open past 09:00: the greeting turns with the clock, no reload.
    page.clock.set_system_time(
        _today_at(
            9,
            0,
        )
        + dt.timedelta(seconds=1)
    )
    page.wait_for_function("() => document.querySelector('article.step .greeting').textContent === '上午好'")
    # And from 除夕 (2027-02-05) it is 新年好, from the rules the phone already holds.
    page.clock.set_system_time(dt.datetime(2027, 2, 5, 10, 0, tzinfo=LOCAL_TZ))
    page.wait_for_function("() => document.querySelector('article.step .greeting').textContent === '新年好'")

    page.clock.set_system_time(_today_at(9, 1))
    calls = None
    for _ in range(150):
        raw = live_server.scalar("SELECT call_attempts FROM visits WHERE work_order_id = :id", id=order["id"])
        calls = json.loads(raw) if isinstance(raw, str) else raw
        if calls:
            break
        page.wait_for_timeout(200)
    assert [c.get("greeting") for c in calls] == ["early_morning"]


def test_customer_is_addressed_by_surname_and_title_or_not_at_all(live_server, phone):
    page = phone.new_page()
    login(page, live_server)
    titled = live_server.order("repair", 0)  # 李四, title 先生
    untitled = live_server.order("install", 2)  # 王五, no title recorded
    assert (titled["customer"], titled["title"], untitled["customer"], untitled["title"]) == (
        "李四",
        "先生",
        "王五",
        None,
    )

    open_visit(page, titled["number"])
    opening, *_ = _scripts(page)
    assert opening.startswith("您好，李先生，我是福建广电网络鼓楼分公司的维护员李明，")
    assert "李四" not in " ".join(_scripts(page))

    page.get_by_role("button", name="返回").first.click()
    open_visit(page, untitled["number"])
    scripts = " ".join(_scripts(page))
    assert _scripts(page)[0].startswith("您好，我是福建广电网络鼓楼分公司的维护员李明，")
    assert "王五" not in scripts and "先生" not in scripts and "小姐" not in scripts
    assert not any(mark in scripts for mark in PLACEHOLDER_MARKS), scripts


def test_an_account_without_a_branch_never_shows_a_placeholder(live_server, phone):
    page = phone.new_page()
    login(page, live_server, username="nobranch")
    open_visit(page, live_server.seed["nobranch_order"]["number"])
    scripts = _scripts(page)
    assert scripts[0].startswith("您好，孙女士，我是福建广电网络的维护员周强，想了解一下您家的故障情况")
    text = " ".join(scripts) + page.locator("article.step").inner_text()
    assert not any(mark in text for mark in PLACEHOLDER_MARKS), text
    assert "分公司" not in " ".join(scripts)
