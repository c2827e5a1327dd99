"""Filling the standard call wording: the customer as surname + title, and no placeholder ever left."""

from pathlib import Path

import pytest
import yaml

from backend.aftercare.script import SCRIPT_ALWAYS_KNOWN, SCRIPT_PLACEHOLDERS
from backend.greetings import addressed_as, check_script, customer_title, fill_script
from backend.greetings.scripts import ALWAYS_KNOWN, PLACEHOLDERS

FLOWS = Path(__file__).resolve().parents[2] / "backend" / "visits" / "flows"
RETURN_VISIT = Path(__file__).resolve().parents[2] / "backend" / "aftercare" / "return_visit.yaml"
ALL_VALUES = {
    "customer": "张先生",
    "branch": "鼓楼",
    "technician": "王强",
    "employee_no": "T0042",
    "greeting": "上午好",
}


@pytest.mark.parametrize(
    ("name", "title", "zh", "en"),
    [
        ("张三", "先生", "张先生", "Mr. 张"),
        ("王芳", "女士", "王女士", "Ms. 王"),
        ("李娜", "小姐", "李小姐", "Miss 李"),
        ("欧阳娜娜", "女士", "欧阳女士", "Ms. 欧阳"),
        ("司马光", "先生", "司马先生", "Mr. 司马"),
        ("欧阳", "先生", "欧先生", "Mr. 欧"),  # two characters: surname 欧, given name 阳
        ("吉𠮷祥", "先生", "吉先生", "Mr. 吉"),
        ("John Smith", "先生", "Smith先生", "Mr. Smith"),
        (" 张三 ", " 先生 ", "张先生", "Mr. 张"),
    ],
)
def test_customer_is_addressed_by_surname_and_recorded_title(name, title, zh, en):
    assert customer_title(name, title) == zh
    assert customer_title(name, title, lang="en") == en


@pytest.mark.parametrize(
    ("name", "title"), [("张三", None), ("张三", ""), ("张三", "male"), ("", "先生"), (None, None)]
)
def test_without_a_recorded_title_there_is_no_guess_and_no_full_name(name, title):
    # The standard's ××先生/小姐 needs the customer's title: 先生/小姐 is never guessed from a name,
    # and the full name is not a form of address; written address falls back to 尊敬的客户.
    assert customer_title(name, title) is None
    assert addressed_as(name, title) == "尊敬的客户"
    assert addressed_as(name, title, lang="en") == "Dear customer"


def test_fill_script_puts_in_every_placeholder():
    text = "{greeting}！[{customer}，]我是[{branch}分公司的]维护员[{technician}][，工号{employee_no}]。"
    assert fill_script(text, **ALL_VALUES) == "上午好！张先生，我是鼓楼分公司的维护员王强，工号T0042。"


def test_missing_values_are_left_out_of_the_sentence():
    text = "您好[，{customer}]，我是福建广电网络[{branch}分公司]的维护员[{technician}]，想了解一下您家的故障情况。"
    assert fill_script(text, customer=None, branch="", technician="王强") == (
        "您好，我是福建广电网络的维护员王强，想了解一下您家的故障情况。"
    )


def test_an_alternative_is_said_when_the_value_is_unknown():
    text = "[尊敬的{customer}|尊敬的客户]：我们已按约上门。"
    assert fill_script(text, customer="欧阳女士") == "尊敬的欧阳女士：我们已按约上门。"
    assert fill_script(text) == "尊敬的客户：我们已按约上门。"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("维护员[{technican}]", "technican"),
        ("我是{branch}分公司", "put its words inside"),
        ("我是[{branch}分公司", "unpaired"),
        ("我是[[{branch}]分公司]", "unpaired"),
    ],
)
def test_scripts_that_would_not_fill_cleanly_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        check_script(text)
    with pytest.raises(ValueError, match=message):
        fill_script(text, **ALL_VALUES)


def test_an_unknown_value_name_is_refused():
    with pytest.raises(ValueError, match="nickname"):
        fill_script("您好", nickname="x")


# The return-visit call also names what the record says of the customer's call (aftercare/script.py).
RECORD_VALUES = {"reported": "电视没有信号", "result": "已修复", "work_done": "更换机顶盒"}


def _every_script():
    """Yield (where, text, placeholders, always known, the record's values) of every script in the data files."""
    for path in sorted(FLOWS.glob("*.yaml")):
        for step in yaml.safe_load(path.read_text(encoding="utf-8"))["steps"]:
            for script in step.get("scripts", []):
                yield f"{path.name}:{script['id']}", script["text"], PLACEHOLDERS, ALWAYS_KNOWN, {}
    for step in yaml.safe_load(RETURN_VISIT.read_text(encoding="utf-8"))["steps"]:
        yield (
            f"return_visit:{step['id']}",
            step["text"],
            SCRIPT_PLACEHOLDERS,
            SCRIPT_ALWAYS_KNOWN,
            {"called_on": "11月22日"},
        )


@pytest.mark.parametrize("known", [ALL_VALUES, {"greeting": "上午好"}], ids=["all values", "only the greeting"])
def test_every_script_of_the_data_files_reads_without_placeholders(known):
    for where, text, placeholders, always_known, always in _every_script():
        values = {**known, **always, **(RECORD_VALUES if always and known is ALL_VALUES else {})}
        for lang in ("zh", "en"):
            filled = fill_script(text[lang], placeholders=placeholders, always_known=always_known, **values)
            for leftover in ("{", "}", "[", "]", "|", "××", "分公司分公司", "网络分公司", "喂"):
                assert leftover not in filled, (where, lang, filled)
            assert "，，" not in filled and "  " not in filled, (where, lang, filled)


def test_opening_reads_as_the_standard_with_and_without_the_branch():
    flow = yaml.safe_load((FLOWS / "install.yaml").read_text(encoding="utf-8"))
    call = next(step for step in flow["steps"] if step["id"] == "call")
    opening = next(s for s in call["scripts"] if s["id"] == "opening")["text"]["zh"]
    customer = customer_title("张三", "先生")
    assert fill_script(opening, customer=customer, branch="鼓楼", technician="王强").startswith(
        "您好，张先生，我是福建广电网络鼓楼分公司的维护员王强，"
    )
    assert fill_script(opening, customer=customer, branch=None, technician="王强").startswith(
        "您好，张先生，我是福建广电网络的维护员王强，"
    )


CASES = Path(__file__).resolve().parents[2] / "pwa" / "test" / "fixtures" / "fill_cases.json"


def test_the_server_fills_the_cases_the_app_is_tested_with():
    # pwa/test/flow.test.js runs the same cases through the app's fillScript: one rule, two languages.
    import json

    for case in json.loads(CASES.read_text(encoding="utf-8")):
        assert fill_script(case["text"], **case["values"]) == case["filled"]
