"""The Service Form prints both signatures: the customer's and the technician's (issue 10)."""

from backend.forms.builder import service_form_data
from backend.forms.render import get_renderer
from backend.visits.services import latest_visit
from tests.forms.pdftools import pdftotext, squeeze


def test_the_service_form_prints_the_customers_and_the_technicians_signature(
    completed_order, technician, client, auth_headers
):
    order = completed_order()
    visit = latest_visit(order.id)
    assert visit.technician_signature_attachment_id and visit.signature_attachment_id

    form = service_form_data(order, visit, form_id="f", number="SF-1", lang="zh")
    assert form.technician_signature.signed_at == visit.technician_signed_at
    html = get_renderer().render_html(form)
    for label in ("客户签名", "维护员签名"):
        assert '<img src="data:image/png;base64,' in html.split(f'<div class="label">{label}</div>', 1)[1][:80]

    pdf = client.get(f"/api/v1/work-orders/{order.id}/forms/service.pdf", headers=auth_headers(technician)).data
    text = squeeze(pdftotext(pdf))
    # Each box prints 未签名 when its signature is missing: neither does on a visit both signed.
    assert "客户签名" in text and "维护员签名" in text and "未签名" not in text
