"""Realistic demo data for Fujian: branches in 福州, 厦门 and 泉州, their staff, customers and a week of orders.

Seeding is idempotent: accounts and customers are found by username and account number, and only
the work orders missing to reach the requested count are added. A fixed random seed makes every
run produce the same people and places.
"""

import random
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from backend.auth.models import User
from backend.auth.services import create_user
from backend.booking.models import Appointment
from backend.customers.models import Customer
from backend.extensions import db
from backend.timeutil import LOCAL_TZ, local_today
from backend.workorders.models import PhoneGuidance, StatusChange, WorkOrder
from backend.workorders.services import next_number

DEMO_PASSWORD = "demo1234"

BRANCHES = {
    "福州": {
        "prefix": "FZ",
        "areas": ["鼓楼区", "台江区", "仓山区", "晋安区"],
        "streets": ["五四路", "八一七北路", "杨桥中路", "工业路", "六一北路", "福新中路", "金山大道"],
        "estates": ["温泉花园", "屏西小区", "金山碧水", "融侨锦江", "福新花园"],
        "lat": 26.08,
        "lng": 119.30,
    },
    "厦门": {
        "prefix": "XM",
        "areas": ["思明区", "湖里区", "集美区"],
        "streets": ["湖滨南路", "厦禾路", "嘉禾路", "莲前西路", "仙岳路", "集美大道"],
        "estates": ["瑞景新村", "莲花五村", "禾祥西小区", "海湾新城"],
        "lat": 24.48,
        "lng": 118.09,
    },
    "泉州": {
        "prefix": "QZ",
        "areas": ["鲤城区", "丰泽区", "晋江市"],
        "streets": ["温陵路", "刺桐路", "泉秀路", "丰泽街", "世纪大道"],
        "estates": ["东海花园", "津淮小区", "宝洲花园"],
        "lat": 24.87,
        "lng": 118.68,
    },
}

# (username, name, role, branch, employee_no, skills, areas or None for the whole branch)
STAFF = [
    ("admin", "系统管理员", "admin", "福州", None, [], []),
    ("manager", "张主管", "manager", "福州", "M0001", [], []),
    ("dispatcher", "王丽", "dispatcher", "福州", "D1001", [], []),
    ("dispatcher_xm", "李娜", "dispatcher", "厦门", "D2001", [], []),
    ("tech", "林建华", "technician", "福州", "FZ1001", ["install", "repair"], ["鼓楼区", "台江区"]),
    ("chen", "陈志明", "technician", "福州", "FZ1002", ["install", "repair"], ["仓山区", "晋安区"]),
    ("huang", "黄文斌", "technician", "福州", "FZ1003", ["repair"], None),
    ("wu", "吴国强", "technician", "厦门", "XM2001", ["install", "repair"], ["思明区", "湖里区"]),
    ("zheng", "郑伟", "technician", "厦门", "XM2002", ["install", "repair"], ["集美区", "湖里区"]),
    ("cai", "蔡明辉", "technician", "泉州", "QZ3001", ["install", "repair"], None),
    ("hong", "洪志伟", "technician", "泉州", "QZ3002", ["repair"], ["鲤城区", "丰泽区"]),
]
PWA_TECHNICIAN = "tech"

SURNAMES = "陈林黄张李王吴刘蔡杨郑许谢洪郭邱曾廖赖周徐苏叶庄吕江何萧罗高潘简朱钟彭游詹胡施沈余赵卢梁颜柯翁魏孙戴"
GIVEN = [
    "秀英",
    "建国",
    "美玲",
    "志强",
    "丽华",
    "文斌",
    "淑芬",
    "国华",
    "玉兰",
    "明辉",
    "春梅",
    "海峰",
    "小燕",
    "金水",
    "宝珠",
    "伟民",
    "雅婷",
    "俊杰",
    "惠珍",
    "德福",
]
FAULTS = [
    "机顶盒无信号，电视显示“无节目”",
    "宽带断网，光猫LOS灯红",
    "遥控器失灵，换电池无效",
    "部分频道马赛克",
    "机顶盒反复重启",
    "网速很慢，晚上经常掉线",
    "高清频道无法收看",
    "电视有画面无声音",
]
INSTALLS = [
    "新装高清机顶盒一台",
    "新装宽带100M，含光猫",
    "客厅增加一个电视终端点位",
    "卧室新装机顶盒，需打孔走线",
    "移机：旧址拆机，新址安装",
]
# Each slot is 90 minutes with at least the 30-minute travel buffer between slots.
SLOTS = [time(8, 30), time(10, 30), time(13, 30), time(15, 30), time(17, 30)]
SLOT_LENGTH = timedelta(minutes=90)

# The status path an order took to reach its final status (after new).
PATHS = {
    "new": [],
    "resolved_by_phone": ["resolved_by_phone"],
    "scheduled": ["scheduled"],
    "en_route": ["scheduled", "en_route"],
    "on_site": ["scheduled", "en_route", "on_site"],
    "completed": ["scheduled", "en_route", "on_site", "completed"],
    "closed": ["scheduled", "en_route", "on_site", "completed", "closed"],
    "no_access": ["scheduled", "en_route", "no_access"],
    "needs_revisit": ["scheduled", "en_route", "on_site", "needs_revisit"],
    "cancelled": ["scheduled", "cancelled"],
}
PAST_STATUSES = [
    "closed",
    "closed",
    "completed",
    "completed",
    "no_access",
    "needs_revisit",
    "cancelled",
    "resolved_by_phone",
]
TODAY_STATUSES = ["scheduled", "scheduled", "en_route", "on_site", "completed"]
FUTURE_STATUSES = ["scheduled", "scheduled", "scheduled", "new"]
# When each step of a visit happened, relative to the window start.
STEP_OFFSETS = {
    "en_route": timedelta(minutes=-40),
    "on_site": timedelta(minutes=-7),
    "completed": timedelta(minutes=70),
    "no_access": timedelta(minutes=5),
    "needs_revisit": timedelta(minutes=60),
    "closed": timedelta(days=1, hours=2),
}
APPOINTMENT_AFTER = {
    "completed": "done",
    "closed": "done",
    "no_access": "done",
    "needs_revisit": "done",
    "cancelled": "cancelled",
}


def seed_accounts() -> list[User]:
    """Create the demo accounts that are missing; return all of them."""
    accounts = []
    for username, name, role, branch, employee_no, skills, areas in STAFF:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = create_user(
                username,
                DEMO_PASSWORD,
                role,
                name=name,
                employee_no=employee_no,
                branch=branch,
                phone=f"1360591{len(accounts):04d}",
                skills=skills,
                areas=BRANCHES[branch]["areas"] if areas is None else areas,
            )
        accounts.append(user)
    db.session.commit()
    return accounts


def seed_customers(rng: random.Random, per_branch: int) -> dict[str, list[Customer]]:
    """Create demo customers per branch (found again by account number); return them by branch."""
    existing = {c.account_no: c for c in db.session.scalars(select(Customer).where(Customer.account_no.like("DEMO-%")))}
    by_branch = {}
    for branch, place in BRANCHES.items():
        customers = []
        for n in range(1, per_branch + 1):
            account_no = f"DEMO-{place['prefix']}-{n:05d}"
            surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
            area = rng.choice(place["areas"])
            flat = f"{rng.randint(1, 30)}栋{rng.randint(1, 32)}0{rng.randint(1, 4)}室"
            street = f"{rng.choice(place['streets'])}{rng.randint(1, 399)}号"
            address = f"{branch}市{area}{street}{rng.choice(place['estates'])}{flat}"
            lat, lng = place["lat"] + rng.uniform(-0.05, 0.05), place["lng"] + rng.uniform(-0.05, 0.05)
            customer = existing.get(account_no)
            if customer is None:
                customer = Customer(
                    name=surname + given,
                    title=rng.choice(["先生", "女士"]),
                    phones=[f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"],
                    address=address,
                    account_no=account_no,
                    area=area,
                    branch=branch,
                    lat=round(lat, 5),
                    lng=round(lng, 5),
                )
                db.session.add(customer)
            customers.append(customer)
        by_branch[branch] = customers
    db.session.commit()
    return by_branch


def demo_order_count(dispatchers) -> int:
    """Return how many work orders the demo dispatchers have opened."""
    return db.session.scalar(
        select(func.count(WorkOrder.id)).where(WorkOrder.created_by_id.in_([d.id for d in dispatchers]))
    )


def seed_orders(rng, accounts, customers_by_branch, wanted: int, progress=None) -> int:
    """Add demo work orders until the demo dispatchers have `wanted`; return how many were added.

    The week around today fills first, slot by slot across days and technicians, so a small demo
    still spans the week; larger counts reach further into the past.
    """
    dispatchers = [u for u in accounts if u.role == "dispatcher"]
    technicians = [u for u in accounts if u.role == "technician"]
    missing = wanted - demo_order_count(dispatchers)
    taken = _taken_slots([t.id for t in technicians])
    today = local_today()
    pwa_technician = next(t for t in technicians if t.username == PWA_TECHNICIAN)
    # The PWA demo's technician has a full morning and afternoon today, all still to do.
    planned = [
        (pwa_technician, today, slot, "scheduled", kind)
        for slot, kind in zip(SLOTS, ("install", "repair", "repair", "install"), strict=False)
    ]
    added = 0
    for technician, day, slot, status, kind in (*planned, *_further_slots(rng, technicians, today)):
        if added >= missing:
            break
        if (technician.id, day, slot) in taken:
            continue
        taken.add((technician.id, day, slot))
        if kind not in technician.skills:
            kind = technician.skills[0]
        _add_order(rng, technician, dispatchers, customers_by_branch[technician.branch], day, slot, status, kind)
        added += 1
        if progress:
            progress.update(1)
        if added % 500 == 0:
            db.session.commit()
    return max(added, 0)


def _further_slots(rng, technicians, today):
    """Yield (technician, day, slot, status, kind): the week around today, then earlier weeks."""
    for week in range(520):
        days = (
            [today + timedelta(days=d) for d in range(-3, 4)]
            if week == 0
            else [today - timedelta(days=3 + 7 * (week - 1) + d) for d in range(1, 8)]
        )
        for slot in SLOTS:
            for day in days:
                for technician in technicians:
                    offset = (day - today).days
                    yield technician, day, slot, _status_for(rng, offset), rng.choice(["install", "repair"])


def _status_for(rng, day_offset):
    if day_offset < 0:
        return rng.choice(PAST_STATUSES)
    if day_offset == 0:
        return rng.choice(TODAY_STATUSES)
    return rng.choice(FUTURE_STATUSES)


def _taken_slots(technician_ids):
    taken = set()
    for technician_id, starts_at in db.session.execute(
        select(Appointment.technician_id, Appointment.starts_at).where(
            Appointment.technician_id.in_(technician_ids), Appointment.status != "superseded"
        )
    ):
        local = starts_at.astimezone(LOCAL_TZ)
        taken.add((technician_id, local.date(), local.time().replace(tzinfo=None)))
    return taken


def _add_order(rng, technician, dispatchers, customers, day, slot, status, kind):
    """Add one order that reached `status` through its recorded path; return it."""
    customer = rng.choice([c for c in customers if c.area in technician.areas] or customers)
    dispatcher = next((d for d in dispatchers if d.branch == technician.branch), dispatchers[0])
    starts = datetime.combine(day, slot, tzinfo=LOCAL_TZ)
    created = starts - timedelta(days=1, hours=rng.randint(0, 20))
    order = WorkOrder(
        number=next_number(created),
        type=kind,
        priority=rng.choice(["normal"] * 6 + ["high", "urgent"]),
        description=rng.choice(INSTALLS if kind == "install" else FAULTS),
        status="new",
        customer_id=customer.id,
        address=customer.address,
        branch=customer.branch,
        area=customer.area,
        created_by_id=dispatcher.id,
        created_at=created,
        updated_at=created,
    )
    db.session.add(order)
    db.session.flush()
    steps = [(None, "new", dispatcher.id, "opened", created)]
    previous, at = "new", created + timedelta(minutes=20)
    if kind == "repair" and status in ("resolved_by_phone", "scheduled", "new"):
        solved = status == "resolved_by_phone"
        db.session.add(
            PhoneGuidance(
                work_order_id=order.id,
                actor_id=dispatcher.id,
                resolved=solved,
                at=at,
                notes="重新插线后恢复正常" if solved else "指导客户重启机顶盒",
            )
        )
    for to in PATHS[status]:
        actor = technician if to in ("en_route", "on_site", "completed", "no_access", "needs_revisit") else dispatcher
        at = starts + STEP_OFFSETS[to] if to in STEP_OFFSETS else at
        steps.append((previous, to, actor.id, _reason(to), at))
        previous = to
    add_status_changes(order, steps)
    order.status = status
    if PATHS[status][:1] == ["scheduled"]:
        order.technician_id = technician.id
        db.session.add(
            Appointment(
                work_order_id=order.id,
                technician_id=technician.id,
                starts_at=starts,
                ends_at=starts + SLOT_LENGTH,
                status=APPOINTMENT_AFTER.get(status, "active"),
                booked_by_id=dispatcher.id,
                created_at=created + timedelta(minutes=30),
            )
        )
    return order


def add_status_changes(order, steps):
    """Record an order's status path: steps of (from, to, actor id, reason, at)."""
    for from_status, to_status, actor_id, reason, when in steps:
        db.session.add(
            StatusChange(
                work_order_id=order.id,
                from_status=from_status,
                to_status=to_status,
                actor_id=actor_id,
                reason=reason,
                at=when,
            )
        )


def _reason(to_status):
    return {
        "scheduled": "booked",
        "resolved_by_phone": "电话指导解决",
        "no_access": "客户不在家，已留单",
        "needs_revisit": "需更换配件，另约时间",
        "cancelled": "客户取消",
        "closed": "回访满意",
    }.get(to_status)


# The call centre's cases the console should show on a demo day: one complaint answered in time,
# one gone overdue and escalated, and a query about no order still within its three hours.
DEMO_CASES = (
    ("complaint", "维护员比约定时间晚到四十分钟，也没有提前打电话。", "answered", 5),
    ("complaint", "上门后电视还是时有马赛克，希望尽快再派人来看。", "overdue", 5),
    ("query", "询问宽带提速的资费，客服需向业务部门确认后答复。", "open", 1),
)


def seed_cases(accounts, now: datetime) -> int:
    """Open the demo's cases once (none if the database has any); return how many were opened."""
    from backend.aftercare.models import Complaint
    from backend.aftercare.services import answer_complaint, escalate_overdue, open_complaint

    if db.session.scalar(select(func.count(Complaint.id))):
        return 0
    dispatcher = next(u for u in accounts if u.role == "dispatcher")
    completed = db.session.scalars(
        select(WorkOrder).where(WorkOrder.status.in_(("completed", "closed"))).order_by(WorkOrder.id).limit(2)
    ).all()
    opened = 0
    for (kind, description, state, hours_ago), order in zip(DEMO_CASES, [*completed, None, None], strict=False):
        at = now - timedelta(hours=hours_ago)
        about = {"work_order_id": order.id} if kind == "complaint" and order else {}
        if not about:
            about = {"person": "郑女士", "contact_phone": "13905910123", "place": "福州市鼓楼区"}
        case = open_complaint(dispatcher, kind=kind, channel="phone", description=description, now=at, **about)
        if state == "answered":
            answer_complaint(
                dispatcher, case.id, "已致电客户致歉，并提醒维护员迟到须提前告知。", now=at + timedelta(hours=1)
            )
        opened += 1
    escalate_overdue(now=now)
    return opened
