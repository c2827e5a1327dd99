import pytest
from flask_babel import get_locale


@pytest.mark.parametrize(
    ("path", "headers", "language"),
    [
        ("/", {}, "zh"),
        ("/?lang=en", {}, "en"),
        ("/?lang=zh-CN", {"Accept-Language": "en"}, "zh"),
        ("/", {"Accept-Language": "en-US,en;q=0.9"}, "en"),
        ("/", {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}, "zh"),
    ],
)
def test_chinese_by_default_english_on_request(app, path, headers, language):
    with app.app_context(), app.test_request_context(path, headers=headers):
        assert get_locale().language == language
