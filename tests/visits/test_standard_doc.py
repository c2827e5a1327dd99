"""docs/standard.md is the table of the standard the app carries, and it is current."""

from pathlib import Path

from backend.visits.definitions import load_all_flows
from backend.visits.standard import standard_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "standard.md"


def test_the_committed_table_is_the_one_the_data_gives(app):
    # Out of date after a flow, rules.yaml or call-centre edit: run `make standard-doc`.
    assert DOC.read_text(encoding="utf-8") == standard_markdown()


def test_every_checklist_item_and_engine_rule_has_its_row_with_how_it_is_checked(app):
    doc = DOC.read_text(encoding="utf-8")
    for flow in load_all_flows().values():
        for step in flow["steps"]:
            for item in step["checklist"]:
                row = next(line for line in doc.splitlines() if line.startswith(f"| {item['label']['zh']} |"))
                assert f"`{step['id']}.{item['id']}`" in row
                assert (
                    ("verified" in row or "checked against" in row)
                    if item["kind"] == "photo" or item.get("verified_by")
                    else "attested" in row
                )
    assert "| 按约定时间到达 | visit record, Service Form | check-in time against the start" in doc
    assert "不说「你」，说「您」" in doc
