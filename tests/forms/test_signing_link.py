"""The customer signs and rates the visit on their own phone through a single-use, expiring link."""

import base64
from datetime import timedelta

from backend.forms.models import Form, SigningLink
from backend.forms.samples import squiggle_png
from backend.timeutil import utcnow
from tests.forms.pdftools import pdftotext, seal_status
from tests.test_security_headers import assert_protected, inline_nonces, policy

SIGNATURE = "data:image/png;base64," + base64.b64encode(squiggle_png(seed=7)).decode()


def _answers(**extra):
    answers = {
        "signature": SIGNATURE,
        "rating_overall": "4",
        "rating_punctuality": "5",
        "mot_arrival": "3",
        "comments": "<b>很好</b> 谢谢",
    }
    answers.update(extra)
    return answers


def _link(client, order, user, auth_headers, **body):
    response = client.post(f"/api/v1/work-orders/{order.id}/signing-links", json=body, headers=auth_headers(user))
    assert response.status_code == 201, response.json
    return response.json


def test_signing_through_the_link_seals_new_versions_with_the_customers_answers(
    completed_order, technician, client, auth_headers, db
):
    order = completed_order()
    link = _link(client, order, technician, auth_headers)
    assert link["url"].startswith("http://doorstep.test/sign/")
    path = link["url"].removeprefix("http://doorstep.test")
    expires_in = db.session.get(SigningLink, link["id"]).expires_at - utcnow()
    assert timedelta(hours=71) < expires_in <= timedelta(hours=72)

    page = client.get(path)
    assert page.status_code == 200
    assert order.number in page.text and "请在框内手写签名" in page.text and "<canvas" in page.text

    done = client.post(path, data=_answers())
    assert done.status_code == 200 and "签名成功" in done.text
    current = {
        f.kind: f for f in db.session.query(Form).filter_by(work_order_id=order.id) if f.superseded_by_id is None
    }
    assert {f.version for f in current.values()} == {2}
    feedback_text = pdftotext(current["feedback"].pdf)
    assert "<b>很好</b> 谢谢" in feedback_text
    assert seal_status(current["feedback"].pdf).bottom_line
    assert current["service"].audit["customer_signed_via"] == "signing_link"


def test_without_a_configured_address_a_test_or_debug_run_links_to_the_address_it_was_called_at(
    app, completed_order, technician, client, auth_headers, monkeypatch
):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", None)
    order = completed_order()
    response = client.post(
        f"/api/v1/work-orders/{order.id}/signing-links",
        json={},
        headers=auth_headers(technician),
        base_url="http://192.168.1.20:8080",
    )
    assert response.status_code == 201
    assert response.json["url"].startswith("http://192.168.1.20:8080/sign/")
    assert client.get(response.json["url"].removeprefix("http://192.168.1.20:8080")).status_code == 200


def test_a_link_works_once(completed_order, make_user, client, auth_headers, db):
    order = completed_order()
    link = _link(client, order, make_user("dispatcher"), auth_headers)
    path = link["url"].removeprefix("http://doorstep.test")
    assert client.post(path, data=_answers()).status_code == 200

    again = client.get(path)
    assert again.status_code == 410 and "此链接已使用" in again.text
    resubmit = client.post(path, data=_answers(comments="second"))
    assert resubmit.status_code == 410 and "此链接已使用" in resubmit.text
    assert db.session.query(Form).filter_by(work_order_id=order.id, kind="feedback").count() == 2


def test_an_expired_link_shows_a_clear_page_in_chinese(completed_order, technician, client, auth_headers, db):
    order = completed_order()
    link = _link(client, order, technician, auth_headers, hours=1)
    stored = db.session.get(SigningLink, link["id"])
    stored.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    path = link["url"].removeprefix("http://doorstep.test")

    page = client.get(path)
    assert page.status_code == 410 and "此链接已过期" in page.text
    assert client.post(path, data=_answers()).status_code == 410
    assert db.session.query(Form).filter_by(work_order_id=order.id).count() == 2


def test_a_forged_link_is_refused(client):
    page = client.get("/sign/not-a-real-token")
    assert page.status_code == 410 and "链接无效" in page.text


def test_only_the_orders_own_technician_or_the_office_creates_links(completed_order, make_user, client, auth_headers):
    order = completed_order()
    response = client.post(
        f"/api/v1/work-orders/{order.id}/signing-links", json={}, headers=auth_headers(make_user("technician"))
    )
    assert response.status_code == 404


def test_the_signing_page_is_protected_never_stored_and_its_pad_runs_with_the_nonce(
    completed_order, technician, client, auth_headers
):
    order = completed_order()
    path = _link(client, order, technician, auth_headers)["url"].removeprefix("http://doorstep.test")
    page = client.get(path)
    assert page.status_code == 200
    assert_protected(page)
    assert page.headers["Cache-Control"] == "no-store"
    nonces = inline_nonces(page.text)
    assert len(nonces) == 1 and 'style="' not in page.text
    (nonce,) = nonces
    csp = policy(page)
    assert f"'nonce-{nonce}'" in csp["script-src"] and f"'nonce-{nonce}'" in csp["style-src"]

    signed = client.post(path, data=_answers())
    assert signed.status_code == 200 and signed.headers["Cache-Control"] == "no-store"
    used = client.get(path)
    assert used.status_code == 410 and used.headers["Cache-Control"] == "no-store"
    assert_protected(used)
