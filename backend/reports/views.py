"""HTTP: /api/v1/reports — the manager's figures, their drill-down, exports and the monthly PDF.

Managers and dispatchers read; technicians get 403. Every view only reads (no transaction on
PostgreSQL). The figures are defined in docs/kpis.md and computed in backend/reports/service.py.
"""

from datetime import date

from flask import Response
from flask.views import MethodView
from flask_smorest import Page

from backend.auth.access import login_required
from backend.extensions import Blueprint
from backend.readonly import reads_only
from backend.reports import exports, report, service
from backend.reports.schemas import (
    LeagueQuerySchema,
    LeagueRowSchema,
    MonthlyReportQuerySchema,
    OrderRowSchema,
    OrdersQuerySchema,
    OverviewSchema,
    ReportQuerySchema,
    RuleRowSchema,
    SeriesQuerySchema,
    SeriesSchema,
)
from backend.timeutil import utcnow

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/api/v1/reports",
    description="The manager's view: KPIs by branch, area, technician and type over a range (docs/kpis.md)",
)

READERS = ("manager", "dispatcher")


def filters_of(args) -> service.Filters:
    """Return the report filters of loaded query arguments."""
    return service.Filters(
        start=args["start"],
        end=args["end"],
        **{dimension: args.get(dimension) for dimension in service.DIMENSIONS},
    )


def _overview(args):
    return service.overview(filters_of(args), utcnow())


def _series(args):
    return service.series(filters_of(args), args["kpi"], args["bucket"], utcnow())


def _technicians(args):
    return service.league(filters_of(args), utcnow(), sort=args["sort"])


def _rules(args):
    return service.rules(filters_of(args), utcnow())


def _orders(args):
    f = filters_of(args)
    if "bucket" in args:  # one bar of a series: its days within the range
        first = max(f.start, args["bucket_start"])
        last = min(f.end, service.bucket_end(args["bucket_start"], args["bucket"]))
        if first > last:
            return []
        f = f.with_range(first, last)
    measure = args.get("measure") or service.measure_of(args["kpi"])
    return service.orders_behind(f, measure, utcnow())


# table -> (query schema, answer as JSON rows' source); the exports share them with the JSON views.
TABLES = {
    "overview": (ReportQuerySchema, _overview),
    "series": (SeriesQuerySchema, _series),
    "technicians": (LeagueQuerySchema, _technicians),
    "rules": (ReportQuerySchema, _rules),
    "orders": (OrdersQuerySchema, _orders),
}
_FORBIDDEN = "Technicians cannot read reports"


def report_view(query_schema, *response_args, **response_kwargs):
    """Declare a reports view: read-only, managers and dispatchers, its query schema and answer, 403 documented."""

    def decorate(view):
        for decorator in reversed(
            (
                reads_only,
                login_required(*READERS),
                blp.arguments(query_schema, location="query"),
                blp.response(200, *response_args, **response_kwargs),
                blp.alt_response(403, description=_FORBIDDEN),
            )
        ):
            view = decorator(view)
        return view

    return decorate


@blp.route("/overview")
class Overview(MethodView):
    @report_view(ReportQuerySchema, OverviewSchema)
    def get(self, args):
        """Return every headline figure of the range with the previous period's, and the distributions."""
        return _overview(args)


@blp.route("/series")
class Series(MethodView):
    @report_view(SeriesQuerySchema, SeriesSchema)
    def get(self, args):
        """Return one KPI per day, week or month of the range; every bucket is present."""
        return _series(args)


@blp.route("/technicians")
class Technicians(MethodView):
    @report_view(LeagueQuerySchema, LeagueRowSchema(many=True))
    def get(self, args):
        """Return the league table of technicians, ranked by `sort` (highest first)."""
        return _technicians(args)


@blp.route("/rules")
class Rules(MethodView):
    @report_view(ReportQuerySchema, RuleRowSchema(many=True))
    def get(self, args):
        """Return the standard's rules, most missed first, verified and self-attested apart."""
        return _rules(args)


@blp.route("/orders")
class Orders(MethodView):
    @report_view(OrdersQuerySchema, OrderRowSchema(many=True))
    @blp.paginate(Page)
    def get(self, args):
        """Return the records behind a figure (its `measure`), with their work orders, oldest day first."""
        return _orders(args)


def _export_view(table, fmt):
    schema, answer = TABLES[table]

    @report_view(schema, content_type=exports.CONTENT_TYPES[fmt])
    def get(self, args):
        rows = exports.table_rows(table, answer(args))
        body = (exports.to_csv if fmt == "csv" else exports.to_xlsx)(table, rows)
        return Response(
            body,
            content_type=exports.CONTENT_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{table}.{fmt}"', "Cache-Control": "no-store"},
        )

    get.__doc__ = f"Download the {table} table as {fmt.upper()}: the rows and columns of its JSON answer."
    return type(f"{table.title()}{fmt.title()}Export", (MethodView,), {"get": get})


for _table in TABLES:
    for _fmt in ("csv", "xlsx"):
        blp.route(f"/{_table}.{_fmt}")(_export_view(_table, _fmt))


@blp.route("/monthly.pdf")
class MonthlyReport(MethodView):
    @report_view(MonthlyReportQuerySchema, content_type="application/pdf")
    def get(self, args):
        """Return a branch's monthly report as PDF: headline figures with trend, charts, league table, rules."""
        year, month = map(int, args["month"].split("-"))
        pdf = report.monthly_report_pdf(args["branch"], date(year, month, 1), utcnow())
        return Response(
            pdf,
            mimetype="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="report-{args["month"]}.pdf"',
                "Cache-Control": "no-store",
            },
        )
