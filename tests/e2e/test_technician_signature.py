"""The technician signs the work record at the end of the operate step, and the Service Form carries it."""

import io
import subprocess
import urllib.request

from PIL import Image

from tests.e2e.conftest import wait_until
from tests.e2e.driver import STEP_DRIVERS, login, open_visit, outbox
from tests.forms.pdftools import pdftotext, squeeze


def _pixels(png: bytes) -> bytes:
    return Image.open(io.BytesIO(png)).convert("RGB").tobytes()


def _service_pdf(server, token, order_id) -> bytes:
    request = urllib.request.Request(
        f"{server.url}/api/v1/work-orders/{order_id}/forms/service.pdf", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request) as response:
        return response.read()


def test_the_technician_draws_a_signature_and_the_service_form_carries_it(live_server, phone, tmp_path):
    page = phone.new_page()
    login(page, live_server)
    token = live_server.token("tech")
    flow = live_server.api("GET", "/api/v1/flows/repair", token)[1]
    order = live_server.order("repair")
    open_visit(page, order["number"])
    for step in flow["steps"]:
        if step["id"] == "operate":
            # Unsigned, the step cannot complete: the screen says the signed record is missing.
            page.get_by_test_id("missing").get_by_text("保存维护员签名的操作记录").wait_for()
        STEP_DRIVERS[step["id"]](page, step, tmp_path)
    page.get_by_role("button", name="完成上门").click()
    page.locator("[data-testid=visit-done]").wait_for()
    wait_until(lambda: not outbox(page), timeout=60, message="the outbox to drain")

    (signature_id,) = live_server.rows(
        "SELECT technician_signature_attachment_id FROM visits WHERE work_order_id = :id", id=order["id"]
    )[0]
    drawn = live_server.scalar("SELECT data FROM attachments WHERE id = :id", id=signature_id)
    assert Image.open(io.BytesIO(drawn)).format == "PNG"
    wait_until(
        lambda: live_server.scalar("SELECT count(*) FROM forms WHERE work_order_id = :id", id=order["id"]) == 2,
        timeout=60,
        message="the forms to be sealed",
    )
    pdf = _service_pdf(live_server, token, order["id"])
    text = squeeze(pdftotext(pdf))
    assert "维护员签名" in text and "未签名" not in text
    # The swapped box, out of warranty, is a fee line priced from the tariff (the driver's F头 the other).
    assert "高清机顶盒" in text and "¥299.00" in text and "¥300.00" in text
    # The very strokes drawn on the phone are one of the images printed on the form.
    (tmp_path / "form.pdf").write_bytes(pdf)
    subprocess.run(["pdfimages", "-png", str(tmp_path / "form.pdf"), str(tmp_path / "img")], check=True)
    printed = [_pixels(p.read_bytes()) for p in sorted(tmp_path.glob("img-*.png"))]
    assert _pixels(drawn) in printed
