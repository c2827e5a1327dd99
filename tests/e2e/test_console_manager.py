"""The manager's view in the console (Chromium, 1366x768).

On a server seeded by `flask seed-demo --past-month`: the overview shows last month's figures,
equal to the report API's, with every chart drawn; a figure's and a day's drill-down list
exactly the orders the API counts behind them and open one; the CSV is the table on screen and
the XLSX (the API's) has its figures; a dispatcher starts at their own branch; a technician
cannot open it. On a server whose six orders of today were worked through POST /api/v1/sync as
the app would (on time, late without notice, not fixed, nobody home): the order opened from a
figure shows its sealed forms. No page ever violates the CSP.
"""

import csv
import datetime as dt
import io
import json
import pathlib
import re
import types
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect

from backend.timeutil import LOCAL_TZ
from tests.e2e.conftest import LiveServer, screenshot
from tests.e2e.test_browser_protections import LISTEN_FOR_VIOLATIONS, _jpeg, _upload
from tests.visits.conftest import PNG, WINDOW_START, as_sync_ops, knocking_ops, whole_visit_ops

DEMO_BRANCH = "福州"  # the demo manager's branch
BRANCH = "鼓楼"  # the branch of tests/e2e/server.py's own seed


def _this_month():
    today = dt.datetime.now(LOCAL_TZ).date()
    start = today.replace(day=1)
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return start, end


def _last_month():
    end = _this_month()[0] - dt.timedelta(days=1)
    return end.replace(day=1), end


def _shifted(ops, delta):
    """Move a recorded visit (timed for the tests' fixed window) to the order's own window."""
    for op in ops:
        op["at"] = op["at"] + delta
        for key in ("window", "revisit"):  # a confirmed window, the new time agreed for unfixed work
            window = op["data"].get(key)
            if window:
                op["data"][key] = {k: (dt.datetime.fromisoformat(v) + delta).isoformat() for k, v in window.items()}
    return ops


def _visit(server, token, order, how):
    status, detail = server.api("GET", f"/api/v1/work-orders/{order['id']}", token)
    assert status == 200, detail
    starts = dt.datetime.fromisoformat(detail["appointment"]["starts_at"])
    new = lambda data=None: _upload(server, token, data or _jpeg())  # noqa: E731
    if how == "no_access":
        ops = whole_visit_ops(order["type"], new)
        ops = ops[: next(i for i, op in enumerate(ops) if op["type"] == "arrive.checkin") + 1]
        t = WINDOW_START - dt.timedelta(minutes=6)
        ops += knocking_ops(t) + [
            {"type": "arrive.no_access", "at": t + dt.timedelta(minutes=4), "data": {"notice_attachment_id": new(PNG)}},
            {"type": "visit.complete", "at": t + dt.timedelta(minutes=5), "data": {}},
        ]
    else:
        early = {"late": -4}.get(how, 7)
        result = "not_fixed" if how == "revisit" else "fixed"
        ops = whole_visit_ops(order["type"], new, arrive_minutes_early=early, result=result)
    ops = as_sync_ops(types.SimpleNamespace(id=order["id"]), _shifted(ops, starts - WINDOW_START))
    status, body = server.api("POST", "/api/v1/sync", token, {"device_id": f"e2e-manager-{how}", "ops": ops})
    assert status == 200 and all(r["status"] in ("applied", "duplicate") for r in body["results"]), [
        r for r in body["results"] if r["status"] not in ("applied", "duplicate")
    ]


@pytest.fixture(scope="module")
def worked_server(tmp_path_factory):
    """One server for the module, its six orders of today worked in four ways (the tests only read)."""
    server = LiveServer(tmp_path_factory.mktemp("manager"))
    token = server.token("tech")
    hows = {
        ("install", 0): "on_time",
        ("install", 1): "late",
        ("install", 2): "revisit",
        ("repair", 0): "on_time",
        ("repair", 1): "no_access",
        ("repair", 2): "on_time",
    }
    for (kind, index), how in hows.items():
        _visit(server, token, server.order(kind, index), how)
    yield server
    server.stop()


def _fmt(value, kind, kpi):
    """The figure as the console shows it (pwa/src/console/reports/figures.js formatValue)."""
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "count":
        return str(int(value))
    if kpi.startswith("mot_"):
        return ("+" if value > 0 else "") + f"{value:.2f}"
    if kpi == "compliance_score":
        return f"{value:.1f}"
    return f"{value:.2f}"


def _get(server, token, path, **params):
    url = f"{server.url}{path}?{urllib.parse.urlencode(params)}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def _orders_behind(server, token, measure, start, end, branch=BRANCH, **extra):
    rows, page = [], 1
    while True:
        scope = {"from": start.isoformat(), "to": end.isoformat()}
        paging = {"page": page, "page_size": 100}
        batch = _get(
            server, token, "/api/v1/reports/orders", branch=branch, measure=measure, **paging, **scope, **extra
        )
        rows += batch
        if len(batch) < 100:
            return rows
        page += 1


@pytest.fixture
def watched_desk(desk):
    """The desk context, recording every CSP violation and console error of its pages."""
    desk.add_init_script(LISTEN_FOR_VIOLATIONS)
    errors = []
    desk.on("console", lambda message: message.type == "error" and errors.append(message.text))
    desk.console_errors = errors
    return desk


def _violations(page):
    refused = [e for e in page.context.console_errors if "Content Security Policy" in e or "Refused" in e]
    return page.evaluate("() => window.__cspViolations") + refused


def _sign_in(page, server, username):
    page.goto(f"{server.url}/console/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(server.seed["password"])
    page.get_by_role("button", name="登录").click()


def test_the_overview_shows_last_months_figures_and_charts_and_opens_the_orders_behind_them(demo_server, watched_desk):
    start, end = _last_month()
    token = demo_server.token("manager")
    scope = {"branch": DEMO_BRANCH, "from": str(start), "to": str(end)}
    by_kpi = {h["kpi"]: h for h in _get(demo_server, token, "/api/v1/reports/overview", **scope)["headline"]}
    assert by_kpi["visits"]["value"] > 100  # the demo's month

    page = watched_desk.new_page()
    _sign_in(page, demo_server, "manager")
    # A manager lands on the figures: their branch, last month.
    expect(page.get_by_role("link", name="经营分析")).to_have_attribute("aria-current", "page")
    expect(page.get_by_label("分公司")).to_have_value(DEMO_BRANCH)
    expect(page.get_by_role("heading", name=f"{DEMO_BRANCH} · {start} 至 {end}")).to_be_visible()

    # Every headline figure equals the API's, formatted as the console formats it, with its trend.
    figures = page.locator(".headline .figure")
    expect(figures.first).to_be_visible()
    shown = {f.get_attribute("data-figure"): f.locator(".value").inner_text() for f in figures.all()}
    assert {"on_time", "first_time_fix", "rating_overall", "mot_arrival", "compliance_score"} <= set(shown)
    for kpi, text in shown.items():
        assert text == _fmt(by_kpi[kpi]["value"], by_kpi[kpi]["kind"], kpi), kpi
    expect(page.locator(".headline .figure[data-figure=on_time] .trend")).to_contain_text("较上期")

    # A chart per figure, each drawn: an SVG with paths, its points said in words.
    expect(page.locator(".chartcard .chart")).to_have_count(len(shown))
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chartcard .chart')]"
        ".every((c) => c.querySelectorAll('svg path').length > 3)"
    )
    label = page.locator(".chartcard[data-figure=on_time] .chart").get_attribute("aria-label")
    assert label.startswith("准时到达率：") and start.strftime("%m-%d") in label
    rules = page.locator("section[aria-labelledby=rules-h]")
    expect(rules.locator(".chart svg path").first).to_be_attached()
    expect(rules.locator("tbody tr").first).to_contain_text("提前5–10分钟到达")  # the demo's most missed
    expect(page.get_by_role("heading", name="维护员排行")).to_be_visible()
    screenshot(page, "console-manager")

    # The orders behind a figure: exactly those the API counts in it.
    expected = {
        r["number"] for r in _orders_behind(demo_server, token, by_kpi["no_access"]["measure"], start, end, DEMO_BRANCH)
    }
    assert len(expected) > 3
    page.locator(".headline .figure[data-figure=no_access]").click()
    drill = page.locator("section.drill")
    expect(drill.get_by_role("heading")).to_contain_text(f"无人在家率：{len(expected)} 张工单")
    expect(drill.get_by_role("heading")).to_be_focused()  # the keyboard is taken to the orders
    assert set(drill.locator("tbody th").all_inner_texts()) == expected

    # Open one: its timeline and compliance record.
    drill.get_by_role("button", name="打开").first.click()
    detail = page.locator("section.orderdetail")
    expect(detail.get_by_role("heading", name="上门经过")).to_be_visible()
    expect(detail.get_by_role("heading", name=re.compile("规范执行记录")).first).to_be_visible()
    expect(detail.get_by_role("heading", name="已封存表单")).to_be_visible()
    expect(detail.locator(".timeline")).to_contain_text("无人在家")
    expect(detail.locator("h3", has_text="计入此指标")).to_contain_text("无人在家")  # the visit counted
    screenshot(page, "console-manager-drill")

    # A day of a chart, through its table (the keyboard's way to the same choice): that day only.
    series = _get(demo_server, token, "/api/v1/reports/series", kpi="on_time", bucket="day", **scope)
    day = next(p for p in series["points"] if p["numerator"])
    on_that_day = _orders_behind(
        demo_server,
        token,
        by_kpi["on_time"]["measure"],
        start,
        end,
        DEMO_BRANCH,
        bucket="day",
        bucket_start=day["start"],
    )
    card = page.locator(".chartcard[data-figure=on_time]")
    card.get_by_text("数据表").click()
    label = day["start"][5:]
    card.get_by_role("row", name=label).get_by_role("button").click()
    expect(drill.get_by_role("heading")).to_contain_text(f"准时到达率 · {label}：{len(on_that_day)} 张工单")
    assert set(drill.locator("tbody th").all_inner_texts()) == {r["number"] for r in on_that_day}

    # A click on the chart itself, anywhere in a day's column, opens that day's orders.
    card.locator(".chart").click(position={"x": 240, "y": 100})
    expect(drill.get_by_role("heading")).not_to_contain_text(f"· {label}：")
    expect(drill.get_by_role("heading")).to_contain_text(re.compile(rf"准时到达率 · {start:%m}-\d\d：\d+ 张工单"))
    assert _violations(page) == []


def test_the_exports_are_the_table_on_screen(demo_server, watched_desk):
    page = watched_desk.new_page()
    _sign_in(page, demo_server, "manager")
    league = page.locator(".league")
    expect(league.locator("tbody tr").first).to_be_visible()
    with page.expect_download() as download:
        league.get_by_role("button", name="维护员排行 CSV").click()
    with open(download.value.path(), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    on_screen = [[c.inner_text() for c in row.locator("th, td").all()][:-1] for row in league.locator("tbody tr").all()]
    assert len(on_screen) == 3  # 福州's technicians
    assert rows[1:] == on_screen

    # The spreadsheet (the API's table, read back with openpyxl) has the figures on screen.
    import openpyxl

    with page.expect_download() as download:
        league.get_by_role("button", name="维护员排行 XLSX").click()
    sheet = openpyxl.load_workbook(io.BytesIO(pathlib.Path(download.value.path()).read_bytes())).active
    header, *lines = [[cell.value for cell in row] for row in sheet.iter_rows()]
    by_name = {line[header.index("name")]: dict(zip(header, line, strict=True)) for line in lines}
    kinds = {"visits": "count", "leads": "count", "rating_overall": "average", "mot_arrival": "average"}
    kinds["compliance_score"] = "average"
    columns = [th.inner_text() for th in league.locator("thead th").all()][1:-1]
    assert columns[:3] == ["上门次数", "准时到达率", "按规范提前5–10分钟到达"]
    keys = ["visits", "on_time", "arrival_standard", "late_without_notice", "no_access", "first_time_fix"]
    keys += ["needs_revisit", "rating_overall", "satisfied", "mot_arrival", "compliance_score", "leads"]
    assert len(keys) == len(columns)
    for row in on_screen:
        spreadsheet = by_name[row[0].split(". ", 1)[1].split(" (")[0]]
        for key, text in zip(keys, row[1:], strict=True):
            assert _fmt(spreadsheet[key], kinds.get(key, "rate"), key) == text, key

    # The monthly report is a PDF.
    with page.expect_download() as download:
        page.get_by_role("button", name="下载月度报告（PDF）").click()
    assert pathlib.Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    assert _violations(page) == []


def test_a_dispatcher_starts_at_their_own_branch(demo_server, watched_desk):
    page = watched_desk.new_page()
    _sign_in(page, demo_server, "dispatcher_xm")
    expect(page.get_by_role("link", name="来电受理")).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="经营分析").click()
    expect(page.get_by_label("分公司")).to_have_value("厦门")
    league = page.locator(".league")
    expect(league.locator("tbody tr")).to_have_count(2)
    names = " ".join(league.locator("tbody th").all_inner_texts())
    assert "吴国强" in names and "郑伟" in names and "林建华" not in names
    assert _violations(page) == []


def test_a_technician_cannot_open_the_reports(demo_server, watched_desk):
    start, end = _last_month()
    status, body = demo_server.api("GET", f"/api/v1/reports/overview?from={start}&to={end}", demo_server.token("tech"))
    assert status == 403, body
    page = watched_desk.new_page()
    page.goto(f"{demo_server.url}/console/#reports")
    page.get_by_label("用户名").fill("tech")
    page.get_by_label("密码").fill(demo_server.seed["password"])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/app/**")
    assert _violations(page) == []


def test_an_order_behind_a_figure_opens_with_its_sealed_forms(worked_server, watched_desk):
    start, end = _this_month()
    page = watched_desk.new_page()
    _sign_in(page, worked_server, "manager")
    page.get_by_label("月份").fill(start.strftime("%Y-%m"))
    expect(page.get_by_label("分公司")).to_have_value(BRANCH)
    figure = page.locator(".headline .figure[data-figure=no_access]")
    expect(figure.locator(".value")).to_have_text("16.7%")  # one of six
    figure.click()
    drill = page.locator("section.drill")
    expect(drill.locator("tbody tr")).to_have_count(1)
    expect(drill.locator("tbody th")).to_have_text(worked_server.order("repair", 1)["number"])
    drill.get_by_role("button", name="打开").click()
    detail = page.locator("section.orderdetail")
    expect(detail.locator(".compliance")).to_contain_text("敲门规范")
    notice = detail.get_by_role("button", name=re.compile("留单"))
    expect(notice).to_be_visible(timeout=20000)  # sealed by the job after the sync
    with page.expect_download() as download:
        notice.click()
    assert pathlib.Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    assert _violations(page) == []
