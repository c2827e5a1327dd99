"""PUT/GET /api/v1/attachments/{uuid}: idempotent, size-limited, images only, hash checked, private."""

import hashlib
import uuid

import pytest

from tests.visits.conftest import JPEG, PNG

WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(32)


def put(client, headers, data, attachment_id=None, **extra_headers):
    attachment_id = attachment_id or str(uuid.uuid4())
    return attachment_id, client.put(
        f"/api/v1/attachments/{attachment_id}",
        data=data,
        headers={**headers, **extra_headers},
        content_type="application/octet-stream",
    )


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
    sync = {
        "device_id": "d",
        "ops": [
            {
                "op_id": str(uuid.uuid4()),
                "work_order_id": order.id,
                "type": "attachment.link",
                "at": "2026-11-22T09:00:00+08:00",
                "data": {"attachment_id": attachment_id, "step": "call", "kind": "photo"},
            }
        ],
    }
    assert (
        client.post("/api/v1/sync", json=sync, headers=auth_headers(technician)).json["results"][0]["status"]
        == "applied"
    )
    owner = client.get(f"/api/v1/attachments/{attachment_id}", headers=auth_headers(technician))
    assert owner.status_code == 200 and owner.data == PNG and owner.mimetype == "image/png"
    assert client.get(f"/api/v1/attachments/{attachment_id}", headers=auth_headers(dispatcher)).status_code == 200
    assert client.get(f"/api/v1/attachments/{attachment_id}", headers=auth_headers(stranger)).status_code == 404
