"""What one record contributes to the figures: a flat Counter of measures, and the cell it falls in.

Every figure is a sum of measures (docs/kpis.md lists them), so the same function feeds the
rollups, the range scans and the drill-down, and a figure and the orders behind it cannot differ.
A record's cell is (local day, technician, work-order type, branch, area); a visit's day is the
local day of its appointment window (or of its start when it had none), so a visit running past
midnight counts once, on the day it was booked for.
"""

from collections import Counter, namedtuple
from datetime import timedelta

from sqlalchemy import func, select

from backend.aftercare.models import SATISFIED_FROM
from backend.extensions import db
from backend.timeutil import LOCAL_TZ
from backend.visits.compliance import MET, status_of
from backend.visits.models import LATE_WITHOUT_NOTICE, Lead, Visit
from backend.visits.payloads import MOT_KEYS, RATING_KEYS
from backend.workorders.models import WorkOrder

Cell = namedtuple("Cell", "day technician_id work_order_type branch area")
# The work order's fields a cell is keyed by: changing one moves the order's visits to other cells.
ORDER_FIELDS_IN_CELLS = ("type", "branch", "area")
# Bands of the 0-100 compliance score, low to high: (name, lowest score in it).
SCORE_BANDS = (("0-59", 0), ("60-79", 60), ("80-89", 80), ("90-99", 90), ("100", 100))
# Arrival classes by the standard; each is a measure "arrival.<class>".
ARRIVAL_CLASSES = ("early_5_10", "too_early", "on_time", "late")
WORKED = ("completed", "needs_revisit")  # outcomes where the technician got in and worked
REPEAT_WINDOW = timedelta(days=7)
_ID_CHUNK = 1000  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits


def rule_statuses(compliance: dict | None) -> dict[str, str]:
    """Return {rule id: verified | attested | missed | not_applicable} of a visit's compliance record."""
    return {rule: status_of(check) for rule, check in (compliance or {}).items()}


def score_band(score: int) -> str:
    """Return the band name of a compliance score."""
    return next(name for name, low in reversed(SCORE_BANDS) if score >= low)


def local_day(moment):
    """Return the operator's local date of an aware datetime."""
    return moment.astimezone(LOCAL_TZ).date()


def visit_day(visit):
    """Return the day a visit counts on: its window's local day, else the day it started."""
    return local_day(visit.window_starts_at or visit.started_at)


def _cell(day, technician_id, order):
    return Cell(day, technician_id, order.type, order.branch or "", order.area or "")


def _chunks(ids):
    ids = sorted(ids)
    for i in range(0, len(ids), _ID_CHUNK):
        yield ids[i : i + _ID_CHUNK]


def visit_facts(visits) -> dict:
    """Return {visit id: (Cell, Counter)} for ended visits, reading what they need in a few queries."""
    visits = [v for v in visits if v.ended_at is not None]
    if not visits:
        return {}
    order_ids = {v.work_order_id for v in visits}
    orders, first_started, leads = {}, {}, {}
    for chunk in _chunks(order_ids):
        orders.update((o.id, o) for o in db.session.scalars(select(WorkOrder).where(WorkOrder.id.in_(chunk))))
        first_started.update(
            db.session.execute(
                select(Visit.work_order_id, func.min(Visit.started_at))
                .where(Visit.work_order_id.in_(chunk), Visit.outcome.in_(WORKED))
                .group_by(Visit.work_order_id)
            ).all()
        )
    for chunk in _chunks({v.id for v in visits}):
        for lead in db.session.scalars(select(Lead).where(Lead.visit_id.in_(chunk))):
            leads.setdefault(lead.visit_id, []).append(lead)
    later = _later_visits({orders[v.work_order_id].customer_id for v in visits}, visits)
    result = {}
    for visit in visits:
        order = orders[visit.work_order_id]
        repeat = any(
            other_id != visit.id and visit.ended_at < started <= visit.ended_at + REPEAT_WINDOW
            for other_id, started in later.get(order.customer_id, ())
        )
        first = visit.outcome in WORKED and first_started.get(visit.work_order_id) == visit.started_at
        result[visit.id] = (
            _cell(visit_day(visit), visit.technician_id, order),
            _visit_counter(visit, leads.get(visit.id, ()), first_visit=first, repeat=repeat),
        )
    return result


def _later_visits(customer_ids, visits):
    """Return {customer id: [(visit id, started_at)]} of visits that could repeat one of `visits`."""
    since = min(v.ended_at for v in visits)
    until = max(v.ended_at for v in visits) + REPEAT_WINDOW
    found = {}
    for chunk in _chunks(customer_ids):
        rows = db.session.execute(
            select(WorkOrder.customer_id, Visit.id, Visit.started_at)
            .join(WorkOrder, WorkOrder.id == Visit.work_order_id)
            .where(WorkOrder.customer_id.in_(chunk), Visit.started_at > since, Visit.started_at <= until)
        )
        for customer_id, visit_id, started in rows:
            found.setdefault(customer_id, []).append((visit_id, started))
    return found


def _visit_counter(visit, leads, *, first_visit, repeat) -> Counter:
    c = Counter(visits=1)
    if visit.outcome == "no_access":
        c["no_access"] = 1
    if visit.outcome in WORKED:
        c["worked"] = 1
        c[visit.outcome] = 1
    if first_visit:
        c["first_visits"] = 1
        if visit.outcome == "completed" and not repeat:
            c["first_time_fix"] = 1
    if visit.arrival_class is not None:
        c["arrived"] = 1
        c["arrival." + _arrival_class(visit)] = 1
        if visit.arrival_class != "late":
            c["on_time"] = 1
        elif LATE_WITHOUT_NOTICE in (visit.flags or ()):
            c["late_without_notice"] = 1
    if visit.evaluated_at is not None:
        c["evaluated"] = 1
        if visit.ratings:
            c["rated"] = 1
            c.update(_scores("rating", visit.ratings, RATING_KEYS))
            if visit.ratings["overall"] >= SATISFIED_FROM:
                c["satisfied"] = 1
        elif visit.signature_declined_reason:
            c["declined"] = 1
        if visit.mot:
            c.update(_scores("mot", visit.mot, MOT_KEYS))
    if visit.compliance_score is not None:
        c["scored"] = 1
        c["score.sum"] = visit.compliance_score
        c["score.band." + score_band(visit.compliance_score)] = 1
    for rule, status in rule_statuses(visit.compliance).items():
        c[f"rule.{rule}.{status}"] += 1
    for lead in leads:
        c["leads"] += 1
        c[f"lead.{lead.product}.{lead.interest}"] += 1
    return c


def _arrival_class(visit):
    """Split the engine's arrival class by the standard's 5-10 minutes (its own verdict on the rule)."""
    if visit.arrival_class != "early":
        return visit.arrival_class
    standard = rule_statuses(visit.compliance).get("arrive.early_5_10_min")
    return "early_5_10" if standard in MET else "too_early"


def _scores(prefix, scores, keys) -> Counter:
    c = Counter()
    for key in keys:
        if key in scores:
            value = scores[key]
            c[f"{prefix}.{key}.sum"] += value
            c[f"{prefix}.{key}.n"] += 1
            c[f"{prefix}.{key}.{value}"] += 1
    return c


def case_counter(case, now) -> Counter:
    """Return the measures of one case (complaint, query or follow-up) as of `now`; reads kind, due_at, answered_at."""
    c = Counter(cases=1)
    if case.kind == "complaint":
        c["complaints"] = 1
    if case.answered_at is not None:
        c["cases.answered_in_time" if case.answered_at <= case.due_at else "cases.answered_late"] = 1
    elif now > case.due_at:
        c["cases.overdue"] = 1
    return c


def return_visit_counter(call) -> Counter:
    """Return the measures of one return-visit call; reads reached, resolved, satisfaction."""
    c = Counter({"rv.calls": 1})
    if call.reached:
        c["rv.reached"] = 1
        if call.resolved:
            c["rv.resolved"] = 1
        if call.satisfaction >= SATISFIED_FROM:
            c["rv.satisfied"] = 1
    return c
