"""`seed-demo --past-month`: a month worth reading in the manager's view, the same every time, once."""

from datetime import date

from sqlalchemy import func, select

from backend.aftercare.models import Complaint
from backend.demo.month import month_days
from backend.extensions import db
from backend.reports import rollups, service
from backend.reports.models import KpiRollup
from backend.timeutil import local_today, utcnow
from backend.visits.models import Visit


def test_the_demo_days_run_from_the_first_of_the_month_before_last_to_four_days_ago():
    # Last month's figures have the month before to trend against.
    days = month_days(date(2026, 12, 3))
    assert (days[0], days[-1]) == (date(2026, 10, 1), date(2026, 11, 29))


def test_the_past_month_has_every_kind_of_figure_and_is_seeded_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--orders", "40", "--past-month"])
    assert result.exit_code == 0, result.output
    visits = db.session.scalar(select(func.count(Visit.id)))
    assert visits > 300
    days = month_days(local_today())
    f = service.Filters(days[0], days[-1])
    got = {item["kpi"]: item for item in service.overview(f, utcnow())["headline"]}
    for kpi in ("late_without_notice", "no_access", "needs_revisit", "declined", "leads", "cases_overdue"):
        assert got[kpi]["numerator"] > 0, kpi
    late_with_notice = got["late"]["numerator"] - got["late_without_notice"]["numerator"]
    assert late_with_notice > 0
    assert 0.5 < got["first_time_fix"]["value"] < 0.95 and 3 < got["rating_overall"]["value"] < 5
    answered = [
        c.answered_late for c in db.session.scalars(select(Complaint).where(Complaint.answered_at.is_not(None)))
    ]
    assert True in answered and False in answered
    rules = service.rules(f, utcnow())
    assert any(r["attested"] for r in rules) and any(r["verified"] for r in rules)
    # The rollups the seed left are those a rebuild computes from its visits.
    seeded = {
        (r.day, r.technician_id, r.work_order_type, r.branch, r.area): r.counts
        for r in db.session.scalars(select(KpiRollup))
    }
    rollups.rebuild(days[0], days[-1])
    rebuilt = {
        (r.day, r.technician_id, r.work_order_type, r.branch, r.area): r.counts
        for r in db.session.scalars(select(KpiRollup))
    }
    assert seeded == rebuilt
    again = runner.invoke(args=["seed-demo", "--orders", "40", "--past-month"])
    assert again.exit_code == 0 and db.session.scalar(select(func.count(Visit.id))) == visits
