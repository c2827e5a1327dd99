"""The job that seals a finished visit's forms: queued on RQ when Redis is configured, else run now."""

from backend.jobs import enqueue, run_logged


def seal_visit_forms(work_order_id: int):
    """Render and seal the forms of a work order's finished visit, now or on a worker."""
    return enqueue(run_seal_visit_forms, work_order_id)


def run_seal_visit_forms(work_order_id: int) -> list[str] | None:
    """The job: seal the forms (a failure is logged, counted, and re-raised on a worker)."""
    from backend.forms.services import seal_visit_forms as seal

    return run_logged("seal_visit_forms", seal, work_order_id)
