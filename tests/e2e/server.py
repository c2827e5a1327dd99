"""A live Doorstep server for the browser tests: migrated database, a seeded day, werkzeug on a port.

Run as a subprocess (the pytest process swaps the database session per test, which a server
thread must not share). Prints one JSON line with the seeded ids, then serves until killed.
"""

import argparse
import datetime as dt
import json
import sys

import flask_migrate
from werkzeug.serving import make_server

from backend import create_app
from backend.auth.services import create_user
from backend.booking.models import Appointment
from backend.customers.models import Customer
from backend.extensions import db
from backend.timeutil import LOCAL_TZ
from backend.workorders.models import WorkOrder
from backend.workorders.services import next_number
from backend.workorders.statemachine import transition

PASSWORD = "correct-horse-9"
# Plain names with the title recorded apart (a 先生 inside the name would hide a script that reads
# out the full name), a compound surname, and customers with no title recorded.
CUSTOMERS = (("张三", "先生"), ("欧阳娜娜", "女士"), ("王五", None), ("李四", "先生"), ("陈静", "小姐"), ("赵六", None))


def _at(day, hour):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def _booked_order(number, kind, description, customer, technician, dispatcher, starts_at, branch):
    order = WorkOrder(
        number=number,
        type=kind,
        priority="normal",
        description=description,
        status="new",
        customer_id=customer.id,
        address=customer.address,
        branch=branch,
        area="鼓楼",
        technician_id=technician.id,
        created_by_id=dispatcher.id,
    )
    db.session.add(order)
    db.session.flush()
    transition(order, "scheduled", dispatcher, reason="booked")
    db.session.add(
        Appointment(
            work_order_id=order.id,
            technician_id=technician.id,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=25),
            status="active",
            booked_by_id=dispatcher.id,
        )
    )
    return order


def _customer(n, name, title, branch="鼓楼"):
    customer = Customer(
        name=name,
        title=title,
        phones=[f"1380000{n:04d}"],
        address=f"福州市鼓楼区五四路{n}号",
        account_no=f"ACC{n:05d}",
        area="鼓楼",
        branch=branch,
        lat=26.08,
        lng=119.30,
    )
    db.session.add(customer)
    db.session.flush()
    return customer


def seed(orders_per_type):
    """Create technicians, a dispatcher, a manager and today's booked install and repair orders.

    ``tech`` (branch 鼓楼) has the orders; ``nobranch``, an account created without a branch, has
    one repair order with no branch either.
    """
    tech = create_user("tech", PASSWORD, "technician", name="李明", employee_no="FZ0042", branch="鼓楼")
    dispatcher = create_user("dispatch", PASSWORD, "dispatcher", name="王芳", employee_no="KF0107")
    create_user("manager", PASSWORD, "manager", name="陈主管")
    today = dt.datetime.now(LOCAL_TZ).date()
    orders = []
    n = 0
    for kind, description in (("install", "新装高清机顶盒"), ("repair", "电视无信号")):
        for _ in range(orders_per_type):
            n += 1
            name, title = CUSTOMERS[(n - 1) % len(CUSTOMERS)]
            customer = _customer(n, name, title)
            # Back-to-back half-hour windows from 08:00: one technician is never double-booked
            # (PostgreSQL's exclusion constraint would refuse the seed otherwise).
            starts_at = _at(today, 8) + dt.timedelta(minutes=30 * (n - 1))
            # Numbered by the day's counter, as the API numbers the orders a test opens later.
            order = _booked_order(next_number(), kind, description, customer, tech, dispatcher, starts_at, "鼓楼")
            orders.append({"id": order.id, "number": order.number, "type": kind, "customer": name, "title": title})
    nobranch = create_user("nobranch", PASSWORD, "technician", name="周强")
    customer = _customer(9000, "孙丽", "女士", branch=None)
    order = _booked_order(next_number(), "repair", "电视无信号", customer, nobranch, dispatcher, _at(today, 14), None)
    db.session.commit()
    return {
        "technician_id": tech.id,
        "orders": orders,
        "nobranch_order": {"id": order.id, "number": order.number},
        "password": PASSWORD,
    }


def seed_demo(app):
    """Seed exactly as `flask seed-demo` does (the manager's view reads its past month)."""
    from backend.demo.seed import DEMO_PASSWORD

    result = app.test_cli_runner().invoke(args=["seed-demo", "--past-month"])
    if result.exit_code != 0:
        raise RuntimeError(result.output) from result.exception
    return {"orders": [], "password": DEMO_PASSWORD, "demo": True}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pwa-dist", required=True)
    parser.add_argument("--orders-per-type", type=int, default=3)
    parser.add_argument(
        "--seed-demo",
        action="store_true",
        help="seed with `flask seed-demo` (the demo branches, accounts and past month) instead",
    )
    parser.add_argument(
        "--address-from-server-name",
        action="store_true",
        help="configure SERVER_NAME instead of PUBLIC_BASE_URL, as a deployer may",
    )
    args = parser.parse_args()
    address = f"127.0.0.1:{args.port}"
    where = {"SERVER_NAME": address} if args.address_from_server_name else {"PUBLIC_BASE_URL": f"http://{address}"}
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.database_url,
            "SECRET_KEY": "e2e-secret",
            "RATELIMIT_ENABLED": False,
            "PWA_DIST": args.pwa_dist,
            **where,
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        info = seed_demo(app) if args.seed_demo else seed(args.orders_per_type)
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    print(json.dumps(info), flush=True)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
