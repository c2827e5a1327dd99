"""The job that seals a finished visit's forms: queued on RQ when Redis is configured, else run now."""

import logging

from backend.extensions import db
from backend.jobs import enqueue
from backend.observability import record_job_failure

log = logging.getLogger(__name__)


def seal_visit_forms(work_order_id: int):
    """Render and seal the forms of a work order's finished visit, now or on a worker."""
    return enqueue(run_seal_visit_forms, work_order_id)


def run_seal_visit_forms(work_order_id: int) -> list[str] | None:
    """Seal the forms; a failure is logged (and re-raised on a worker, so RQ records it)."""
    from rq import get_current_job

    from backend.forms.services import seal_visit_forms as seal

    try:
        return seal(work_order_id)
    except Exception:
        db.session.rollback()
        log.exception("forms: sealing the forms of work order %s failed", work_order_id)
        record_job_failure("seal_visit_forms")
        if get_current_job() is not None:
            raise
        # In-process the visit's ops are already committed: the sync must still answer.
        return None
