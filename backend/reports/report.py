"""The monthly branch report: the month's figures with trend, charts drawn as inline SVG, the league table.

The figures are read first and the session closed, so WeasyPrint renders with no database
transaction open; the PDF goes through the forms' renderer (its fonts, its locked URL fetcher).
"""

from datetime import timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from backend.extensions import db
from backend.forms.render import get_renderer
from backend.reports import service

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "reports"
_env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True, undefined=StrictUndefined)

LABELS = {
    "visits": "上门次数",
    "on_time": "准时到达率",
    "arrival_standard": "提前5–10分钟到达率",
    "late": "迟到率",
    "late_without_notice": "迟到未提前致电率",
    "no_access": "无人在家率",
    "first_time_fix": "一次修复率",
    "needs_revisit": "需再次上门率",
    "rating_overall": "总体满意度(1–5)",
    "rating_punctuality": "守时(1–5)",
    "rating_attitude": "态度(1–5)",
    "rating_professionalism": "专业(1–5)",
    "rating_tidiness": "整洁(1–5)",
    "satisfied": "满意率(4–5分)",
    "declined": "拒绝评价率",
    "mot_call": "关键时刻·电话(−3…+3)",
    "mot_arrival": "关键时刻·上门(−3…+3)",
    "mot_communication": "关键时刻·沟通(−3…+3)",
    "mot_operation": "关键时刻·操作(−3…+3)",
    "compliance_score": "规范得分(0–100)",
    "leads": "销售线索",
    "return_visits_reached": "回访接通率",
    "return_visits_resolved": "回访问题解决率",
    "return_visits_satisfied": "回访满意率",
    "cases": "个案数",
    "complaints": "投诉数",
    "cases_answered_in_time": "3小时内答复率",
    "cases_overdue": "超时未答复个案",
}
CHARTS = ("on_time", "first_time_fix", "rating_overall")


def show(item) -> str:
    """Return a figure's value as printed: a rate in per cent, an average to two places, a count whole."""
    value = item["value"]
    if value is None:
        return "—"
    if item["kind"] == "rate":
        return f"{value * 100:.1f}%"
    if item["kind"] == "average":
        return f"{value:.2f}"
    return str(value)


def bar_chart(points, *, title, kind, width=520, height=150) -> Markup:
    """Return an SVG bar chart of a series' points (None: no bar), with a text alternative."""
    values = [p["value"] for p in points]
    top = {"rate": 1.0, "average": 5.0}.get(kind) or max([v for v in values if v] or [1])
    gap, left, bottom = 2, 30, 18
    bar = (width - left) / max(len(points), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img"'
        f' aria-label="{escape(title)}">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}"'
        ' stroke="#000" stroke-width="0.5"/>',
        f'<text x="0" y="10" font-size="8">{top if kind != "rate" else "100%"}</text>',
    ]
    for i, (point, value) in enumerate(zip(points, values, strict=True)):
        x = left + i * bar
        if value is not None:
            h = (height - bottom - 12) * max(value, 0) / top
            parts.append(
                f'<rect x="{x + gap / 2:.1f}" y="{height - bottom - h:.1f}"'
                f' width="{bar - gap:.1f}" height="{h:.1f}" fill="#555"/>'
            )
        if i % 5 == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 4}" font-size="7">{point["start"].strftime("%m-%d")}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def monthly_report_pdf(branch, month_start, now) -> bytes:
    """Return the PDF report of a branch for the month starting on `month_start`."""
    month_end = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    f = service.Filters(month_start, month_end, branch=branch)
    overview = service.overview(f, now)
    charts = []
    for kpi_id in CHARTS:
        points = service.series(f, kpi_id, "day", now)["points"]
        charts.append(
            {"title": LABELS[kpi_id], "svg": bar_chart(points, title=LABELS[kpi_id], kind=service.KPIS[kpi_id].kind)}
        )
    league, rules = service.league(f, now), service.rules(f, now)[:10]
    db.session.close()  # everything is read: render with no transaction (and no connection) held
    html = _env.get_template("monthly.html").render(
        branch=branch,
        month=month_start.strftime("%Y-%m"),
        overview=overview,
        labels=LABELS,
        show=show,
        charts=charts,
        league=league,
        rules=rules,
        league_kpis=("visits", "on_time", "first_time_fix", "rating_overall", "compliance_score"),
        generated=now,
    )
    return get_renderer().html_to_pdf(html, f"report-{branch}-{month_start:%Y-%m}")
