"""The caller's history beside the call: orders, their visits' scores, open complaints."""

import datetime as dt

from sqlalchemy import select

from backend.aftercare.models import Complaint, ReturnVisitCall
from backend.customers.services import visible_customer
from backend.extensions import db
from backend.visits.models import Visit
from backend.workorders.models import WorkOrder

RECENT_ORDERS = 20
OPEN_COMPLAINT = ("open", "answered")


def customer_history(user, customer_id: int, *, now: dt.datetime) -> dict:
    """Return the customer with their recent orders (newest first), scores and open complaints."""
    customer = visible_customer(user, customer_id)
    orders = db.session.scalars(
        select(WorkOrder)
        .where(WorkOrder.customer_id == customer.id)
        .order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
        .limit(RECENT_ORDERS)
    ).all()
    ids = [order.id for order in orders]
    ratings = _latest_by_order(Visit, Visit.ratings, ids)
    return_visit = _latest_by_order(ReturnVisitCall, ReturnVisitCall.satisfaction, ids)
    complaints = db.session.scalars(
        select(Complaint)
        .join(WorkOrder, Complaint.work_order_id == WorkOrder.id)
        .where(WorkOrder.customer_id == customer.id, Complaint.status.in_(OPEN_COMPLAINT))
        .order_by(Complaint.due_at)
    ).all()
    for complaint in complaints:
        complaint.overdue = complaint.is_overdue(now)
    return {
        "customer": customer,
        "orders": [
            {
                "order": order,
                "visit_overall": (ratings.get(order.id) or {}).get("overall"),
                "return_visit_satisfaction": return_visit.get(order.id),
            }
            for order in orders
        ],
        "open_complaints": complaints,
    }


def _latest_by_order(model, column, order_ids) -> dict:
    """Map work-order id to ``column`` of its newest ``model`` row that has a value."""
    rows = db.session.execute(
        select(model.work_order_id, column)
        .where(model.work_order_id.in_(order_ids), column.is_not(None))
        .order_by(model.id)
    ).all()
    return {order_id: value for order_id, value in rows}  # later rows overwrite: the newest wins
