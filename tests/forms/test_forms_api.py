"""Sealed forms through the API and the public pages: listing, download, visibility, superseding, verification."""

import pytest
from sqlalchemy.exc import DBAPIError

from backend.forms.models import Form
from backend.forms.services import seal_visit_forms
from tests.forms.pdftools import pdftotext, qr_codes, seal_status


def test_completing_a_visit_seals_a_service_and_a_feedback_form(completed_order, technician, client, auth_headers):
    order = completed_order(name="吉𠮷祥", title="先生")
    listed = client.get(f"/api/v1/work-orders/{order.id}/forms", headers=auth_headers(technician))
    assert listed.status_code == 200
    kinds = {f["kind"]: f for f in listed.json}
    assert set(kinds) == {"service", "feedback"}
    assert all(f["current"] and f["version"] == 1 and len(f["sha256"]) == 64 for f in listed.json)

    pdf = client.get(f"/api/v1/work-orders/{order.id}/forms/service.pdf", headers=auth_headers(technician))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["X-Content-SHA256"] == kinds["service"]["sha256"]
    text = pdftotext(pdf.data)
    # The 客户 row records the name; the title is not glued onto it (吉𠮷祥先生 is neither name nor address).
    assert "吉𠮷祥" in text and "吉𠮷祥先生" not in text and "STB-OLD-1" in text and "STB-NEW-2" in text
    assert f"http://doorstep.test/verify/{kinds['service']['id']}" in text.replace("\n", "")
    assert seal_status(pdf.data).bottom_line

    feedback = client.get(f"/api/v1/work-orders/{order.id}/forms/feedback.pdf", headers=auth_headers(technician))
    assert "客户反馈单" in pdftotext(feedback.data).replace(" ", "")


def test_the_service_form_prints_the_compliance_record_with_verified_and_attested_apart(
    completed_order, technician, client, auth_headers
):
    # Checked in 20 minutes late with no notice: the record says so, whatever was ticked.
    order = completed_order(visit={"arrive_minutes_early": -20}, name="张三", title="先生")
    record = client.get(f"/api/v1/work-orders/{order.id}/visits", headers=auth_headers(technician)).json["compliance"]
    assert record["missed_rules"] == [
        "arrive.arrived_early",
        "arrive.early_5_10_min",
        "arrive.late_notice_before_window",
        "arrive.on_time",
    ]
    pdf = client.get(f"/api/v1/work-orders/{order.id}/forms/service.pdf", headers=auth_headers(technician))
    text = pdftotext(pdf.data).replace(" ", "").replace("\n", "")
    assert "服务规范执行记录" in text
    assert f"规范得分{record['score']}（核验{record['verified_score']}·自述{record['attested_score']}）" in text
    assert "按约定时间到达" in text and "耽误时间，提前电话联系说明原因并向客户道歉" in text
    assert f"未做到{record['missed']}" in text and record["missed"] == 4


def test_the_printed_qr_code_scans_to_the_forms_verification_page(
    completed_order, technician, client, auth_headers, tmp_path
):
    order = completed_order()
    listed = client.get(f"/api/v1/work-orders/{order.id}/forms", headers=auth_headers(technician)).json
    service = next(f for f in listed if f["kind"] == "service")
    pdf = client.get(f"/api/v1/work-orders/{order.id}/forms/service.pdf", headers=auth_headers(technician)).data
    assert qr_codes(pdf, tmp_path) == [f"http://doorstep.test/verify/{service['id']}"]


def test_sealing_again_for_the_same_visit_changes_nothing(completed_order, db):
    order = completed_order()
    first = {f.id for f in db.session.query(Form).filter_by(work_order_id=order.id)}
    assert set(seal_visit_forms(order.id)) == first
    assert db.session.query(Form).filter_by(work_order_id=order.id).count() == 2


def test_another_technicians_order_is_not_found(completed_order, make_user, client, auth_headers):
    order = completed_order()
    stranger = make_user("technician")
    for path in ("forms", "forms/service.pdf", "forms/feedback.pdf"):
        response = client.get(f"/api/v1/work-orders/{order.id}/{path}", headers=auth_headers(stranger))
        assert response.status_code == 404, path
    dispatcher = make_user("dispatcher")
    assert (
        client.get(f"/api/v1/work-orders/{order.id}/forms/service.pdf", headers=auth_headers(dispatcher)).status_code
        == 200
    )


def test_a_correction_supersedes_and_both_versions_stay_verifiable(
    completed_order, make_user, client, auth_headers, db
):
    order = completed_order()
    dispatcher = make_user("dispatcher", name="调度李")
    old_pdf = client.get(f"/api/v1/work-orders/{order.id}/forms/service.pdf", headers=auth_headers(dispatcher)).data

    corrected = client.post(
        f"/api/v1/work-orders/{order.id}/forms/reseal",
        json={"reason": "地址门牌号更正"},
        headers=auth_headers(dispatcher),
    )
    assert corrected.status_code == 201
    listed = client.get(f"/api/v1/work-orders/{order.id}/forms", headers=auth_headers(dispatcher)).json
    services = sorted((f for f in listed if f["kind"] == "service"), key=lambda f: f["version"])
    assert [(f["version"], f["current"]) for f in services] == [(1, False), (2, True)]
    assert services[0]["superseded_by_id"] == services[1]["id"] == corrected.json[0]["id"]
    assert services[1]["supersedes_id"] == services[0]["id"]

    new_pdf = client.get(f"/api/v1/work-orders/{order.id}/forms/service.pdf", headers=auth_headers(dispatcher)).data
    assert new_pdf != old_pdf
    assert seal_status(old_pdf).bottom_line and seal_status(new_pdf).bottom_line

    old_page = client.get(f"/verify/{services[0]['id']}")
    assert "已被更正版本取代" in old_page.text
    new_page = client.get(f"/verify/{services[1]['id']}")
    assert "现行有效版本" in new_page.text and services[1]["sha256"] in new_page.text
    # The public page shows what checking a copy needs, not who corrected it nor why.
    for page in (old_page, new_page, client.get(f"/verify/{services[1]['id']}?lang=en")):
        assert "地址门牌号更正" not in page.text and "调度李" not in page.text

    old_form = db.session.get(Form, services[0]["id"])
    old_form.pdf = b"%PDF-forged"
    with pytest.raises(DBAPIError):
        db.session.flush()
    db.session.rollback()


def test_a_technician_may_not_issue_corrections(completed_order, technician, client, auth_headers):
    order = completed_order()
    response = client.post(
        f"/api/v1/work-orders/{order.id}/forms/reseal", json={"reason": "x y"}, headers=auth_headers(technician)
    )
    assert response.status_code == 403


def test_verify_page_tells_whether_an_uploaded_pdf_is_exactly_that_form(
    completed_order, make_user, client, auth_headers
):
    import io

    order = completed_order()
    dispatcher = make_user("dispatcher")
    form = next(
        f
        for f in client.get(f"/api/v1/work-orders/{order.id}/forms", headers=auth_headers(dispatcher)).json
        if f["kind"] == "service"
    )
    pdf = client.get(f"/api/v1/work-orders/{order.id}/forms/service.pdf", headers=auth_headers(dispatcher)).data

    page = client.get(f"/verify/{form['id']}")
    assert page.status_code == 200
    assert form["sha256"] in page.text and "Doorstep DEMO seal" in page.text and "服务单" in page.text
    assert "Sealed at" in client.get(f"/verify/{form['id']}?lang=en").text

    same = client.post(f"/verify/{form['id']}", data={"pdf": (io.BytesIO(pdf), "mine.pdf")})
    assert "一致：您的文件就是这份已签章的表单" in same.text
    changed = pdf[:-10] + b"%%EOF  \n\n"
    other = client.post(f"/verify/{form['id']}?lang=en", data={"pdf": (io.BytesIO(changed), "mine.pdf")})
    assert "No match" in other.text

    assert client.get("/verify/not-a-form").status_code == 404
