"""The figures of a range: overview with trend, series, league table, most-missed rules, drill-down.

Visit measures come from the rollups (one row per day × technician × type × branch × area, so a
range reads only its days); cases and return-visit calls are few and read directly, through the
same counters (backend/reports/facts.py). Definitions of every KPI: docs/kpis.md.
"""

from collections import Counter, namedtuple
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Integer, cast, func, literal, select, true

from backend.aftercare.models import Complaint, ReturnVisitCall
from backend.auth.models import User
from backend.extensions import db
from backend.reports.facts import (
    ARRIVAL_CLASSES,
    SCORE_BANDS,
    case_counter,
    local_day,
    return_visit_counter,
    visit_facts,
)
from backend.reports.models import KpiRollup
from backend.reports.rollups import visit_day_expression
from backend.timeutil import local_day_bounds
from backend.visits.compliance import STATUSES
from backend.visits.models import Visit
from backend.visits.payloads import MOT_KEYS, RATING_KEYS
from backend.workorders.models import WorkOrder

BUCKETS = ("day", "week", "month")
MAX_RANGE_DAYS = 366
DIMENSIONS = ("branch", "area", "technician_id", "type")

Kpi = namedtuple("Kpi", "kind numerator denominator")  # kind: rate (n/d), average (sum/count), count

KPIS = {
    "visits": Kpi("count", "visits", None),
    "on_time": Kpi("rate", "on_time", "arrived"),
    "arrival_standard": Kpi("rate", "arrival.early_5_10", "arrived"),
    "late": Kpi("rate", "arrival.late", "arrived"),
    "late_without_notice": Kpi("rate", "late_without_notice", "arrived"),
    "no_access": Kpi("rate", "no_access", "visits"),
    "first_time_fix": Kpi("rate", "first_time_fix", "first_visits"),
    "needs_revisit": Kpi("rate", "needs_revisit", "worked"),
    **{f"rating_{k}": Kpi("average", f"rating.{k}.sum", f"rating.{k}.n") for k in RATING_KEYS},
    "satisfied": Kpi("rate", "satisfied", "rated"),
    "declined": Kpi("rate", "declined", "evaluated"),
    **{f"mot_{k}": Kpi("average", f"mot.{k}.sum", f"mot.{k}.n") for k in MOT_KEYS},
    "compliance_score": Kpi("average", "score.sum", "scored"),
    "leads": Kpi("count", "leads", None),
    "return_visits_reached": Kpi("rate", "rv.reached", "rv.calls"),
    "return_visits_resolved": Kpi("rate", "rv.resolved", "rv.reached"),
    "return_visits_satisfied": Kpi("rate", "rv.satisfied", "rv.reached"),
    "cases": Kpi("count", "cases", None),
    "complaints": Kpi("count", "complaints", None),
    "cases_answered_in_time": Kpi("rate", "cases.answered_in_time", "cases"),
    "cases_overdue": Kpi("count", "cases.overdue", None),
}
LEAGUE_KPIS = (
    "visits",
    "on_time",
    "arrival_standard",
    "late_without_notice",
    "no_access",
    "first_time_fix",
    "needs_revisit",
    "rating_overall",
    "satisfied",
    "declined",
    "mot_arrival",
    "compliance_score",
    "leads",
)
# The first part of every measure, and where its records come from.
CASE_ROOTS = ("cases", "complaints")
RETURN_VISIT_ROOTS = ("rv",)
VISIT_ROOTS = (
    "visits",
    "no_access",
    "worked",
    "completed",
    "needs_revisit",
    "first_visits",
    "first_time_fix",
    "arrived",
    "arrival",
    "on_time",
    "late_without_notice",
    "evaluated",
    "rated",
    "rating",
    "satisfied",
    "declined",
    "mot",
    "scored",
    "score",
    "rule",
    "leads",
    "lead",
)
MEASURE_ROOTS = VISIT_ROOTS + CASE_ROOTS + RETURN_VISIT_ROOTS


@dataclass(frozen=True)
class Filters:
    """A range of local days and the dimensions to keep (None: all)."""

    start: date
    end: date
    branch: str | None = None
    area: str | None = None
    technician_id: int | None = None
    type: str | None = None

    def with_range(self, start, end):
        """Return the same filters over another range."""
        return Filters(start, end, self.branch, self.area, self.technician_id, self.type)

    def previous(self):
        """Return the same filters over the range of the same length just before."""
        days = (self.end - self.start).days + 1
        return self.with_range(self.start - timedelta(days=days), self.start - timedelta(days=1))

    def describe(self) -> dict:
        """Return the filters as the API shows them."""
        return {"from": self.start, "to": self.end, **{d: getattr(self, d) for d in DIMENSIONS}}


# --- records: (local day, technician id, counter) from rollups, cases and return-visit calls -----

Record = namedtuple("Record", "day technician_id counter")


def _order_filters(query, f: Filters, technician_column):
    for column, value in (
        (WorkOrder.branch, f.branch),
        (WorkOrder.area, f.area),
        (technician_column, f.technician_id),
        (WorkOrder.type, f.type),
    ):
        if value is not None:
            query = query.where(column == value)
    return query


def _range_bounds(f: Filters):
    return local_day_bounds(f.start)[0], local_day_bounds(f.end)[1]


def records(f: Filters, now, roots=MEASURE_ROOTS, by=None):
    """Yield the records of the range whose measures start with one of `roots`.

    Visits come as their rollups' sums per `by` ("day", "technician_id" or None for one total),
    added up in the database; cases and calls come one by one, with both their day and technician.
    """
    if set(roots) & set(VISIT_ROOTS):
        yield from _rollup_sums(f, by)
    start, end = _range_bounds(f)
    has_dimension = any(getattr(f, d) is not None for d in DIMENSIONS)
    if set(roots) & set(CASE_ROOTS):
        for case in _cases(f, start, end, has_dimension):
            yield Record(local_day(case.opened_at), case.technician_id, case_counter(case, now))
    if set(roots) & set(RETURN_VISIT_ROOTS):
        for call in _return_visit_calls(f, start, end):
            yield Record(local_day(call.called_at), call.technician_id, return_visit_counter(call))


def _rollup_sums(f: Filters, by):
    """Yield a Record per `by` value: the range's rollup counters summed by the database, measure by measure.

    The JSON `counts` are opened in SQL (json_each), so a province's month is a few thousand summed
    rows, not every cell's JSON parsed in Python.
    """
    each = func.json_each_text if db.engine.dialect.name == "postgresql" else func.json_each
    measures = each(KpiRollup.counts).table_valued("key", "value", name="measure")
    group = getattr(KpiRollup, by) if by else literal(None)
    query = (
        select(group, measures.c.key, func.sum(cast(measures.c.value, Integer)))
        .select_from(KpiRollup.__table__.join(measures, true()))
        .where(KpiRollup.day >= f.start, KpiRollup.day <= f.end)
        .group_by(group, measures.c.key)
    )
    for column, value in (
        (KpiRollup.branch, f.branch),
        (KpiRollup.area, f.area),
        (KpiRollup.technician_id, f.technician_id),
        (KpiRollup.work_order_type, f.type),
    ):
        if value is not None:
            query = query.where(column == value)
    sums: dict = {}
    for key, measure, total in db.session.execute(query):
        sums.setdefault(key, Counter())[measure] = total
    for key, counter in sums.items():
        yield Record(key if by == "day" else None, key if by == "technician_id" else None, counter)


_Case = namedtuple("_Case", "id work_order_id kind opened_at due_at answered_at technician_id")
_Call = namedtuple("_Call", "id work_order_id called_at reached resolved satisfaction technician_id")


def _orders_kept(order_ids, f: Filters) -> dict:
    """Return {order id: technician id} of these orders that pass the filters, looked up by id.

    By id in chunks rather than joined: the planner would rather scan every work order to join a
    month's few thousand calls, which grows with the history instead of with the month.
    """
    kept, ids = {}, sorted(order_ids)
    for i in range(0, len(ids), 1000):
        query = _order_filters(
            select(WorkOrder.id, WorkOrder.technician_id).where(WorkOrder.id.in_(ids[i : i + 1000])),
            f,
            WorkOrder.technician_id,
        )
        kept.update(db.session.execute(query).all())
    return kept


def _cases(f, start, end, has_dimension):
    """Return the range's cases as plain rows (what the counters read, and the order's technician).

    A case about no order belongs to no branch, area, technician or type: kept only without filters.
    """
    rows = db.session.execute(
        select(
            Complaint.id,
            Complaint.work_order_id,
            Complaint.kind,
            Complaint.opened_at,
            Complaint.due_at,
            Complaint.answered_at,
        )
        .where(Complaint.opened_at >= start, Complaint.opened_at < end)
        .order_by(Complaint.opened_at, Complaint.id)
    ).all()
    orders = _orders_kept({r.work_order_id for r in rows if r.work_order_id is not None}, f)
    return [
        _Case(*row, orders.get(row.work_order_id))
        for row in rows
        if row.work_order_id in orders or (row.work_order_id is None and not has_dimension)
    ]


def _return_visit_calls(f, start, end):
    """Return the range's return-visit calls as plain rows, with the order's technician."""
    rows = db.session.execute(
        select(
            ReturnVisitCall.id,
            ReturnVisitCall.work_order_id,
            ReturnVisitCall.called_at,
            ReturnVisitCall.reached,
            ReturnVisitCall.resolved,
            ReturnVisitCall.satisfaction,
        )
        .where(ReturnVisitCall.called_at >= start, ReturnVisitCall.called_at < end)
        .order_by(ReturnVisitCall.id)
    ).all()
    orders = _orders_kept({r.work_order_id for r in rows}, f)
    return [_Call(*row, orders[row.work_order_id]) for row in rows if row.work_order_id in orders]


def totals(f: Filters, now) -> Counter:
    """Return the sum of every measure over the range."""
    total = Counter()
    for record in records(f, now):
        total.update(record.counter)
    return total


# --- figures ------------------------------------------------------------------------------------


def figure(kpi_id, counts: Counter) -> dict:
    """Return a KPI's value with what it is made of, and the measures to drill into."""
    kpi = KPIS[kpi_id]
    numerator = counts.get(kpi.numerator, 0)
    result = {"kpi": kpi_id, "kind": kpi.kind, "numerator": numerator}
    if kpi.kind == "count":
        return {**result, "value": numerator, "denominator": None, "measure": measure_of(kpi_id)}
    denominator = counts.get(kpi.denominator, 0)
    value = None
    if denominator:
        value = round(numerator / denominator, 4 if kpi.kind == "rate" else 2)
    return {**result, "value": value, "denominator": denominator, "measure": measure_of(kpi_id)}


def measure_of(kpi_id) -> str:
    """Return the measure whose records are behind a KPI: for an average those scored, else those counted."""
    kpi = KPIS[kpi_id]
    return kpi.denominator if kpi.kind == "average" else kpi.numerator


def _distribution(counts, prefix, values):
    return [{"value": v, "count": counts.get(f"{prefix}.{v}", 0), "measure": f"{prefix}.{v}"} for v in values]


def overview(f: Filters, now) -> dict:
    """Return the headline figures of the range with the previous period's, and the distributions."""
    counts, before = totals(f, now), totals(f.previous(), now)
    previous = f.previous()
    headline = []
    for kpi_id in KPIS:
        current, earlier = figure(kpi_id, counts), figure(kpi_id, before)
        headline.append({**current, "previous": {k: earlier[k] for k in ("value", "numerator", "denominator")}})
    return {
        "filters": f.describe(),
        "previous_from": previous.start,
        "previous_to": previous.end,
        "headline": headline,
        "arrival": _distribution(counts, "arrival", ARRIVAL_CLASSES),
        "ratings": [
            {
                **figure(f"rating_{k}", counts),
                "key": k,
                "distribution": _distribution(counts, f"rating.{k}", range(1, 6)),
            }
            for k in RATING_KEYS
        ],
        "mot": [
            {**figure(f"mot_{k}", counts), "key": k, "distribution": _distribution(counts, f"mot.{k}", range(-3, 4))}
            for k in MOT_KEYS
        ],
        "compliance_bands": [
            {"band": name, "count": counts.get(f"score.band.{name}", 0), "measure": f"score.band.{name}"}
            for name, _ in SCORE_BANDS
        ],
        "leads": leads_table(counts),
    }


def leads_table(counts) -> list[dict]:
    """Return the leads by product and interest, most first."""
    rows = []
    for measure, n in counts.items():
        if measure.startswith("lead.") and n:
            product, interest = measure[len("lead.") :].rsplit(".", 1)
            rows.append({"product": product, "interest": interest, "count": n, "measure": measure})
    return sorted(rows, key=lambda r: (-r["count"], r["product"], r["interest"]))


def bucket_start(day: date, bucket: str) -> date:
    """Return the first day of the day, week (Monday) or month containing `day`."""
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def bucket_end(start: date, bucket: str) -> date:
    """Return the last day of the bucket starting on `start`."""
    if bucket == "week":
        return start + timedelta(days=6)
    if bucket == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return start


def series(f: Filters, kpi_id, bucket, now) -> dict:
    """Return a KPI per day, week or month of the range, every bucket present (value None when empty)."""
    kpi = KPIS[kpi_id]
    roots = {m.split(".")[0] for m in (kpi.numerator, kpi.denominator) if m}
    by_bucket: dict[date, Counter] = {}
    for record in records(f, now, roots, by="day"):
        by_bucket.setdefault(bucket_start(record.day, bucket), Counter()).update(record.counter)
    points, start = [], bucket_start(f.start, bucket)
    while start <= f.end:
        point = figure(kpi_id, by_bucket.get(start, Counter()))
        points.append({"start": start, "end": bucket_end(start, bucket), **point})
        start = bucket_end(start, bucket) + timedelta(days=1)
    return {"filters": f.describe(), "kpi": kpi_id, "kind": kpi.kind, "bucket": bucket, "points": points}


def league(f: Filters, now, sort="on_time") -> list[dict]:
    """Return one row per technician with visits or cases in the range, best first by `sort`."""
    by_technician: dict[int, Counter] = {}
    for record in records(f, now, by="technician_id"):
        if record.technician_id is not None:
            by_technician.setdefault(record.technician_id, Counter()).update(record.counter)
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(list(by_technician))))}
    rows = []
    for technician_id, counts in by_technician.items():
        person = people[technician_id]
        row = {
            "technician_id": technician_id,
            "name": person.name,
            "employee_no": person.employee_no,
            "branch": person.branch,
        }
        row.update({kpi_id: figure(kpi_id, counts)["value"] for kpi_id in LEAGUE_KPIS})
        rows.append(row)
    rows.sort(key=lambda r: (r[sort] is None, -(r[sort] or 0), r["employee_no"] or "", r["technician_id"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


def rules(f: Filters, now) -> list[dict]:
    """Return each checked rule with its verified, attested, missed and n/a counts, most missed first."""
    counts = Counter()
    for record in records(f, now, ("rule",)):
        counts.update(record.counter)
    found: dict[str, dict] = {}
    for measure, n in counts.items():
        if measure.startswith("rule."):
            rule, status = measure[len("rule.") :].rsplit(".", 1)
            found.setdefault(rule, dict.fromkeys(STATUSES, 0))[status] = n
    rows = []
    for rule, by_status in found.items():
        checked = by_status["verified"] + by_status["attested"] + by_status["missed"]
        rows.append(
            {
                "rule": rule,
                **by_status,
                "checked": checked,
                "missed_rate": round(by_status["missed"] / checked, 4) if checked else None,
                "measure": f"rule.{rule}.missed",
            }
        )
    return sorted(rows, key=lambda r: (-r["missed"], -(r["missed_rate"] or 0), r["rule"]))


# --- drill-down ---------------------------------------------------------------------------------


def orders_behind(f: Filters, measure, now) -> list[dict]:
    """Return the records counted in `measure` over the range: one row per visit, case or call, with its order.

    The rows' `count` adds up to the figure (a visit with two leads counts 2 leads).
    """
    root = measure.split(".")[0]
    start, end = _range_bounds(f)
    rows = []
    if root in VISIT_ROOTS:
        query = _order_filters(
            select(Visit)
            .join(WorkOrder, WorkOrder.id == Visit.work_order_id)
            .where(Visit.ended_at.is_not(None), visit_day_expression() >= start, visit_day_expression() < end),
            f,
            Visit.technician_id,
        )
        visits = {v.id: v for v in db.session.scalars(query)}
        for visit_id, (cell, counter) in visit_facts(visits.values()).items():
            if counter.get(measure):
                rows.append(
                    ("visit", visit_id, visits[visit_id].work_order_id, cell.day, cell.technician_id, counter[measure])
                )
    elif root in CASE_ROOTS:
        for case in _cases(f, start, end, any(getattr(f, d) is not None for d in DIMENSIONS)):
            n = case_counter(case, now).get(measure)
            if n:
                rows.append(("case", case.id, case.work_order_id, local_day(case.opened_at), case.technician_id, n))
    else:
        for call in _return_visit_calls(f, start, end):
            n = return_visit_counter(call).get(measure)
            if n:
                rows.append(
                    ("return_visit", call.id, call.work_order_id, local_day(call.called_at), call.technician_id, n)
                )
    return _with_orders(rows)


def _with_orders(rows):
    order_ids = {r[2] for r in rows if r[2] is not None}
    orders = {o.id: o for o in db.session.scalars(select(WorkOrder).where(WorkOrder.id.in_(order_ids)))}
    technician_ids = {r[4] for r in rows if r[4] is not None}
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(technician_ids))).all())
    result = []
    for kind, record_id, order_id, day, technician_id, n in sorted(rows, key=lambda r: (r[3], r[2] or 0, r[1])):
        order = orders.get(order_id)
        result.append(
            {
                "record": kind,
                "record_id": record_id,
                "day": day,
                "count": n,
                "work_order_id": order_id,
                "number": order.number if order else None,
                "type": order.type if order else None,
                "status": order.status if order else None,
                "branch": order.branch if order else None,
                "area": order.area if order else None,
                "customer": order.customer.name if order else None,
                "technician_id": technician_id,
                "technician": names.get(technician_id),
            }
        )
    return result
