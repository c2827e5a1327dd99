"""`flask reports rebuild`: the rollups recomputed from the visits, for all days or a range."""

from backend.extensions import db
from backend.reports.models import KpiRollup


def _cells():
    return {
        (r.day, r.technician_id, r.work_order_type, r.branch, r.area): r.counts for r in db.session.query(KpiRollup)
    }


def test_rebuild_restores_the_rollups_from_the_visits(app, november):
    expected = _cells()
    db.session.query(KpiRollup).delete()
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["reports", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.output
    assert _cells() == expected


def test_rebuild_of_a_range_touches_only_its_days(app, november):
    expected = _cells()
    result = app.test_cli_runner().invoke(args=["reports", "rebuild", "--from", "2026-11-30", "--to", "2026-11-30"])
    assert result.exit_code == 0, result.output
    assert _cells() == expected
    refused = app.test_cli_runner().invoke(args=["reports", "rebuild", "--from", "2026-11-30", "--to", "2026-11-01"])
    assert refused.exit_code != 0 and "--to" in refused.output


def test_rebuild_with_no_visits_says_so(app, db):
    result = app.test_cli_runner().invoke(args=["reports", "rebuild"])
    assert result.exit_code == 0 and "nothing to rebuild" in result.output
