"""Language of pages and forms: zh-CN unless the request asks for English."""

from flask import request

SUPPORTED = ("zh_CN", "en")


def select_locale():
    """Pick the locale from ?lang=, then Accept-Language; zh_CN by default."""
    if not request:
        return "zh_CN"
    asked = (request.args.get("lang") or "").replace("-", "_").lower()
    if asked.startswith("en"):
        return "en"
    if asked.startswith("zh"):
        return "zh_CN"
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    return "en" if best == "en" else "zh_CN"
