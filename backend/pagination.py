"""Paging a SELECT for flask-smorest's `@blp.paginate()` (page/page_size in, X-Pagination out)."""

from sqlalchemy import func, select

from backend.extensions import db

# Beyond this offset a page is certainly empty; not asking keeps absurd `page` values off the database.
_MAX_OFFSET = 10_000_000


def page_of(query, page_params, *, count_at_most=None, capped_order=None):
    """Return the requested page of `query`'s rows, and set the total for the X-Pagination header.

    With `count_at_most`, the total is counted only up to that many rows past the page's first
    one: a broad search (every customer in 福州) stops counting there, and the header says the
    total is capped (`total_capped`: more rows match than `total`; the pages go on). A capped
    page is read in `capped_order` when given: an order an index yields, so the database stops
    after the page instead of sorting every match (all of 福州 by name took 17 s at 500k).
    """
    counted = query.order_by(None)
    if count_at_most is not None:
        bound = min(page_params.first_item, _MAX_OFFSET) + count_at_most  # an absurd page still binds an integer
        counted = counted.limit(bound + 1)
    total = db.session.scalar(select(func.count()).select_from(counted.subquery()))
    page_params.total_capped = count_at_most is not None and total > bound
    page_params.item_count = bound if page_params.total_capped else total
    if page_params.first_item >= min(page_params.item_count, _MAX_OFFSET):
        return []
    if page_params.total_capped and capped_order is not None:
        query = query.order_by(None).order_by(*capped_order)
    return db.session.scalars(query.offset(page_params.first_item).limit(page_params.page_size)).unique().all()


def document_pagination_header(api):
    """Declare X-Pagination as what it is on the wire: a string holding a JSON object."""
    api.spec.components.headers_lazy["PAGINATION"] = {
        "description": (
            "JSON text: total, total_pages, first_page, last_page, page, previous_page, next_page;"
            ' and "total_capped": true when more rows match than were counted (a broad customer'
            " search stops counting): more than total match, and the pages go on"
        ),
        "schema": {"type": "string"},
    }
