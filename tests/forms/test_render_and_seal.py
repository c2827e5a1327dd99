"""The rendered, sealed Service Form as a person and a PDF validator see it."""

import pytest

from backend.forms import configure_for_app
from backend.forms.fonts import harfbuzz_subset_available
from backend.forms.render import render_pdf
from backend.forms.samples import sample_feedback_form, sample_no_access_notice, sample_service_form
from backend.forms.seal import seal_pdf
from tests.forms.pdftools import one_byte_changed, pdftotext, qpdf_check, seal_status, squeeze


@pytest.fixture(scope="module")
def sealed_zh(app):
    configure_for_app(app)
    return seal_pdf(render_pdf(sample_service_form("zh"), "zh"))


def test_chinese_name_outside_the_bmp_and_serials_are_searchable(sealed_zh):
    text = pdftotext(sealed_zh)
    assert "吉𠮷祥先生" in text
    for serial in ("STB-HD-20190311-7781", "STB-HD-20261101-0042", "RC-5521-0098", "RC-5521-2231"):
        assert serial in text
    assert "服务单" in squeeze(text) or "服务单" in text
    assert "¥33.00" in text


def test_sealed_form_passes_qpdf_check(sealed_zh, tmp_path):
    result = qpdf_check(sealed_zh, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_validator_accepts_the_seal(sealed_zh):
    status = seal_status(sealed_zh)
    assert status.intact and status.valid and status.trusted
    assert "Doorstep DEMO seal" in status.signing_cert.subject.human_friendly


def test_validator_rejects_a_copy_with_one_byte_changed(sealed_zh):
    tampered = one_byte_changed(sealed_zh)
    assert tampered != sealed_zh
    status = seal_status(tampered)
    assert not status.intact and not status.bottom_line


def test_english_form_uses_english_labels(app):
    configure_for_app(app)
    text = pdftotext(render_pdf(sample_service_form("en"), "en"))
    assert "Service Form" in text and "Equipment replaced" in text and "Mr Jonathan Appleby" in text
    assert "服务单" not in text


def test_feedback_form_and_no_access_notice_render(app):
    configure_for_app(app)
    feedback = squeeze(pdftotext(render_pdf(sample_feedback_form("zh"))))
    assert "客户反馈单" in feedback and "关键时刻评分" in feedback and "师傅很准时" in feedback
    notice = squeeze(pdftotext(render_pdf(sample_no_access_notice("zh"))))
    assert "08:54按约上门" in notice and "13905910731" in notice


def test_harfbuzz_subsetting_is_available():
    # Without it every form takes ~40x longer to render; the health endpoint reports the same.
    assert harfbuzz_subset_available()


def test_the_notice_greets_by_surname_and_title_or_neutrally(app):
    configure_for_app(app)
    notice = sample_no_access_notice("zh", customer="欧阳女士", customer_name="欧阳娜娜")
    titled = squeeze(pdftotext(render_pdf(notice)))
    assert "尊敬的欧阳女士：" in titled and "欧阳娜娜" not in titled.split("：")[0]
    untitled = squeeze(pdftotext(render_pdf(sample_no_access_notice("zh", customer_name="张三"))))
    assert "尊敬的客户：" in untitled and "张三" not in untitled.split("：")[0]
    english = squeeze(pdftotext(render_pdf(sample_no_access_notice("en", customer="Ms. 欧阳"), "en")))
    assert "DearMs.欧阳:" in english
