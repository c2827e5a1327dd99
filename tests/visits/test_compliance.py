"""The compliance record rests on evidence: verified, attested, missed or not applicable, never a bare tick."""

import pytest

from backend.visits.compliance import tally
from backend.visits.engine import apply_op
from backend.visits.services import latest_visit, visit_summary
from tests.visits.conftest import whole_visit_ops


@pytest.fixture
def new_attachment(upload, technician):
    return lambda **kw: upload(technician, **kw)


def _visit(db, order, technician, ops):
    for op in ops:
        apply_op(order, technician, op["type"], op["data"], op["at"])
    db.session.commit()
    return latest_visit(order.id)


def _status(visit, rule):
    return visit.compliance[rule]["status"]


def test_a_visit_that_follows_the_standard_separates_what_was_verified_from_what_was_ticked(
    db, make_order, technician, new_attachment
):
    order = make_order("repair")
    visit = _visit(db, order, technician, whole_visit_ops("repair", new_attachment))

    # Checked by the server from timestamps, photos, the tariff and the signature.
    for rule in (
        "arrive.on_time",
        "arrive.early_5_10_min",
        "arrive.arrived_early",
        "operate.photo_before",
        "operate.fees_in_tariff",
        "operate.tariff_fees_only",
        "operate.swap_serials_recorded",
        "evaluate.customer_signed_or_declined",
        "evaluate.feedback_form_explained",
        "visit.six_steps",
    ):
        assert _status(visit, rule) == "verified", rule
    # Only the technician's word stands behind these.
    for rule in ("call.no_wei", "arrive.shoe_covers_on", "communicate.listened_first", "help.proactive_help"):
        assert _status(visit, rule) == "attested", rule
    # The door opened and nobody was late: nothing to knock, no notice, no late notice to give.
    for rule in ("arrive.knock_protocol", "arrive.notice_left", "arrive.late_notice_before_window"):
        assert _status(visit, rule) == "not_applicable", rule

    record = visit_summary(order)["compliance"]
    assert record["score"] == 100 and record["missed"] == 0
    assert record["verified"] == 10 + 1  # the ten above and the photo after
    assert 0 < record["verified_score"] < 100 and record["attested_score"] == 100 - record["verified_score"]
    assert {r["status"] for r in record["rules"]} == {"verified", "attested", "not_applicable"}


def test_a_tick_the_evidence_contradicts_is_missed_not_attested(db, make_order, technician, new_attachment):
    # Checked in 20 minutes after the window opened, and ticked "arrived 5–10 minutes early".
    order = make_order("repair")
    visit = _visit(db, order, technician, whole_visit_ops("repair", new_attachment, arrive_minutes_early=-20))

    ticked = visit.compliance["arrive.arrived_early"]
    assert ticked["status"] == "missed"
    assert ticked["evidence"]["answer"] is True
    assert ticked["evidence"]["checked_by"] == "arrive.early_5_10_min"
    assert ticked["evidence"]["evidence"]["minutes_before_window"] == -20.0
    assert _status(visit, "arrive.on_time") == "missed"
    record = visit_summary(order)["compliance"]
    assert "arrive.arrived_early" in record["missed_rules"] and record["score"] < 100


def test_help_with_nothing_on_record_is_missed(db, make_order, technician, new_attachment):
    ops = whole_visit_ops("install", new_attachment)
    for op in ops:
        if op["type"] == "help.record":
            op["data"] = {"checks": [], "leads": [], "leaflet_given": False}
    visit = _visit(db, make_order("install"), technician, ops)
    assert _status(visit, "help.proactive_help") == "missed"
    assert visit.compliance["help.proactive_help"]["evidence"] == {"checks": [], "leads": 0, "leaflet_given": False}


def test_an_optional_item_left_unanswered_is_not_applicable(db, make_order, technician, new_attachment):
    ops = [
        op
        for op in whole_visit_ops("repair", new_attachment)
        if not (op["type"] == "checklist.answer" and op["data"]["item"] == "called_back_if_cut")
    ]
    visit = _visit(db, make_order("repair"), technician, ops)
    assert visit.compliance["call.called_back_if_cut"] == {
        "status": "not_applicable",
        "evidence": {"answered": False},
        "checked_at": visit.compliance["call.called_back_if_cut"]["checked_at"],
    }
    assert visit.compliance_score == 100


def test_scores_count_verified_and_attested_apart_and_read_records_made_before_statuses():
    record = tally(
        {
            "a": {"status": "verified"},
            "b": {"status": "attested"},
            "c": {"status": "missed"},
            "d": {"status": "not_applicable"},
            "old": {"passed": True},
        }
    )
    assert record["applicable"] == 4
    assert (record["score"], record["verified_score"], record["attested_score"]) == (75, 50, 25)
    assert record["missed_rules"] == ["c"]
    assert tally({})["score"] is None
