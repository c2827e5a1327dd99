"""The compliance record of a visit: each rule of the standard, how it stands, and on what evidence.

A rule is **verified** when the server checked it from evidence it holds (timestamps, location,
photos, signatures, the tariff), **attested** when only the technician's tick stands behind it,
**missed** when the evidence or the record shows it was not followed, and **not applicable** when
it did not arise on this visit (no late arrival, no swap). Nothing is recorded as met without the
evidence it rests on, and a tick that the evidence contradicts is recorded missed, not attested.
"""

from datetime import datetime
from pathlib import Path

import yaml

VERIFIED = "verified"
ATTESTED = "attested"
MISSED = "missed"
NOT_APPLICABLE = "not_applicable"
# Declared once: the API's enum, the forms' labels and the reports read this tuple.
STATUSES = (VERIFIED, ATTESTED, MISSED, NOT_APPLICABLE)
MET = (VERIFIED, ATTESTED)  # the statuses of a rule that was followed

# The rules the engine records itself, each from its own evidence, with their labels and what
# the record rests on (data: rules.yaml); a flow item may name one as `verified_by`.
ENGINE_RULES = yaml.safe_load(Path(__file__).with_name("rules.yaml").read_text(encoding="utf-8"))
# Rules that arise only on some visits: recorded not applicable when a visit ends without them.
SITUATIONAL_RULES = ("arrive.knock_protocol", "arrive.notice_left")


def record_rule(visit, rule: str, status: str, evidence: dict, at: datetime | None) -> None:
    """Record one rule of the standard on a visit, replacing an earlier record of it.

    The score is tallied once, when the visit is written (`visit_score`), not after every rule: a
    whole visit records some sixty rules in one batch.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown compliance status {status!r}")
    compliance = dict(visit.compliance or {})  # a new dict: the stored row's is compared with it
    compliance[rule] = {"status": status, "evidence": evidence, "checked_at": at.isoformat() if at else None}
    visit.compliance = compliance


def visit_score(visit) -> int | None:
    """Return the visit's compliance score (% of its applicable rules met), None before any rule applies."""
    return tally(visit.compliance)["score"]


def status_of(check: dict) -> str:
    """Return a recorded rule's status; records written before statuses existed said only passed."""
    if "status" in check:
        return check["status"]
    return VERIFIED if check.get("passed") else MISSED


def tally(compliance: dict | None) -> dict:
    """Return the counts per status and the scores: met, verified and attested as % of applicable rules.

    `score` is `verified_score + attested_score` (up to rounding), so a reader sees how much of a
    visit's score rests on evidence and how much on the technician's word.
    """
    counts = dict.fromkeys(STATUSES, 0)
    missed = []
    for rule, check in (compliance or {}).items():
        status = status_of(check)
        counts[status] += 1
        if status == MISSED:
            missed.append(rule)
    applicable = counts[VERIFIED] + counts[ATTESTED] + counts[MISSED]

    def share(n):
        return round(100 * n / applicable) if applicable else None

    return {
        **counts,
        "applicable": applicable,
        "score": share(counts[VERIFIED] + counts[ATTESTED]),
        "verified_score": share(counts[VERIFIED]),
        "attested_score": share(counts[ATTESTED]),
        "missed_rules": sorted(missed),
    }


def rule_label(rule: str, flow: dict | None, lang: str) -> str:
    """Return a rule's name as people read it: an engine rule's from rules.yaml, an item's from its flow."""
    if rule in ENGINE_RULES:
        return ENGINE_RULES[rule][lang]
    step, _, item_id = rule.partition(".")
    for flow_step in (flow or {}).get("steps", ()):
        if flow_step["id"] == step:
            for item in flow_step["checklist"]:
                if item["id"] == item_id:
                    return item["label"][lang]
    return rule
