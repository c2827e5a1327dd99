"""Flow definitions and the tariff are data: validated on load, served by the API, editable by the operator."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backend.visits import definitions
from backend.visits.definitions import DefinitionError, get_flow

ROOT = Path(__file__).resolve().parents[2]


def test_both_flows_carry_the_standard(db):
    install, repair = get_flow("install"), get_flow("repair")
    assert [s["id"] for s in install["steps"]] == ["call", "arrive", "communicate", "operate", "evaluate", "help"]
    scripts = {s["id"]: s["text"]["zh"] for s in install["steps"][0]["scripts"]}
    assert "想和您预约一下上门安装机顶盒的时间" in scripts["opening"]
    assert scripts["closing"] == "非常感谢您的配合，我会尽快上门为您服务。"
    assert "想了解一下您家的故障情况" in repair["steps"][0]["scripts"][0]["text"]["zh"]
    arrive = [i["id"] for i in install["steps"][1]["checklist"]]
    assert {"floor_mat", "cover_cloth", "cleaning_cloth", "shoe_covers_packed"} <= set(arrive)  # 四个一
    tips = {t["id"] for t in install["steps"][2]["tips"]}
    assert {"dove", "owl", "peacock", "tiger"} <= tips
    evaluate = {s["text"]["zh"] for s in install["steps"][4]["scripts"]}
    assert evaluate == {"您对我这次服务满意吗？", "不知道我的解释是否清楚？", "还有其他问题吗？"}
    assert install["rules"] == {
        "arrive_early_min_minutes": 5,
        "arrive_early_max_minutes": 10,
        "knock_sets_per_round": 2,
        "knocks_per_set": 3,
        "knock_interval_seconds": 30,
        "knock_interval_tolerance_seconds": 10,
        "call_after_knocking_seconds": 180,
        "unanswered_calls_before_door": 2,
        "unanswered_call_outcomes": ["no_answer", "busy"],
    }


def test_flow_endpoint(client, technician, auth_headers):
    response = client.get("/api/v1/flows/repair", headers=auth_headers(technician))
    assert response.status_code == 200 and response.json["type"] == "repair"
    missing = client.get("/api/v1/flows/relocation", headers=auth_headers(technician))
    assert (missing.status_code, missing.json["code"]) == (404, "flow_not_found")


def test_tariff_in_the_agenda_shape(db):
    items = definitions.tariff_for_agenda()
    assert {"code", "name", "unit", "price_cents"} == set(items[0])
    assert set(definitions.flows_for_agenda()) >= {"install", "repair"}


@pytest.fixture
def flows_copy(app, tmp_path):
    target = tmp_path / "flows"
    shutil.copytree(definitions.DEFAULT_FLOWS_DIR, target)
    app.config["FLOWS_DIR"] = str(target)
    yield target
    app.config.pop("FLOWS_DIR")


def test_operator_edits_a_checklist_without_a_release(db, flows_copy):
    path = flows_copy / "install.yaml"
    edited = path.read_text(encoding="utf-8").replace("四个一：一块垫布", "四个一：一块新垫布")
    path.write_text(edited, encoding="utf-8")
    labels = [i["label"]["zh"] for i in get_flow("install")["steps"][1]["checklist"]]
    assert "四个一：一块新垫布" in labels


def test_a_checklist_item_can_only_be_checked_by_a_rule_the_engine_records(db, flows_copy):
    # A typo'd verified_by would leave the tick unchecked for good: refuse the file instead.
    path = flows_copy / "repair.yaml"
    edited = path.read_text(encoding="utf-8").replace("verified_by: arrive.early_5_10_min", "verified_by: arrive.early")
    path.write_text(edited, encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        get_flow("repair")
    assert "verified_by" in str(info.value)


def test_an_invalid_flow_names_the_file_and_field(db, flows_copy):
    path = flows_copy / "repair.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("kind: check", "kind: tickbox", 1), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        get_flow("repair")
    assert "repair.yaml" in str(info.value) and "kind" in str(info.value)


def _broken_copy(tmp_path, name, old, new):
    flows, tariff = tmp_path / "flows", tmp_path / "tariff.yaml"
    shutil.copytree(definitions.DEFAULT_FLOWS_DIR, flows)
    shutil.copy(definitions.DEFAULT_TARIFF_FILE, tariff)
    path = tariff if name == "tariff.yaml" else flows / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return flows, tariff


@pytest.mark.parametrize(
    ("name", "old", "new", "field"),
    [
        ("repair.yaml", "kind: check", "kind: tickbox", "steps.0.checklist.0.kind"),
        (
            "install.yaml",
            "arrive_early_min_minutes: 5",
            "arrive_early_min_minutes: soon",
            "rules.arrive_early_min_minutes",
        ),
        ("tariff.yaml", "price_cents:", "price:", "items.0.price_cents"),
        # Each swap kind is priced by one item, of a kind the swaps know.
        ("tariff.yaml", "swap: remote_control", "swap: set_top_box", "items"),
        ("tariff.yaml", "swap: cable_modem", "swap: router", "items.8.swap"),
    ],
)
def test_a_broken_definition_stops_the_app_at_start_up(tmp_path, name, old, new, field):
    flows, tariff = _broken_copy(tmp_path, name, old, new)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}",
        "DOORSTEP_FLOWS_DIR": str(flows),
        "DOORSTEP_TARIFF_FILE": str(tariff),
        "DOORSTEP_SECRET_KEY": "start-up-test",
        "DOORSTEP_PUBLIC_BASE_URL": "http://doorstep.test",
    }
    started = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "backend", "routes"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0
    last_line = started.stderr.strip().splitlines()[-1]
    assert name in last_line and field in last_line, started.stderr[-2000:]


def test_what_a_steps_tool_asks_is_linked_once_in_the_flow(db):
    """Issue 14: the fault on the phone, the kind of work, the leaflet and the checks are each asked once."""
    repair = {s["id"]: {i["id"]: i for i in s["checklist"]} for s in get_flow("repair")["steps"]}
    assert repair["call"]["fault_described"]["record"] == "call.fault_description"
    assert repair["operate"]["kind_of_work"]["record"] == "operate.work_kinds"
    assert {c["id"]: c["work_kind"] for c in repair["operate"]["kind_of_work"]["choices"]} == {
        "in_home": "in_home",
        "equipment_replaced": "equipment_replacement",
        "outdoor_line": "outdoor_line_check",
    }
    for flow in (get_flow("install"), get_flow("repair")):
        help_items = {i["id"]: i.get("record") for i in flow["steps"][5]["checklist"]}
        assert help_items["leaflet_handed"] == "help.leaflet_given"
        assert help_items["other_devices_checked"] == "help.checks"


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        # A call item cannot be answered by the operate record.
        ("record: call.fault_description", "record: operate.work_kinds", "checklist"),
        # A text item cannot be answered by a yes/no field.
        ("record: call.fault_description", "record: help.leaflet_given", "record"),
        ("record: call.fault_description", "record: call.weather", "record"),
        # A choice answered by the work kinds must say which kind each choice means.
        ("{id: in_home, work_kind: in_home,", "{id: in_home,", "choices"),
    ],
)
def test_a_bad_record_link_names_the_field(db, flows_copy, old, new, field):
    path = flows_copy / "repair.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        get_flow("repair")
    assert "repair.yaml" in str(info.value) and field in str(info.value)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("unanswered_calls_before_door: 2", "unanswered_calls_before_door: 0"),
        ("unanswered_call_outcomes: [no_answer, busy]", "unanswered_call_outcomes: [reached]"),
        ("knock_interval_tolerance_seconds: 10", "knock_interval_tolerance_seconds: 30"),
    ],
)
def test_the_door_rules_are_validated(db, flows_copy, old, new):
    path = flows_copy / "install.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        get_flow("install")
    assert "install.yaml" in str(info.value) and f"rules.{old.split(':')[0]}" in str(info.value)


def test_a_flow_without_the_notice_left_at_the_door_is_refused(db, flows_copy):
    # The sealed no-access PDF prints the arrive step's no_access_notice script: it must be there.
    path = flows_copy / "install.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("- id: no_access_notice", "- id: notice_left", 1), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        get_flow("install")
    assert "install.yaml" in str(info.value) and "steps" in str(info.value) and "no_access_notice" in str(info.value)


@pytest.mark.parametrize("order_type", ["install", "repair"])
def test_the_standards_texts_the_app_did_not_show_are_in_the_flow_at_their_step(db, order_type):
    """Issue 10: 004's phone habits, operate rules and style traits, 000's closing offer, in the source's words."""
    steps = {s["id"]: s for s in get_flow(order_type)["steps"]}

    def tips(step):
        return {t["id"]: t for t in steps[step]["tips"]}

    def scripts(step):
        return {s["id"]: s["text"]["zh"] for s in steps[step]["scripts"]}

    habits = tips("call")["phone_habits"]["do"]["zh"]
    assert {"微笑着说话", "让客户知道你在做什么", "信守对通话方做出的承诺"} <= set(habits)
    assert "随时准备做记录！（准备好录入界面，或将纸笔放在手边）" in habits
    assert "通过认真聆听，判断准客户属于哪种类型" in tips("call")["style_on_the_phone"]["do"]["zh"][0]
    difficulties = tips("operate")["difficulties"]["do"]["zh"]
    assert difficulties[:4] == ["尊重自己的专长", "及时反馈，请求支援", "留出足够的时间", "及时取得客户谅解"]
    assert "保持精神饱满" in tips("operate")["care"]["do"]["zh"]
    operate_items = {i["id"]: i["label"]["zh"] for i in steps["operate"]["checklist"]}
    assert operate_items["obstacles_moved"] == "提醒客户移走妨碍工作的物品"
    assert "工具包内不杂乱无章" in operate_items["tool_bag_tidy"]
    assert scripts("evaluate")["explanation_clear"] == "不知道我的解释是否清楚？"
    assert scripts("help")["further_help"] == "感谢您的配合，有什么问题可以随时电话联系我"
    styles = tips("communicate")
    assert styles["dove"]["traits"]["zh"][:2] == ["迎合别人", "喜欢被领导"]
    assert styles["tiger"]["traits"]["zh"][-1] == "果断做决定"
    assert {style: styles[style]["cues"]["zh"][0] for style in ("dove", "owl", "peacock", "tiger")} == {
        "dove": "反应慢",
        "owl": "反应慢",
        "peacock": "反应快",
        "tiger": "反应快",
    }
    for tip in styles.values():
        for key in ("traits", "cues"):
            if key in tip:
                assert len(tip[key]["zh"]) == len(tip[key]["en"]), (tip["id"], key)


def test_a_customer_style_without_its_traits_is_refused(db, flows_copy):
    path = flows_copy / "repair.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("        traits:", text.index("      - id: owl"))
    end = text.index("        cues:", start)
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        get_flow("repair")
    assert "repair.yaml" in str(info.value) and "owl" in str(info.value) and "traits" in str(info.value)
