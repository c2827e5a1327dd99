"""Whatever people type lands on the form as text: no markup, no styles, no fetches."""

import dataclasses
import logging
import socket

import pytest

from backend.forms import configure_for_app
from backend.forms.data import EquipmentSwap, Lead, Material
from backend.forms.render import get_renderer, render_pdf
from backend.forms.samples import sample_feedback_form, sample_no_access_notice, sample_service_form
from tests.forms.pdftools import pdftotext, squeeze


@pytest.fixture
def listener():
    """A local TCP socket that records whether anything connected to it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)

    def connections() -> int:
        count = 0
        while True:
            try:
                conn, _ = sock.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1

    yield sock.getsockname()[1], connections
    sock.close()


def payloads(port: int) -> list[str]:
    url = f"http://127.0.0.1:{port}/x"
    return [
        f'<img src="{url}">',
        f'<link rel="stylesheet" href="{url}"><b>bold</b>',
        f"<style>@import url({url}); body {{ background: url(file:///etc/passwd) }}</style>",
        '</td></tr></table><iframe src="file:///etc/passwd"></iframe>',
        f"url({url}) ; font-family: x; }} * {{ display: none }}",
        "file:///etc/passwd",
        url,
    ]


def _typed_fields(form, payload):
    """Return form with every user-typed text field, nested ones included, set to payload."""
    changes = {}
    for field in dataclasses.fields(form):
        value = getattr(form, field.name)
        if field.name in ("verify_url", "form_number", "work_order_number", "work_order_type", "result"):
            continue  # made by the system, never typed
        if isinstance(value, str):
            changes[field.name] = payload
    if hasattr(form, "equipment_swaps"):
        changes["equipment_swaps"] = (EquipmentSwap(payload, payload, payload),)
        changes["materials"] = (Material(payload, payload),)
    if hasattr(form, "leads"):
        changes["leads"] = (Lead(payload, payload, payload),)
    return dataclasses.replace(form, **changes)


@pytest.mark.parametrize("make_form", [sample_service_form, sample_feedback_form, sample_no_access_notice])
def test_typed_payloads_appear_literally_and_fetch_nothing(app, listener, make_form):
    configure_for_app(app)
    port, connections = listener
    for payload in payloads(port):
        form = _typed_fields(make_form("zh"), payload)
        text = squeeze(pdftotext(render_pdf(form)))
        assert squeeze(payload) in text, payload
    assert connections() == 0


def test_the_fetcher_refuses_files_and_other_hosts_even_in_raw_html(app, listener, caplog):
    # Defence in depth: were escaping ever bypassed, the fetcher still loads nothing outside.
    from weasyprint import HTML

    configure_for_app(app)
    port, connections = listener
    renderer = get_renderer()
    html = (
        f'<img src="http://127.0.0.1:{port}/a"><img src="file:///etc/passwd">'
        f'<link rel="stylesheet" href="https://127.0.0.1:{port}/b"><p>text</p>'
    )
    with caplog.at_level(logging.WARNING, logger="backend.forms.render"):
        HTML(string=html, url_fetcher=renderer.url_fetcher).write_pdf(font_config=renderer.font_config)
    assert connections() == 0
    refused = " ".join(r.getMessage() for r in caplog.records)
    assert "file:///etc/passwd" in refused and f"127.0.0.1:{port}/a" in refused
