"""The report tables as rows, and as CSV or XLSX files holding exactly those rows."""

import csv
import io
from datetime import date

from backend.reports.service import LEAGUE_KPIS

# The columns of each exportable table, in order; the JSON answers' rows carry the same keys.
COLUMNS = {
    "overview": (
        "kpi",
        "kind",
        "value",
        "numerator",
        "denominator",
        "previous_value",
        "previous_numerator",
        "previous_denominator",
    ),
    "series": ("start", "end", "kpi", "value", "numerator", "denominator"),
    "technicians": ("rank", "technician_id", "name", "employee_no", "branch", *LEAGUE_KPIS),
    "rules": ("rule", "verified", "attested", "missed", "not_applicable", "checked", "missed_rate"),
    "orders": (
        "record",
        "record_id",
        "day",
        "count",
        "work_order_id",
        "number",
        "type",
        "status",
        "branch",
        "area",
        "customer",
        "technician_id",
        "technician",
    ),
}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def table_rows(table, answer) -> list[dict]:
    """Return the rows of a report's JSON answer as the export lays them out."""
    if table == "overview":
        return [
            {**{k: f[k] for k in COLUMNS["overview"][:5]}, **{f"previous_{k}": v for k, v in f["previous"].items()}}
            for f in answer["headline"]
        ]
    if table == "series":
        return [{**p, "kpi": answer["kpi"]} for p in answer["points"]]
    return answer


def to_csv(table, rows) -> bytes:
    """Return the rows as CSV, UTF-8 with a byte-order mark (so spreadsheet programs read the Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS[table])
    for row in rows:
        writer.writerow([_csv_cell(row[c]) for c in COLUMNS[table]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value  # shown as text, never run
    return value


def to_xlsx(table, rows) -> bytes:
    """Return the rows as one XLSX sheet: numbers as numbers, days as dates, text always as text."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table
    sheet.append(COLUMNS[table])
    for r, row in enumerate(rows, start=2):
        for c, column in enumerate(COLUMNS[table], start=1):
            value = row[column]
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # openpyxl would take "=..." for a formula
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
