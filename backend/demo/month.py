"""`seed-demo --past-month`: the finished visits of a realistic past month, for the manager's figures.

From the first day of the month before last to four days ago (last month, and the month before it
for the figures' trend), each technician has three or four visits a
day, recorded as the engine records them (arrival class and lead, late notices, flags, outcome,
ratings and moments of truth, declined evaluations, compliance with verified and self-attested
rules, leads), some revisits and repeat faults, return-visit calls and complaints answered in
time, late or not at all; then the KPI rollups of those days are rebuilt. Each technician has a
manner of their own (punctual or not, liked or not), so the league table has something to say.
A fixed random seed makes it the same every time; a database that has the month already is left alone.
"""

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select

from backend.aftercare.models import ReturnVisitCall
from backend.aftercare.services import answer_complaint, open_complaint
from backend.booking.models import Appointment
from backend.demo import seed
from backend.extensions import db
from backend.reports import rollups
from backend.timeutil import LOCAL_TZ, local_today
from backend.visits.definitions import STEP_IDS, get_flow
from backend.visits.models import LATE_WITHOUT_NOTICE, Lead, Visit
from backend.visits.payloads import MOT_KEYS, RATING_KEYS

CUSTOMERS_PER_BRANCH = 160
REPEAT_SHARE = 0.07  # a visit to a customer seen in the last week: a revisit or a repeat fault
PRODUCTS = ("宽带提速", "高清机顶盒", "IPTV", "智能家居")
# Per technician: (mean minutes early, spread, share of late arrivals announced, mean overall rating).
MANNERS = {
    "tech": (7, 5, 0.8, 4.6),
    "chen": (5, 6, 0.5, 4.2),
    "huang": (3, 8, 0.3, 3.7),
    "wu": (8, 4, 0.9, 4.7),
    "zheng": (3, 8, 0.4, 4.0),
    "cai": (6, 6, 0.7, 4.4),
    "hong": (2, 8, 0.2, 3.5),
}
DEFAULT_MANNER = (5, 7, 0.6, 4.2)  # any other technician (the browser tests' own accounts)


def month_days(today):
    """Return the demo's days: the first of the month before last (last month's figures have a
    previous period to compare with) to four days before today."""
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    first = (last_month - timedelta(days=1)).replace(day=1)
    return [first + timedelta(days=d) for d in range((today - timedelta(days=4) - first).days + 1)]


def seed_past_month(accounts, today=None) -> int:
    """Record the past month's visits once; return how many visits were added (0 when already there)."""
    today = today or local_today()
    days = month_days(today)
    start = datetime.combine(days[0], datetime.min.time(), tzinfo=LOCAL_TZ)
    if db.session.scalar(select(func.count(Visit.id)).where(Visit.started_at >= start)):
        return 0
    rng = random.Random(1311)
    customers = seed.seed_customers(random.Random(2026), per_branch=CUSTOMERS_PER_BRANCH)
    technicians = [u for u in accounts if u.role == "technician" and u.branch in customers]
    dispatchers = [u for u in accounts if u.role == "dispatcher"]
    taken = seed._taken_slots([t.id for t in technicians])
    last_seen: dict[int, object] = {}  # customer id -> the last day the demo visited them
    month = _Month(rng, dispatchers)
    for day in days:
        for technician in technicians:
            free = [s for s in seed.SLOTS if (technician.id, day, s) not in taken]
            for slot in sorted(rng.sample(free, min(len(free), rng.choice((3, 3, 4))))):
                taken.add((technician.id, day, slot))
                pool = customers[technician.branch]
                customer = _customer(rng, pool, technician, day, last_seen)
                last_seen[customer.id] = day
                month.order(technician, customer, day, slot, taken)
    month.add_leads()
    month.cases()
    rollups.rebuild(days[0], days[-1])
    db.session.commit()
    return month.visits


def _customer(rng, pool, technician, day, last_seen):
    local = [c for c in pool if c.area in technician.areas] or pool
    recent = [c for c in local if c.id in last_seen and (day - last_seen[c.id]).days <= 6]
    if recent and rng.random() < REPEAT_SHARE:
        return rng.choice(recent)
    return rng.choice([c for c in local if c not in recent] or local)


class _Month:
    def __init__(self, rng, dispatchers):
        self.rng, self.dispatchers, self.visits, self.complained = rng, dispatchers, 0, []
        self.leads = []  # (visit, lead): written once the visits have their ids

    def add_leads(self):
        """Write the leads, now that one flush has given every visit its id."""
        db.session.flush()
        for visit, lead in self.leads:
            lead.visit_id = visit.id
            db.session.add(lead)

    def order(self, technician, customer, day, slot, taken):
        rng = self.rng
        kind = rng.choice([k for k in ("install", "repair", "repair") if k in technician.skills])
        first = rng.choices(("completed", "needs_revisit", "no_access"), (84, 10, 6))[0]
        order = seed._add_order(rng, technician, self.dispatchers, [customer], day, slot, first, kind)
        starts = datetime.combine(day, slot, tzinfo=LOCAL_TZ)
        visit = self.visit(order, technician, starts, first)
        if first != "completed" and rng.random() < 0.8:  # another appointment, a day or three later
            later = day + timedelta(days=rng.randint(1, 3))
            slot = next((s for s in seed.SLOTS if (technician.id, later, s) not in taken), None)
            if slot is not None:
                taken.add((technician.id, later, slot))
                starts = datetime.combine(later, slot, tzinfo=LOCAL_TZ)
                self.rebook(order, technician, starts, first)
                visit = self.visit(order, technician, starts, "completed")
        if visit.outcome == "completed":
            self.return_visit(order, visit)
            if rng.random() < 0.035 or (LATE_WITHOUT_NOTICE in visit.flags and rng.random() < 0.25):
                self.complained.append((order, visit))

    def rebook(self, order, technician, starts, was):
        dispatcher = self.dispatchers[0]
        db.session.add(
            Appointment(
                work_order_id=order.id,
                technician_id=technician.id,
                starts_at=starts,
                ends_at=starts + seed.SLOT_LENGTH,
                status="done",
                booked_by_id=dispatcher.id,
                created_at=starts - timedelta(days=1),
            )
        )
        path = [(was, "scheduled", dispatcher.id, "booked", starts - timedelta(days=1))]
        path += [
            ("scheduled", "en_route", technician.id, None, starts - timedelta(minutes=40)),
            ("en_route", "on_site", technician.id, None, starts - timedelta(minutes=7)),
            ("on_site", "completed", technician.id, "visit completed", starts + timedelta(minutes=70)),
        ]
        seed.add_status_changes(order, path)
        order.status = "completed"

    def visit(self, order, technician, starts, outcome):
        """Record one ended visit the way the engine leaves it."""
        rng = self.rng
        early_mean, spread, announces, liked = MANNERS.get(technician.username, DEFAULT_MANNER)
        lead = round(rng.gauss(early_mean, spread))
        checked_in = starts - timedelta(minutes=lead)
        arrival = "early" if lead >= 5 else "on_time" if lead >= 0 else "late"
        notified = arrival == "late" and rng.random() < announces
        at = checked_in.isoformat()
        compliance = {
            "arrive.on_time": _check("verified" if arrival != "late" else "missed", at),
            "arrive.early_5_10_min": _check("verified" if 5 <= lead <= 10 else "missed", at),
        }
        if arrival == "late":
            compliance["arrive.late_notice_before_window"] = _check("verified" if notified else "missed", at)
        visit = Visit(
            work_order_id=order.id,
            technician_id=technician.id,
            appointment_id=None,
            flow_type=order.type,
            flow_version=get_flow(order.type)["version"],
            window_starts_at=starts,
            window_ends_at=starts + seed.SLOT_LENGTH,
            started_at=checked_in - timedelta(minutes=rng.randint(15, 40)),
            checked_in_at=checked_in,
            arrival_class=arrival,
            arrival_lead_seconds=lead * 60,
            late_notice_at=starts - timedelta(minutes=rng.randint(10, 30)) if notified else None,
            flags=[LATE_WITHOUT_NOTICE] if arrival == "late" and not notified else [],
            call_attempts=[{"at": (starts - timedelta(hours=18)).isoformat(), "outcome": "reached"}],
        )
        if outcome == "no_access":
            visit.ended_at, visit.outcome = checked_in + timedelta(minutes=6), "no_access"
            compliance["arrive.knock_protocol"] = _check(rng.choice(("verified", "verified", "missed")), at)
        else:
            visit.ended_at = checked_in + timedelta(minutes=rng.randint(45, 110))
            visit.outcome, visit.result = outcome, "fixed" if outcome == "completed" else "needs_revisit"
            visit.completed_steps = list(STEP_IDS)
            self.evaluate(visit, liked - (0.8 if visit.flags else 0))
            for step in STEP_IDS:  # the checklists: the technician's word, not the server's check
                compliance[f"{step}.checklist"] = _check("attested" if rng.random() < 0.95 else "missed", at)
            helped = rng.random() < 0.85
            compliance["help.proactive_help"] = _check("attested" if helped else "missed", at)
            compliance["visit.six_steps"] = _check("verified", at)
            visit.leaflet_given = helped
        kept = [c["status"] for c in compliance.values() if c["status"] != "not_applicable"]
        visit.compliance = compliance
        visit.compliance_score = round(100 * sum(s != "missed" for s in kept) / len(kept))
        db.session.add(visit)
        if outcome != "no_access" and rng.random() < 0.18:
            lead = Lead(
                work_order_id=order.id,
                customer_id=order.customer_id,
                technician_id=technician.id,
                product=rng.choice(PRODUCTS),
                interest=rng.choices(("high", "medium", "low"), (3, 4, 3))[0],
                created_at=visit.ended_at,
            )
            self.leads.append((visit, lead))
        self.visits += 1
        return visit

    def evaluate(self, visit, liked):
        rng = self.rng
        visit.evaluated_at = visit.ended_at - timedelta(minutes=3)
        if rng.random() < 0.08:  # the customer would not judge the visit: a reason, no scores
            visit.signature_declined_reason = rng.choice(("赶时间", "不想签字", "家中老人代为接待"))
            return
        overall = max(1, min(5, round(rng.gauss(liked, 0.8))))
        visit.ratings = {k: max(1, min(5, overall + rng.choice((-1, 0, 0, 0, 1)))) for k in RATING_KEYS}
        visit.ratings["overall"] = overall
        visit.mot = {k: max(-3, min(3, overall - 3 + rng.choice((-1, 0, 0, 1)))) for k in MOT_KEYS}
        visit.comments = rng.choice(("", "很满意", "师傅很专业", "希望下次准时一些", ""))

    def return_visit(self, order, visit):
        rng = self.rng
        if rng.random() > 0.7:
            return
        reached = rng.random() < 0.85
        overall = (visit.ratings or {}).get("overall", 4)
        satisfaction = max(1, min(5, overall + rng.choice((-1, 0, 0, 1)))) if reached else None
        called = visit.ended_at + timedelta(days=1, hours=rng.randint(0, 6))
        db.session.add(
            ReturnVisitCall(
                work_order_id=order.id,
                caller_id=self.dispatchers[0].id,
                called_at=called,
                reached=reached,
                unreached_reason=None if reached else rng.choice(("no_answer", "busy", "switched_off")),
                satisfaction=satisfaction,
                resolved=(rng.random() < 0.93) if reached else None,
                order_status_after="closed" if reached else None,
            )
        )
        if reached:
            seed.add_status_changes(order, [("completed", "closed", self.dispatchers[0].id, "回访满意", called)])
            order.status = "closed"

    def cases(self):
        """Open the month's complaints through the call centre's service: most answered in time, some late."""
        rng = self.rng
        for order, visit in self.complained:
            opened = visit.ended_at + timedelta(hours=rng.randint(2, 30))
            dispatcher = next((d for d in self.dispatchers if d.branch == order.branch), self.dispatchers[0])
            case = open_complaint(
                dispatcher,
                channel="phone",
                work_order_id=order.id,
                description=rng.choice(("维护员迟到且未提前来电", "维修后问题仍反复出现", "上门时未穿鞋套")),
                now=opened,
                commit=False,
            )
            db.session.flush()  # the case's id, for the answer
            answered_after = rng.choices((rng.uniform(0.5, 2.8), rng.uniform(3.2, 8), None), (75, 20, 5))[0]
            if answered_after is not None:
                answer_complaint(
                    dispatcher, case.id, "已致电客户致歉并处理", now=opened + timedelta(hours=answered_after)
                )


def _check(status, at):
    return {"status": status, "evidence": {}, "checked_at": at}
