"""Query parameters and response bodies of /api/v1/reports (docs/kpis.md defines the figures)."""

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backend.apifields import ORDER_TYPE_METADATA, db_id, text
from backend.reports.facts import ARRIVAL_CLASSES, SCORE_BANDS
from backend.reports.service import BUCKETS, KPIS, LEAGUE_KPIS, MAX_RANGE_DAYS, MEASURE_ROOTS, bucket_start

# Far wider than any data, and keeps "the period before" computable (no date arithmetic overflow).
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
DAY = validate.Range(min=EARLIEST, max=LATEST)
# PostgreSQL refuses NUL in any text parameter (a 500 otherwise); no name holds a control character.
PLAIN = validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="Must not contain control characters.")


def name(max_length, **kwargs):
    """Return a filter's text field: not empty, within the column's length, no control characters."""
    return text(max_length, min_length=1, validate=PLAIN, **kwargs)


class ReportQuerySchema(Schema):
    """The range (local days, both included) and the dimensions every report is filtered by."""

    start = fields.Date(
        required=True, data_key="from", validate=DAY, metadata={"description": "First local day (Asia/Shanghai)"}
    )
    end = fields.Date(required=True, data_key="to", validate=DAY, metadata={"description": "Last local day, included"})
    branch = name(64)
    area = name(64)
    technician_id = db_id(strict=False)
    type = name(32, metadata={ORDER_TYPE_METADATA: True, "description": "Work-order type"})

    @validates_schema
    def _range(self, data, **kwargs):
        if "start" in data and "end" in data:
            days = (data["end"] - data["start"]).days + 1
            if days < 1:
                raise ValidationError("Must be on or after `from`.", field_name="to")
            if days > MAX_RANGE_DAYS:
                raise ValidationError(f"At most {MAX_RANGE_DAYS} days from `from`.", field_name="to")


class SeriesQuerySchema(ReportQuerySchema):
    kpi = fields.String(required=True, validate=validate.OneOf(list(KPIS)))
    bucket = fields.String(load_default="day", validate=validate.OneOf(BUCKETS))


class LeagueQuerySchema(ReportQuerySchema):
    sort = fields.String(
        load_default="on_time",
        validate=validate.OneOf(LEAGUE_KPIS),
        metadata={"description": "The figure ranked on, highest first (no figure: last)"},
    )


def _known_measure(value):
    if value.split(".")[0] not in MEASURE_ROOTS:
        raise ValidationError("Not a measure: use a `measure` from a report's answer.")


class OrdersQuerySchema(ReportQuerySchema):
    """The drill-down: a figure's `measure` (or its `kpi`), the report's filters, optionally one bucket of a series."""

    kpi = fields.String(
        validate=validate.OneOf(list(KPIS)), metadata={"description": "A KPI id: the records its figure counts"}
    )
    measure = fields.String(
        validate=[validate.Length(min=1, max=300), PLAIN, _known_measure],
        metadata={"description": "The `measure` of a figure, bar or row, e.g. late_without_notice, rating.overall.2"},
    )
    bucket = fields.String(validate=validate.OneOf(BUCKETS))
    bucket_start = fields.Date(validate=DAY, metadata={"description": "First day of the bucket (with `bucket`)"})

    @validates_schema
    def _bucket(self, data, **kwargs):
        if ("kpi" in data) == ("measure" in data):
            raise ValidationError("Give either `measure` or `kpi`.", field_name="measure")
        if ("bucket" in data) != ("bucket_start" in data):
            missing = "bucket_start" if "bucket" in data else "bucket"
            raise ValidationError("Give `bucket` and `bucket_start` together.", field_name=missing)
        if "bucket" in data and bucket_start(data["bucket_start"], data["bucket"]) != data["bucket_start"]:
            raise ValidationError(f"Not the first day of a {data['bucket']}.", field_name="bucket_start")


class MonthlyReportQuerySchema(Schema):
    branch = name(64, required=True)
    month = fields.String(
        required=True,
        validate=validate.Regexp(r"^(20\d\d|2100)-(0[1-9]|1[0-2])$", error="A month as YYYY-MM."),
        metadata={"example": "2026-11"},
    )


class FiltersSchema(Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    branch = fields.String(allow_none=True)
    area = fields.String(allow_none=True)
    technician_id = fields.Integer(allow_none=True)
    type = fields.String(allow_none=True)


class PreviousFigureSchema(Schema):
    value = fields.Float(allow_none=True)
    numerator = fields.Integer()
    denominator = fields.Integer(allow_none=True)


class FigureSchema(Schema):
    kpi = fields.String(metadata={"description": "A KPI id of docs/kpis.md"})
    kind = fields.String(metadata={"description": "rate (numerator/denominator), average (sum/count) or count"})
    value = fields.Float(allow_none=True, metadata={"description": "None when nothing was counted"})
    numerator = fields.Integer()
    denominator = fields.Integer(allow_none=True)
    measure = fields.String(metadata={"description": "Pass to /reports/orders for the records behind the figure"})


class HeadlineSchema(FigureSchema):
    previous = fields.Nested(PreviousFigureSchema, metadata={"description": "The same figure one period earlier"})


class BarSchema(Schema):
    value = fields.Integer()
    count = fields.Integer()
    measure = fields.String()


class ScoreSchema(FigureSchema):
    key = fields.String()
    distribution = fields.List(fields.Nested(BarSchema))


class ArrivalBarSchema(Schema):
    value = fields.String(metadata={"enum": list(ARRIVAL_CLASSES)})
    count = fields.Integer()
    measure = fields.String()


class BandSchema(Schema):
    band = fields.String(metadata={"enum": [name for name, _ in SCORE_BANDS]})
    count = fields.Integer()
    measure = fields.String()


class LeadRowSchema(Schema):
    product = fields.String()
    interest = fields.String()
    count = fields.Integer()
    measure = fields.String()


class OverviewSchema(Schema):
    filters = fields.Nested(FiltersSchema)
    previous_from = fields.Date()
    previous_to = fields.Date()
    headline = fields.List(fields.Nested(HeadlineSchema))
    arrival = fields.List(fields.Nested(ArrivalBarSchema))
    ratings = fields.List(fields.Nested(ScoreSchema), metadata={"description": "1-5; declined evaluations excluded"})
    mot = fields.List(fields.Nested(ScoreSchema), metadata={"description": "-3..+3 per moment of truth"})
    compliance_bands = fields.List(fields.Nested(BandSchema))
    leads = fields.List(fields.Nested(LeadRowSchema))


class PointSchema(FigureSchema):
    start = fields.Date()
    end = fields.Date()


class SeriesSchema(Schema):
    filters = fields.Nested(FiltersSchema)
    kpi = fields.String()
    kind = fields.String()
    bucket = fields.String()
    points = fields.List(fields.Nested(PointSchema))


# One column per figure of the league table, each as /reports/overview defines it.
LeagueRowSchema = Schema.from_dict(
    {
        "rank": fields.Integer(),
        "technician_id": fields.Integer(),
        "name": fields.String(),
        "employee_no": fields.String(allow_none=True),
        "branch": fields.String(allow_none=True),
        **{kpi: fields.Float(allow_none=True, metadata={"description": f"KPI {kpi}"}) for kpi in LEAGUE_KPIS},
    },
    name="LeagueRowSchema",
)


class RuleRowSchema(Schema):
    rule = fields.String()
    verified = fields.Integer()
    attested = fields.Integer()
    missed = fields.Integer()
    not_applicable = fields.Integer()
    checked = fields.Integer(metadata={"description": "verified + attested + missed"})
    missed_rate = fields.Float(allow_none=True)
    measure = fields.String()


class OrderRowSchema(Schema):
    record = fields.String(metadata={"enum": ["visit", "case", "return_visit"]})
    record_id = fields.Integer()
    day = fields.Date()
    count = fields.Integer(metadata={"description": "What this record adds to the figure (usually 1)"})
    work_order_id = fields.Integer(allow_none=True)
    number = fields.String(allow_none=True)
    type = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    branch = fields.String(allow_none=True)
    area = fields.String(allow_none=True)
    customer = fields.String(allow_none=True)
    technician_id = fields.Integer(allow_none=True)
    technician = fields.String(allow_none=True)
