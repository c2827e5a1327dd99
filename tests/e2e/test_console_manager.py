"""The manager's view in the console (Chromium, 1366x768) over visits recorded through the sync API.

`flask seed-demo` has no past month yet, so the module's server gets today's six seeded orders
worked through POST /api/v1/sync as the app would: on time, late without notice, not fixed
(needs a revisit), nobody home (no access). The overview shows the month's figures, equal to
the report API's, with every chart drawn; a figure's drill-down lists exactly the orders the API
counts behind it and opens one; the CSV is the table on screen and the XLSX the API's; a
technician cannot open it; the CSP is never violated.
"""

import csv
import datetime as dt
import io
import json
import pathlib
import types
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect

from backend.timeutil import LOCAL_TZ
from tests.e2e.conftest import LiveServer, screenshot
from tests.e2e.test_browser_protections import LISTEN_FOR_VIOLATIONS, _jpeg, _upload
from tests.visits.conftest import PNG, WINDOW_START, as_sync_ops, whole_visit_ops

BRANCH = "鼓楼"  # the e2e server's branch (tests/e2e/server.py)


def _this_month():
    today = dt.datetime.now(LOCAL_TZ).date()
    start = today.replace(day=1)
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return start, end


def _shifted(ops, delta):
    """Move a recorded visit (timed for the tests' fixed window) to the order's own window."""
    for op in ops:
        op["at"] = op["at"] + delta
        window = op["data"].get("window")
        if window:
            op["data"]["window"] = {k: (dt.datetime.fromisoformat(v) + delta).isoformat() for k, v in window.items()}
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
        ops += [
            {"type": "arrive.knock", "at": t, "data": {"round": 1}},
            {"type": "arrive.knock", "at": t + dt.timedelta(seconds=30), "data": {"round": 2}},
            {"type": "call.attempt", "at": t + dt.timedelta(minutes=3, seconds=10), "data": {"outcome": "no_answer"}},
            {"type": "arrive.no_access", "at": t + dt.timedelta(minutes=4), "data": {"notice_attachment_id": new(PNG)}},
            {"type": "visit.complete", "at": t + dt.timedelta(minutes=5), "data": {}},
        ]
    else:
        early = {"late": -4}.get(how, 7)
        result = "not_fixed" if how == "revisit" else "fixed"
        ops = whole_visit_ops(order["type"], new, arrive_minutes_early=early, result=result)
    ops = as_sync_ops(types.SimpleNamespace(id=order["id"]), _shifted(ops, starts - WINDOW_START))
    status, body = server.api("POST", "/api/v1/sync", token, {"device_id": f"e2e-manager-{how}", "ops": ops})
    assert status == 200 and all(r["status"] in ("applied", "duplicate") for r in body["results"]), body


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


def _orders_behind(server, token, measure, start, end, **extra):
    rows, page = [], 1
    while True:
        scope = {"from": start.isoformat(), "to": end.isoformat()}
        paging = {"page": page, "page_size": 100}
        batch = _get(
            server, token, "/api/v1/reports/orders", branch=BRANCH, measure=measure, **paging, **scope, **extra
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


def test_the_overview_shows_the_months_figures_and_charts_and_opens_the_orders_behind_one(worked_server, watched_desk):
    start, end = _this_month()
    token = worked_server.token("manager")
    overview = _get(
        worked_server, token, "/api/v1/reports/overview", branch=BRANCH, **{"from": str(start), "to": str(end)}
    )
    by_kpi = {h["kpi"]: h for h in overview["headline"]}
    assert by_kpi["visits"]["value"] == 6

    page = watched_desk.new_page()
    _sign_in(page, worked_server, "manager")
    # A manager lands on the figures.
    expect(page.get_by_role("link", name="经营分析")).to_have_attribute("aria-current", "page")
    page.get_by_label("月份").fill(start.strftime("%Y-%m"))
    expect(page.get_by_label("分公司")).to_have_value(BRANCH)
    expect(page.get_by_role("heading", name=f"{BRANCH} · {start} 至 {end}")).to_be_visible()

    # Every headline figure equals the API's, formatted as the console formats it.
    figures = page.locator(".headline .figure")
    expect(figures.first).to_be_visible()
    shown = {f.get_attribute("data-figure"): f.locator(".value").inner_text() for f in figures.all()}
    assert {"on_time", "first_time_fix", "rating_overall", "mot_arrival", "compliance_score"} <= set(shown)
    for kpi, text in shown.items():
        assert text == _fmt(by_kpi[kpi]["value"], by_kpi[kpi]["kind"], kpi), kpi

    # A chart per figure, each drawn: an SVG with paths, its points said in words.
    charts = page.locator(".chartcard .chart")
    expect(charts).to_have_count(len(shown))
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chartcard .chart')]"
        ".every((c) => c.querySelectorAll('svg path').length > 3)"
    )
    label = page.locator(".chartcard[data-figure=on_time] .chart").get_attribute("aria-label")
    assert label.startswith("准时到达率：") and f"{start.strftime('%m-%d')}" in label
    expect(page.get_by_role("heading", name="维护员排行")).to_be_visible()
    expect(page.get_by_role("heading", name="最常未达标的规范")).to_be_visible()
    screenshot(page, "console-manager")

    # The orders behind a figure: exactly those the API counts in it.
    measure = by_kpi["no_access"]["measure"]
    expected = {r["number"] for r in _orders_behind(worked_server, token, measure, start, end)}
    assert len(expected) == 1
    page.locator(".headline .figure[data-figure=no_access]").click()
    drill = page.locator("section.drill")
    expect(drill.get_by_role("heading")).to_contain_text(f"{len(expected)} 张工单")
    listed = set(drill.locator("tbody th").all_inner_texts())
    assert listed == expected

    # Open one: its timeline, compliance record and sealed forms.
    drill.get_by_role("button", name="打开").first.click()
    detail = page.locator("section.orderdetail")
    expect(detail.get_by_role("heading", name="上门经过")).to_be_visible()
    expect(detail.get_by_role("heading", name="规范执行记录")).to_be_visible()
    expect(detail.get_by_role("heading", name="已封存表单")).to_be_visible()
    expect(detail).to_contain_text("无人在家")
    screenshot(page, "console-manager-drill")

    # A point of a chart, through its table (the keyboard's way to the same choice): today's
    # on-time arrivals only.
    today = dt.datetime.now(LOCAL_TZ).date()
    card = page.locator(".chartcard[data-figure=on_time]")
    card.get_by_text("数据表").click()
    card.get_by_role("row", name=today.strftime("%m-%d")).get_by_role("button").click()
    on_time = _orders_behind(worked_server, token, by_kpi["on_time"]["measure"], today, today)
    title = f"准时到达率 · {today.strftime('%m-%d')}：{len(on_time)} 张工单"
    expect(drill.get_by_role("heading")).to_contain_text(title)
    assert set(drill.locator("tbody th").all_inner_texts()) == {r["number"] for r in on_time}

    assert _violations(page) == []


def test_the_csv_export_is_the_table_on_screen(worked_server, watched_desk):
    page = watched_desk.new_page()
    _sign_in(page, worked_server, "manager")
    page.get_by_label("月份").fill(_this_month()[0].strftime("%Y-%m"))
    league = page.locator(".league")
    expect(league.locator("tbody tr").first).to_be_visible()
    with page.expect_download() as download:
        league.get_by_role("button", name="维护员排行 CSV").click()
    with open(download.value.path(), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    on_screen = [[c.inner_text() for c in row.locator("th, td").all()][:-1] for row in league.locator("tbody tr").all()]
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
    assert _violations(page) == []


def test_a_technician_cannot_open_the_reports(worked_server, watched_desk):
    start, end = _this_month()
    token = worked_server.token("tech")
    status, body = worked_server.api("GET", f"/api/v1/reports/overview?from={start}&to={end}", token)
    assert status == 403, body
    page = watched_desk.new_page()
    page.goto(f"{worked_server.url}/console/#reports")
    page.get_by_label("用户名").fill("tech")
    page.get_by_label("密码").fill(worked_server.seed["password"])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/app/**")
    assert _violations(page) == []
