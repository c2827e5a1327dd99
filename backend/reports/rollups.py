"""Keeping the day × technician rollups: refreshed as visits end, rebuilt from the visits on demand.

A cell is recomputed from its visits rather than incremented: a first-time fix can be undone by a
later visit to the same customer, and recomputing makes a refresh idempotent (a replayed batch,
a rebuild, a cell refreshed twice all give the same row). The cell's row is locked before its
visits are read, so two batches ending visits of one cell cannot each write a sum missing the other.
"""

from collections import Counter
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from backend.extensions import db
from backend.jobs import enqueue, run_logged
from backend.reports.facts import REPEAT_WINDOW, Cell, local_day, visit_facts
from backend.reports.models import KpiRollup
from backend.timeutil import local_day_bounds, utcnow
from backend.visits.models import Visit
from backend.workorders.models import WorkOrder

_REBUILD_DAYS = 7  # days of visits read at once by a rebuild
_DIALECT_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def visit_day_expression():
    """Return the SQL moment a visit's day is taken from (its window start, else its start)."""
    return func.coalesce(Visit.window_starts_at, Visit.started_at)


def refresh_after_sync(work_order_ids):
    """Refresh the figures of visits a sync batch just ended and committed, now or on a worker.

    Not inside the sync's transaction: a refresh reads a technician's whole day and locks its
    rows, work a phone's batch must not wait for nor hold its orders' locks through. With
    Redis the manager's figures follow a visit by a worker's queue; a lost job is repaired by
    `flask reports rebuild`.
    """
    if work_order_ids:
        return enqueue(run_refresh_after_sync, sorted(work_order_ids))
    return None


def run_refresh_after_sync(work_order_ids) -> None:
    """The job: refresh the ended visits' cells and commit (a failure is logged and counted)."""
    run_logged("refresh_rollups", _refresh_and_commit, work_order_ids)


def _refresh_and_commit(work_order_ids) -> None:
    record_ended_visits(work_order_ids)
    db.session.commit()


def record_ended_visits(work_order_ids) -> None:
    """Refresh the cells touched by visits that ended on these orders, in the caller's transaction.

    Besides the visits' own cells, those of the same customers' visits that ended in the seven
    days before: this visit may be the repeat that undoes their first-time fix.
    """
    if not work_order_ids:
        return
    ended = db.session.scalars(
        select(Visit).where(Visit.work_order_id.in_(sorted(work_order_ids)), Visit.ended_at.is_not(None))
    ).all()
    refresh_cells(_cells_of(ended) | _cells_of(_earlier_visits_of_customers(ended)))


def cells_of_order(work_order_id) -> set:
    """Return the cells an order's ended visits count in, as the order stands now.

    Read before its branch or area changes: those cells lose the visits, and `refresh_after_move`
    recomputes them with the ones the visits join.
    """
    ended = db.session.scalars(
        select(Visit).where(Visit.work_order_id == work_order_id, Visit.ended_at.is_not(None))
    ).all()
    return _cells_of(ended)


def refresh_after_move(work_order_id, earlier_cells):
    """Refresh the figures of an order whose branch or area changed (committed), now or on a worker.

    Without it the order's visits went on counting for the branch it left until `flask reports
    rebuild`, while the drill-down, read from the visits, already listed them under the new one.
    """
    if earlier_cells:
        return enqueue(run_refresh_after_move, work_order_id, [tuple(cell) for cell in sorted(earlier_cells)])
    return None


def run_refresh_after_move(work_order_id, earlier_cells) -> None:
    """The job: recompute the cells the order's visits left and those they joined, and commit."""
    run_logged("refresh_rollups", _refresh_move_and_commit, work_order_id, earlier_cells)


def _refresh_move_and_commit(work_order_id, earlier_cells) -> None:
    refresh_cells({Cell._make(cell) for cell in earlier_cells} | cells_of_order(work_order_id))
    db.session.commit()


def _earlier_visits_of_customers(visits):
    if not visits:
        return []
    customers = {
        c
        for (c,) in db.session.execute(
            select(WorkOrder.customer_id).where(WorkOrder.id.in_({v.work_order_id for v in visits}))
        )
    }
    since = min(v.started_at for v in visits) - REPEAT_WINDOW
    return db.session.scalars(
        select(Visit)
        .join(WorkOrder, WorkOrder.id == Visit.work_order_id)
        .where(WorkOrder.customer_id.in_(customers), Visit.ended_at >= since)
    ).all()


def _cells_of(visits) -> set:
    return {cell for cell, _ in visit_facts(visits).values()}


def refresh_cells(cells) -> None:
    """Recompute each cell's row from its ended visits (deleting it when it has none)."""
    insert = _DIALECT_INSERT[db.engine.dialect.name]
    for cell in sorted(cells):
        # Make sure the row exists, then lock it: a second refresher waits here and then reads
        # the visits this one's transaction committed (READ COMMITTED takes a new snapshot).
        db.session.execute(insert(KpiRollup).values(**cell._asdict(), counts={}).on_conflict_do_nothing())
        row = db.session.scalars(select(KpiRollup).filter_by(**cell._asdict()).with_for_update()).one()
        counts = Counter()
        for found, counter in visit_facts(_visits_of(cell)).values():
            if found == cell:
                counts.update(counter)
        if counts:
            row.counts = dict(counts)
        else:
            db.session.delete(row)
    db.session.flush()


def _visits_of(cell):
    start, end = local_day_bounds(cell.day)
    return db.session.scalars(
        select(Visit)
        .join(WorkOrder, WorkOrder.id == Visit.work_order_id)
        .where(
            Visit.technician_id == cell.technician_id,
            Visit.ended_at.is_not(None),
            visit_day_expression() >= start,
            visit_day_expression() < end,
            WorkOrder.type == cell.work_order_type,
            func.coalesce(WorkOrder.branch, "") == cell.branch,
            func.coalesce(WorkOrder.area, "") == cell.area,
        )
    ).all()


def rebuild(first_day, last_day) -> int:
    """Replace the rollups of these local days by sums computed from the visits; return the rows written."""
    db.session.execute(delete(KpiRollup).where(KpiRollup.day >= first_day, KpiRollup.day <= last_day))
    written, day = 0, first_day
    while day <= last_day:
        until = min(day + timedelta(days=_REBUILD_DAYS - 1), last_day)
        start, end = local_day_bounds(day)[0], local_day_bounds(until)[1]
        visits = db.session.scalars(
            select(Visit).where(
                Visit.ended_at.is_not(None), visit_day_expression() >= start, visit_day_expression() < end
            )
        ).all()
        sums: dict[Cell, Counter] = {}
        for cell, counter in visit_facts(visits).values():
            sums.setdefault(cell, Counter()).update(counter)
        if sums:
            db.session.execute(
                KpiRollup.__table__.insert(),
                [{**cell._asdict(), "counts": dict(c), "updated_at": utcnow()} for cell, c in sums.items()],
            )
        written += len(sums)
        day = until + timedelta(days=1)
    return written


def days_with_visits():
    """Return the first and last local day an ended visit may count on, or None when there is none."""
    first, last = db.session.execute(
        select(func.min(Visit.started_at), func.max(Visit.started_at)).where(Visit.ended_at.is_not(None))
    ).one()
    if first is None:
        return None
    # A visit counts on its window's day, which may lie a day either side of its start.
    return local_day(first) - timedelta(days=1), local_day(last) + timedelta(days=1)
