"""Equipment swaps on the Service Form: priced by warranty status from the tariff (《售后服务管理规定》)."""

from tests.forms.pdftools import pdftotext, squeeze


def test_a_swap_in_warranty_prints_as_a_free_line_of_the_fees(completed_order, technician, client, auth_headers):
    order = completed_order()  # the whole visit swaps a set-top box in warranty
    pdf = client.get(f"/api/v1/work-orders/{order.id}/forms/service.pdf", headers=auth_headers(technician)).data
    text = squeeze(pdftotext(pdf))
    assert "高清机顶盒（保修期内免费）1台¥299.00¥0.00" in text
    # The total is the fees alone: the box in warranty adds nothing (F头 ×2 and cable ×5).
    assert "合计¥12.00" in text
