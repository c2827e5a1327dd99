"""Filling the standard call wording with the customer's title, names and the greeting."""

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from backend.greetings import customer_title, fill_script, script_values

FLOWS = Path(__file__).resolve().parents[2] / "backend" / "visits" / "flows"


@pytest.mark.parametrize(
    ("name", "gender", "zh", "en"),
    [
        ("张伟", "male", "张先生", "Mr. 张"),
        ("李娜", "female", "李小姐", "Ms. 李"),
        ("欧阳娜娜", "female", "欧阳小姐", "Ms. 欧阳"),
        ("欧阳", "male", "欧先生", "Mr. 欧"),  # two characters: surname 欧, given name 阳
        ("张伟", None, "张伟", "张伟"),
        ("王芳", "女士", "王女士", "Ms. 王"),  # the customer's recorded title
        ("王芳", "小姐", "王小姐", "Ms. 王"),
        ("张伟", "unknown", "张伟", "张伟"),
        ("John Smith", "male", "Smith先生", "Mr. Smith"),
        ("", "male", "××先生/小姐", "Sir/Madam"),
        (None, None, "××先生/小姐", "Sir/Madam"),
    ],
)
def test_customer_title(name, gender, zh, en):
    assert customer_title(name, gender) == zh
    assert customer_title(name, gender, lang="en") == en


def test_fill_script_puts_in_every_placeholder():
    text = "{greeting}！{customer}，我是{branch}分公司的维护员{technician}，工号{employee_no}。"
    filled = fill_script(
        text, greeting="上午好", customer="张先生", branch="福州", technician="王强", employee_no="T0042"
    )
    assert filled == "上午好！张先生，我是福州分公司的维护员王强，工号T0042。"


def test_missing_values_leave_the_standards_blank():
    assert fill_script("我是{branch}分公司的维护员{technician}", branch=None) == "我是××分公司的维护员××"


def test_placeholder_typo_is_refused():
    with pytest.raises(ValueError, match="technican"):
        fill_script("维护员{technican}", technician="王强")
    with pytest.raises(ValueError, match="nickname"):
        fill_script("您好", nickname="x")


def test_every_script_in_the_flow_files_fills_without_leftover_braces():
    values = script_values(
        customer_name="张伟",
        customer_gender="male",
        branch="鼓楼",
        technician="王强",
        employee_no="T0042",
        at=dt.datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")),
    )
    for path in sorted(FLOWS.glob("*.yaml")):
        flow = yaml.safe_load(path.read_text(encoding="utf-8"))
        for step in flow["steps"]:
            for script in step.get("scripts", []):
                filled = fill_script(script["text"]["zh"], **values)
                assert "{" not in filled and "喂" not in filled, (path.name, script["id"])


def test_install_opening_reads_as_the_standard():
    flow = yaml.safe_load((FLOWS / "install.yaml").read_text(encoding="utf-8"))
    call = next(step for step in flow["steps"] if step["id"] == "call")
    opening = next(s for s in call["scripts"] if s["id"] == "opening")["text"]["zh"]
    values = script_values(
        customer_name="张伟",
        customer_gender="male",
        branch="鼓楼",
        technician="王强",
        employee_no="T0042",
        at=dt.datetime(2026, 2, 20, 9, 30),
    )
    assert values["greeting"] == "新年好"
    assert fill_script(opening, **values).startswith("您好，张先生，我是福建广电网络鼓楼分公司的维护员王强")
