"""The intake guide as data: validated when loaded, filled with the answering agent's number."""

import pytest
import yaml

from backend.callcentre.guide import GUIDE_FILE, fault_kinds, guide_for, load_guide


def test_the_answering_script_carries_the_agents_own_number(make_user):
    agent = make_user("dispatcher", employee_no="KF0107")
    guide = guide_for(agent)
    assert guide["answer"]["zh"] == "您好！福建广电网络客服KF0107号为您服务，请问有什么可以帮到您？"
    assert "KF0107" in guide["answer"]["en"]
    assert {"id": "repair", "name": {"zh": "维修", "en": "Repair"}} in guide["order_types"]


def test_the_standards_forbidden_words_are_listed_with_what_to_say_instead():
    guide = load_guide()
    forbidden = {entry["say_not"]: entry["say"] for entry in guide["forbidden"]}
    for word in ("不知道", "不清楚", "不明白", "喂"):
        assert word in forbidden
    assert forbidden["你"] == "您"


def test_every_fault_opens_an_order_type_that_has_a_flow():
    from backend.visits.definitions import flow_types

    for fault in load_guide()["faults"]:
        assert set(fault["order_types"]) <= set(flow_types()), fault["id"]
    assert "no_signal" in fault_kinds()


def _broken_copy(tmp_path, change):
    data = yaml.safe_load(GUIDE_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "intake.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["faults"][0].pop("label"), "label"),
        (lambda d: d["faults"].append(dict(d["faults"][0])), "unique"),
        (lambda d: d["answer"].update(zh="您好！客服{agent}号"), "agent"),
        (lambda d: d.update(verify=[]), "verify"),
    ],
)
def test_a_broken_guide_file_is_refused_naming_the_file_and_the_field(tmp_path, change, named):
    path = _broken_copy(tmp_path, change)
    with pytest.raises(ValueError) as error:
        load_guide(path)
    assert str(path) in str(error.value)
    assert named in str(error.value)


def test_an_agent_without_a_number_gets_a_script_with_no_blank_or_placeholder(make_user):
    guide = guide_for(make_user("dispatcher", employee_no=None))
    assert guide["answer"]["zh"] == "您好！福建广电网络客服为您服务，请问有什么可以帮到您？"
