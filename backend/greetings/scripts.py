"""Filling the standard call wording (held as data in the flow files) with names and the greeting."""

import datetime as dt
import re

from backend.greetings.greeting import greeting_for

PLACEHOLDERS = frozenset({"customer", "branch", "technician", "employee_no", "greeting"})

# The standard's own blank (「××先生/小姐」「×××」) stands in for a value nobody has recorded,
# so the technician sees a gap to fill by voice rather than a wrong name.
BLANK = "××"

_PLACEHOLDER = re.compile(r"\{(\w+)\}")

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

# The standard's own wording when the name is not known.
UNKNOWN_CUSTOMER = {"zh": "××先生/小姐", "en": "Sir/Madam"}

# Keys are a gender or the customer's recorded title (Customer.title).
TITLES = {
    "male": {"zh": "先生", "en": "Mr."},
    "female": {"zh": "小姐", "en": "Ms."},
    "先生": {"zh": "先生", "en": "Mr."},
    "小姐": {"zh": "小姐", "en": "Ms."},
    "女士": {"zh": "女士", "en": "Ms."},
}


def _is_cjk(text: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)


def surname(name: str) -> str:
    """Return the family name in ``name`` (Chinese order: surname first; Western: last word)."""
    name = name.strip()
    if _is_cjk(name):
        if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
            return name[:2]
        return name[:1]
    return name.split()[-1]


def customer_title(name: str | None, gender: str | None = None, lang: str = "zh") -> str:
    """Return how to address the customer: 张先生 / 李小姐, or the full name when gender is unknown.

    ``gender`` is ``"male"``, ``"female"`` or the customer's recorded title (先生 / 小姐 / 女士);
    anything else (or None) means unknown, and the full name is used because guessing 先生/小姐
    wrong is worse than not using a title.
    """
    if not name or not name.strip():
        return UNKNOWN_CUSTOMER[lang]
    name = name.strip()
    title = TITLES.get((gender or "").strip())
    if title is None:
        return name
    if lang == "zh":
        return surname(name) + title["zh"]
    return f"{title['en']} {surname(name)}"


def fill_script(text: str, **values: str | None) -> str:
    """Replace ``{customer}``, ``{branch}``, ``{technician}``, ``{employee_no}``, ``{greeting}`` in ``text``.

    A placeholder with no value (missing or None) becomes the standard's blank 「××」.
    Raises ValueError for a placeholder name outside the contract, which means a typo in the
    flow data, or for a value given under an unknown name.
    """
    unknown_values = set(values) - PLACEHOLDERS
    if unknown_values:
        raise ValueError(f"unknown script values: {', '.join(sorted(unknown_values))}")

    def substitute(match: re.Match) -> str:
        key = match.group(1)
        if key not in PLACEHOLDERS:
            raise ValueError(f"unknown placeholder {{{key}}} in script")
        value = values.get(key)
        return BLANK if value is None or value == "" else str(value)

    return _PLACEHOLDER.sub(substitute, text)


def script_values(
    *,
    customer_name: str | None,
    customer_gender: str | None = None,
    branch: str | None = None,
    technician: str | None = None,
    employee_no: str | None = None,
    at: dt.datetime,
    lang: str = "zh",
) -> dict[str, str | None]:
    """Return the placeholder values for a call placed at ``at`` (keyword arguments of fill_script)."""
    return {
        "customer": customer_title(customer_name, customer_gender, lang=lang),
        "branch": branch,
        "technician": technician,
        "employee_no": employee_no,
        "greeting": greeting_for(at)[lang],
    }
