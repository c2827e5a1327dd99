"""Filling the standard call wording (held as data in the flow files) with names and the greeting.

Script text holds ``{placeholders}`` and optional parts in brackets: ``[…{branch}…]`` is left out
when a value inside it is missing, and ``[A|B]`` says A when its values are known, otherwise B
(``[尊敬的{customer}|尊敬的客户]``). Only ``{greeting}`` may stand outside brackets, because it
always has a value: a missing name, branch or number is never shown as a placeholder or a blank,
the sentence is said without it. The app (``pwa/src/flow.js``) fills scripts by the same rules.
"""

import re

# `time` (HH:MM, when the technician came) and `phone` (the technician's) fill the notice left at the door.
PLACEHOLDERS = frozenset({"customer", "branch", "technician", "employee_no", "greeting", "time", "phone"})
# Placeholders that always have a value and so may stand outside brackets.
ALWAYS_KNOWN = frozenset({"greeting"})

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")

# Two-character surnames seen in practice; anything else takes the first character.
COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "令狐",
        "澹台",
        "独孤",
        "西门",
        "南宫",
        "轩辕",
        "端木",
        "百里",
        "呼延",
        "万俟",
        "闻人",
        "申屠",
        "钟离",
        "宗政",
        "濮阳",
        "淳于",
        "单于",
        "太叔",
        "公羊",
        "赫连",
        "拓跋",
    }
)

# How the customer is written to when no title is recorded (the standard's ××先生/小姐 needs one).
NEUTRAL_ADDRESS = {"zh": "尊敬的客户", "en": "Dear customer"}

# The customer's recorded title (Customer.title) and its English form.
TITLES = {
    "先生": {"zh": "先生", "en": "Mr."},
    "女士": {"zh": "女士", "en": "Ms."},
    "小姐": {"zh": "小姐", "en": "Miss"},
}


def _is_cjk(text: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or ch > "\uffff" for ch in text)


def surname(name: str) -> str:
    """Return the family name in ``name``: Chinese, surname first (欧阳 and other compounds); Western, last word."""
    name = name.strip()
    if _is_cjk(name):
        if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
            return name[:2]
        return name[:1]
    return name.split()[-1]


def customer_title(name: str | None, title: str | None, lang: str = "zh") -> str | None:
    """Return the standard's ××先生/小姐 for this customer: 张先生, 欧阳女士, Mr. Zhang.

    ``title`` is the customer's recorded title (先生 / 女士 / 小姐). Without a name or a known
    title there is no such form and None is returned: 先生 or 小姐 is never guessed, and the full
    name is not a form of address (scripts say the sentence without it, see ``addressed_as``).
    """
    known = TITLES.get((title or "").strip())
    if not name or not name.strip() or known is None:
        return None
    if lang == "zh":
        return surname(name) + known["zh"]
    return f"{known['en']} {surname(name)}"


def addressed_as(name: str | None, title: str | None, lang: str = "zh") -> str:
    """Return how to write to the customer: surname + title, or 尊敬的客户 when the title is unknown."""
    return customer_title(name, title, lang) or NEUTRAL_ADDRESS[lang]


def check_script(text: str, *, placeholders=PLACEHOLDERS, always_known=ALWAYS_KNOWN) -> None:
    """Raise ValueError when ``text`` would not fill cleanly.

    An unknown placeholder means a typo in the data; a placeholder that may have no value outside
    ``[…]`` would leave a hole in the sentence; brackets must pair and not nest. Other texts with
    the same rules (message templates) pass their own ``placeholders`` and ``always_known``.
    """
    for key in _PLACEHOLDER.findall(text):
        if key not in placeholders:
            raise ValueError(f"unknown placeholder {{{key}}} in script: {text}")
    outside = _OPTIONAL.sub("", text)
    if "[" in outside or "]" in outside:
        raise ValueError(f"unpaired or nested [ ] in script: {text}")
    for key in _PLACEHOLDER.findall(outside):
        if key not in always_known:
            raise ValueError(f"{{{key}}} may have no value: put its words inside [ ] in script: {text}")


def fill_script(text: str, *, placeholders=PLACEHOLDERS, always_known=ALWAYS_KNOWN, **values: str | None) -> str:
    """Fill ``text``'s placeholders and optional parts with ``values`` (missing or empty = unknown).

    Raises ValueError for a script ``check_script`` refuses, or for a value given under an
    unknown name.
    """
    unknown_values = set(values) - placeholders
    if unknown_values:
        raise ValueError(f"unknown script values: {', '.join(sorted(unknown_values))}")
    check_script(text, placeholders=placeholders, always_known=always_known)

    def known(key: str) -> bool:
        return values.get(key) not in (None, "")

    def substitute(part: str) -> str:
        return _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]) if known(match.group(1)) else "", part)

    def choose(match: re.Match) -> str:
        for alternative in match.group(1).split("|"):
            if all(known(key) for key in _PLACEHOLDER.findall(alternative)):
                return substitute(alternative)
        return ""

    return substitute(_OPTIONAL.sub(choose, text))
