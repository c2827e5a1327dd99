"""Paging a SELECT for flask-smorest's `@blp.paginate()` (page/page_size in, X-Pagination out)."""

from sqlalchemy import func, select

from backend.extensions import db

# Beyond this offset a page is certainly empty; not asking keeps absurd `page` values off the database.
_MAX_OFFSET = 10_000_000


def page_of(query, page_params):
    """Return the requested page of `query`'s rows, and set the total for the X-Pagination header."""
    page_params.item_count = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    if page_params.first_item >= min(page_params.item_count, _MAX_OFFSET):
        return []
    return db.session.scalars(query.offset(page_params.first_item).limit(page_params.page_size)).unique().all()


def document_pagination_header(api):
    """Declare X-Pagination as what it is on the wire: a string holding a JSON object."""
    api.spec.components.headers_lazy["PAGINATION"] = {
        "description": "JSON text: total, total_pages, first_page, last_page, page, previous_page, next_page",
        "schema": {"type": "string"},
    }
