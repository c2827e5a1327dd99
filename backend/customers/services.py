"""Customers: search, create, read and correct their details."""

import re

from sqlalchemy import String, Text, cast, exists, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY

from backend.apifields import id_exists_in_range
from backend.customers.models import Customer
from backend.errors import Conflict, NotFound
from backend.extensions import db
from backend.pagination import page_of
from backend.workorders.models import WorkOrder

OFFICE_ROLES = ("dispatcher", "manager", "admin")


# Below this length a search is a name's or an address's characters, or an account number; two
# digits of a phone would match nearly everyone, and no index serves them.
PHONE_SEARCH_MIN = 3
# What a stored phone may hold (customers.schemas.PHONE): digits, spaces, '-' and '+'. A search of
# only these is part of a phone number or an account number, and is not looked for in names and
# addresses: their digit trigrams (house and flat numbers) are in a large share of all rows, so
# their lists grow with the table and were read for nothing. Anything else cannot be part of a
# phone, and the phones' index is not asked (2.5 ms of an account number's search at 500k
# customers went there).
_PHONE_SHAPED = re.compile(r"^[0-9 +\-]+$")
# A search's total is counted up to this many matches past the page's first row; beyond that the
# page says "more than" (X-Pagination total_capped) instead of counting every customer in 福州.
SEARCH_COUNT_LIMIT = 1000


def search_query(*, q=None, branch=None, area=None):
    """Return the SELECT of customers matching part of a name, phone number or address, or an account number.

    Each part is indexed on PostgreSQL (migrations 0012, 0013): trigram GIN indexes serve the
    LIKE '%…%' of three characters or more; a two-character search (a given name: 志强) uses the
    bigram GIN indexes instead, because trigrams cannot. The search is routed by its shape: digits
    only (spaces, '-', '+' allowed) are part of a phone (from three digits) or an account number;
    anything else is part of a name or an address, or an account number.
    """
    query = select(Customer).order_by(Customer.name, Customer.id)
    if q:
        if _PHONE_SHAPED.match(q):
            # Phones live in a JSON list; its text form is enough to find a number in it.
            parts = [cast(Customer.phones, String).contains(q, autoescape=True)] if len(q) >= PHONE_SEARCH_MIN else []
        elif len(q) == 2 and db.session.get_bind().dialect.name == "postgresql":
            pair = [q]
            parts = [_bigrams(Customer.name).contains(pair), _bigrams(Customer.address).contains(pair)]
        else:
            parts = [Customer.name.contains(q, autoescape=True), Customer.address.contains(q, autoescape=True)]
        query = query.where(or_(*parts, Customer.account_no == q))
    if branch:
        query = query.where(Customer.branch == branch)
    if area:
        query = query.where(Customer.area == area)
    return query


def search_page(*, page_params, q=None, branch=None, area=None) -> list[Customer]:
    """Return one page of a search, setting its total (bounded: see SEARCH_COUNT_LIMIT) on `page_params`.

    A search matching more than that is listed in the order customers were registered, not by
    name: the caller is told to narrow it (total_capped), and no page waits for every match sorted.
    """
    return page_of(
        search_query(q=q, branch=branch, area=area),
        page_params,
        count_at_most=SEARCH_COUNT_LIMIT,
        capped_order=(Customer.id,),
    )


def _bigrams(column):
    """The text's two-character pieces, as migration 0009's doorstep_bigrams() indexes them (PostgreSQL)."""
    return func.doorstep_bigrams(column, type_=ARRAY(Text))


def visible_customer(user, customer_id: int) -> Customer:
    """Return the customer if `user` may see them: office staff always, a technician only for own orders."""
    customer = db.session.get(Customer, customer_id) if id_exists_in_range(customer_id) else None
    if customer is None:
        raise NotFound(f"No customer {customer_id}.")
    if user.role not in OFFICE_ROLES:
        mine = db.session.scalar(
            select(exists().where(WorkOrder.customer_id == customer.id, WorkOrder.technician_id == user.id))
        )
        if not mine:
            # Same answer as a missing customer: a technician learns nothing about others' customers.
            raise NotFound(f"No customer {customer_id}.")
    return customer


def create_customer(data: dict) -> Customer:
    """Create a customer from validated fields and commit."""
    _ensure_account_no_free(data.get("account_no"))
    customer = Customer(**data)
    db.session.add(customer)
    db.session.commit()
    return customer


def update_customer(customer: Customer, changes: dict) -> Customer:
    """Apply validated changes to a customer and commit."""
    if changes.get("account_no") and changes["account_no"] != customer.account_no:
        _ensure_account_no_free(changes["account_no"])
    for field, value in changes.items():
        setattr(customer, field, value)
    db.session.commit()
    return customer


def _ensure_account_no_free(account_no):
    if account_no and db.session.scalar(select(Customer.id).where(Customer.account_no == account_no)):
        raise Conflict(
            f"Account number {account_no} belongs to another customer.",
            code="account_no_taken",
            errors={"json": {"account_no": ["Already used by another customer."]}},
        )
