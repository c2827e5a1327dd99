"""Exports equal the JSON they export; the monthly PDF is valid and carries its headline figures."""

import csv
import io
import subprocess
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from backend.reports.exports import COLUMNS

QUERIES = {
    "overview": {},
    "series": {"kpi": "first_time_fix", "bucket": "week"},
    "technicians": {},
    "rules": {},
    "orders": {"measure": "rating.overall.4"},
}
NOV = {"from": "2026-11-01", "to": "2026-11-30"}


@pytest.fixture
def headers(make_user, auth_headers):
    return auth_headers(make_user("manager"))


def json_rows(table, body):
    """The JSON answer laid out as the export's rows (overview: headline; series: points)."""
    if table == "overview":
        return [
            {**{k: f[k] for k in COLUMNS["overview"][:5]}, **{f"previous_{k}": v for k, v in f["previous"].items()}}
            for f in body["headline"]
        ]
    if table == "series":
        return [{**p, "kpi": body["kpi"]} for p in body["points"]]
    return body


def comparable(value):
    """JSON sends days as text and rates as floats; a spreadsheet has dates and numbers."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return value


@pytest.mark.parametrize("table", list(QUERIES))
def test_xlsx_read_back_equals_the_json(client, headers, november, table):
    query = {**NOV, **QUERIES[table]}
    body = client.get(f"/api/v1/reports/{table}", query_string={**query, "page_size": 100}, headers=headers).json
    expected = json_rows(table, body)
    assert expected, table
    response = client.get(f"/api/v1/reports/{table}.xlsx", query_string=query, headers=headers)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(COLUMNS[table])
    got = [dict(zip(COLUMNS[table], (comparable(v) for v in row), strict=True)) for row in rows[1:]]
    assert got == [{c: row[c] for c in COLUMNS[table]} for row in expected]


@pytest.mark.parametrize("table", list(QUERIES))
def test_csv_equals_the_json(client, headers, november, table):
    query = {**NOV, **QUERIES[table]}
    body = client.get(f"/api/v1/reports/{table}", query_string={**query, "page_size": 100}, headers=headers).json
    response = client.get(f"/api/v1/reports/{table}.csv", query_string=query, headers=headers)
    assert response.status_code == 200 and response.content_type.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    expected = [{c: as_text(row[c]) for c in COLUMNS[table]} for row in json_rows(table, body)]
    assert [{c: as_text(number_or_text(v)) for c, v in row.items()} for row in rows] == expected


def number_or_text(text):
    try:
        return float(text)
    except ValueError:
        return text or None


def as_text(value):
    """A cell as compared: numbers by value (JSON's 10.0 is CSV's 10), None as empty."""
    if value is None:
        return ""
    return repr(float(value)) if isinstance(value, int | float) else str(value)


def test_a_formula_never_reaches_a_spreadsheet(client, headers, db, make_user):
    from tests.reports.conftest import Month, local

    m = Month(db, make_user("dispatcher"))
    m.order("F1", 1, make_user("technician"))
    m.visit("X", "F1", local(3, 10), 7, score=100, leads=[("=HYPERLINK(1)", "high")])
    from backend.reports import rollups

    rollups.rebuild(date(2026, 11, 1), date(2026, 11, 30))
    db.session.commit()
    query = {**NOV, "measure": "leads"}
    sheet = load_workbook(
        io.BytesIO(client.get("/api/v1/reports/orders.xlsx", query_string=query, headers=headers).data)
    ).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    overview = client.get("/api/v1/reports/overview.csv", query_string=NOV, headers=headers).data.decode("utf-8-sig")
    assert "=HYPERLINK" not in overview  # leads are not in the headline table; nothing to escape there


def test_the_monthly_report_pdf(client, headers, november, tmp_path):
    response = client.get(
        "/api/v1/reports/monthly.pdf", query_string={"branch": "福州", "month": "2026-11"}, headers=headers
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "report.pdf"
    path.write_bytes(response.data)
    subprocess.run(["qpdf", "--check", str(path)], check=True, capture_output=True)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    assert "福州" in text and "2026-11" in text
    # 福州's month: 9 visits, 7 of 9 on time, first-time fix 5 of 7, overall rating 28 over 7.
    assert "准时到达率" in text and "77.8%" in text
    assert "一次修复率" in text and "71.4%" in text
    assert "4.00" in text
    assert "维护员排名" in text and "林建华" in text


def test_a_month_out_of_bounds_is_refused(client, headers):
    response = client.get(
        "/api/v1/reports/monthly.pdf", query_string={"branch": "福州", "month": "2026-13"}, headers=headers
    )
    assert response.status_code == 422 and "month" in response.json["errors"]["query"]
