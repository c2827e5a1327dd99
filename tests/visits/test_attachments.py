"""PUT/GET /api/v1/attachments/{uuid}: idempotent, size-limited, images only, hash checked, private."""

import hashlib
import uuid

import pytest

from tests.visits.conftest import JPEG, PNG, image_bytes

WEBP = image_bytes("WEBP")
HTML = b"<html><script>alert(document.cookie)</script></html>"


def put(client, headers, data, attachment_id=None, **extra_headers):
    attachment_id = attachment_id or str(uuid.uuid4())
    return attachment_id, client.put(
        f"/api/v1/attachments/{attachment_id}",
        data=data,
        headers={**headers, **extra_headers},
        content_type="application/octet-stream",
    )


def link_photo(client, headers, order, attachment_id):
    """Sync one op linking the upload to the order's call step; return the op's status."""
    op = {
        "op_id": str(uuid.uuid4()),
        "work_order_id": order.id,
        "type": "attachment.link",
        "at": "2026-11-22T09:00:00+08:00",
        "data": {"attachment_id": attachment_id, "step": "call", "kind": "photo"},
    }
    response = client.post("/api/v1/sync", json={"device_id": "d", "ops": [op]}, headers=headers)
    return response.json["results"][0]["status"]


@pytest.mark.parametrize("data,content_type", [(JPEG, "image/jpeg"), (PNG, "image/png"), (WEBP, "image/webp")])
def test_images_are_stored_with_their_hash(client, technician, auth_headers, data, content_type):
    _, response = put(client, auth_headers(technician), data)
    assert response.status_code == 201
    assert response.json["content_type"] == content_type
    assert response.json["sha256"] == hashlib.sha256(data).hexdigest()


def test_upload_is_idempotent(client, technician, auth_headers):
    attachment_id, first = put(client, auth_headers(technician), PNG)
    _, again = put(client, auth_headers(technician), PNG, attachment_id)
    assert (first.status_code, again.status_code) == (201, 200)
    _, other = put(client, auth_headers(technician), JPEG, attachment_id)
    assert (other.status_code, other.json["code"]) == (409, "attachment_id_reused")


def test_content_is_checked_not_the_name(client, technician, auth_headers):
    response = client.put(
        f"/api/v1/attachments/{uuid.uuid4()}",
        data=b"%PDF-1.7 not an image",
        headers=auth_headers(technician),
        content_type="image/png",
    )
    assert (response.status_code, response.json["code"]) == (415, "unsupported_media_type")


def test_size_limit(app, client, technician, auth_headers):
    app.config["ATTACHMENT_MAX_BYTES"] = 100
    try:
        _, response = put(client, auth_headers(technician), PNG + bytes(200))
    finally:
        app.config.pop("ATTACHMENT_MAX_BYTES")
    assert (response.status_code, response.json["code"]) == (413, "too_large")


def test_hash_header_is_checked(client, technician, auth_headers):
    _, bad = put(client, auth_headers(technician), PNG, **{"X-Content-SHA256": "0" * 64})
    assert (bad.status_code, bad.json["code"]) == (422, "hash_mismatch")
    _, good = put(client, auth_headers(technician), PNG, **{"X-Content-SHA256": hashlib.sha256(PNG).hexdigest()})
    assert good.status_code == 201


def test_readable_only_by_those_who_may_see_the_work_order(client, db, make_order, technician, make_user, auth_headers):
    order = make_order("install")
    attachment_id, _ = put(client, auth_headers(technician), PNG)
    stranger, dispatcher = make_user("technician"), make_user("dispatcher")
    # Not linked yet: only the uploader.
    assert client.get(f"/api/v1/attachments/{attachment_id}", headers=auth_headers(dispatcher)).status_code == 404
    assert link_photo(client, auth_headers(technician), order, attachment_id) == "applied"
    owner = client.get(f"/api/v1/attachments/{attachment_id}", headers=auth_headers(technician))
    assert owner.status_code == 200 and owner.data == PNG and owner.mimetype == "image/png"
    assert client.get(f"/api/v1/attachments/{attachment_id}", headers=auth_headers(dispatcher)).status_code == 200
    assert client.get(f"/api/v1/attachments/{attachment_id}", headers=auth_headers(stranger)).status_code == 404


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(PNG[:8] + HTML, id="png-signature-then-html"),
        pytest.param(PNG + HTML, id="whole-png-then-html"),
        pytest.param(JPEG[:4] + HTML, id="jpeg-marker-then-html"),
        pytest.param(JPEG[: len(JPEG) // 2], id="truncated-jpeg"),
        pytest.param(JPEG + HTML, id="whole-jpeg-then-html"),
        pytest.param(WEBP + HTML, id="whole-webp-then-html"),
        pytest.param(image_bytes("PNG", size=(8000, 6000)), id="48-megapixel-png"),
    ],
)
def test_an_upload_must_decode_whole_as_the_image_it_starts_like(client, technician, auth_headers, data):
    attachment_id, response = put(client, auth_headers(technician), data, **{"Content-Type": "image/png"})
    assert (response.status_code, response.json["code"]) == (422, "invalid_image")
    assert list(response.json["errors"]) == ["body"]
    assert client.get(f"/api/v1/attachments/{attachment_id}", headers=auth_headers(technician)).status_code == 404


def _body(response):
    return {k: v for k, v in response.json.items() if k != "uploaded_at"}


def test_an_upload_answers_alike_whether_or_not_another_user_has_its_id(
    client, db, make_order, technician, make_user, auth_headers
):
    # Issue 11.6: a taken id used to answer 409 and an unused one 201, telling a stranger which
    # ids exist. An id names an upload among its uploader's own; each keeps theirs.
    attachment_id, first = put(client, auth_headers(technician), PNG)
    other_tech = make_user("technician")
    other = auth_headers(other_tech)
    _, fresh = put(client, other, PNG)
    _, on_taken_id = put(client, other, PNG, attachment_id)
    assert (on_taken_id.status_code, fresh.status_code) == (201, 201)
    assert _body(on_taken_id) == {**_body(fresh), "id": attachment_id}
    _, other_bytes = put(client, other, JPEG, str(uuid.uuid4()))
    _, on_taken_id_other_bytes = put(client, auth_headers(make_user("technician")), JPEG, attachment_id)
    assert on_taken_id_other_bytes.status_code == other_bytes.status_code == 201

    # Each uploader reads their own image under the id they sent; the first one's is untouched.
    assert client.get(f"/api/v1/attachments/{attachment_id}", headers=auth_headers(technician)).data == PNG
    assert client.get(f"/api/v1/attachments/{attachment_id}", headers=other).data == PNG
    # Sending one's own id again with other bytes is still refused, as before.
    _, own_reuse = put(client, auth_headers(technician), JPEG, attachment_id)
    assert own_reuse.status_code == 409 and own_reuse.json["code"] == "attachment_id_reused"

    # The second uploader's ops use it under the id they sent, and the visit records where it is kept.
    order = make_order("install")
    order.technician_id = other_tech.id
    db.session.commit()
    assert link_photo(client, other, order, attachment_id) == "applied"
    record = client.get(f"/api/v1/work-orders/{order.id}/visits", headers=other).json["visits"][0]
    kept_under = record["attachments"][0]["id"]
    assert kept_under != attachment_id
    dispatcher = auth_headers(make_user("dispatcher"))
    assert client.get(f"/api/v1/attachments/{kept_under}", headers=dispatcher).data == PNG
    # The first technician's upload is not linked to an order they never had.
    assert client.get(f"/api/v1/attachments/{attachment_id}", headers=dispatcher).status_code == 404


def test_attachments_are_served_as_downloads_that_are_never_sniffed(client, technician, auth_headers):
    attachment_id, _ = put(client, auth_headers(technician), JPEG)
    response = client.get(f"/api/v1/attachments/{attachment_id}", headers=auth_headers(technician))
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{attachment_id}.jpeg"'
