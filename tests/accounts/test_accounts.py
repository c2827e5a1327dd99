import pytest

from backend.auth.services import issue_token

NEW_TECHNICIAN = {
    "username": "zhou",
    "password": "s3cret-pass",
    "role": "technician",
    "name": "周师傅",
    "employee_no": "FZ1099",
    "branch": "福州",
    "skills": ["repair"],
    "areas": ["鼓楼区"],
}


def test_admin_creates_lists_and_deactivates_an_account(client, make_user, auth_headers, login):
    headers = auth_headers(make_user("admin"))
    created = client.post("/api/v1/users", json=NEW_TECHNICIAN, headers=headers)
    assert created.status_code == 201
    body = created.get_json()
    assert body["role"] == "technician" and body["active"] is True and "password" not in body
    token = login(client, "zhou", "s3cret-pass").get_json()["token"]

    listed = client.get("/api/v1/users?role=technician", headers=headers).get_json()
    assert [u["username"] for u in listed] == ["zhou"]

    off = client.patch(f"/api/v1/users/{body['id']}", json={"active": False}, headers=headers)
    assert off.status_code == 200 and off.get_json()["active"] is False
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert login(client, "zhou", "s3cret-pass").status_code == 401


def test_taken_username_or_employee_number_is_409(client, make_user, auth_headers):
    headers = auth_headers(make_user("admin"))
    assert client.post("/api/v1/users", json=NEW_TECHNICIAN, headers=headers).status_code == 201
    again = client.post("/api/v1/users", json=NEW_TECHNICIAN, headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "employee_no_taken"
    same_name = client.post("/api/v1/users", json={**NEW_TECHNICIAN, "employee_no": "FZ1100"}, headers=headers)
    assert same_name.status_code == 409 and same_name.get_json()["code"] == "username_taken"


def test_admin_cannot_lock_themselves_out(client, make_user, auth_headers):
    admin = make_user("admin")
    response = client.patch(f"/api/v1/users/{admin.id}", json={"active": False}, headers=auth_headers(admin))
    assert response.status_code == 409 and response.get_json()["code"] == "cannot_change_self"


@pytest.mark.parametrize("role", ["technician", "dispatcher", "manager"])
def test_only_admins_manage_accounts(client, make_user, auth_headers, role):
    user = make_user(role)
    headers = auth_headers(user)
    assert client.get("/api/v1/users", headers=headers).status_code == 403
    assert client.post("/api/v1/users", json=NEW_TECHNICIAN, headers=headers).status_code == 403
    assert client.get(f"/api/v1/users/{user.id}", headers=headers).status_code == 403
    assert client.patch(f"/api/v1/users/{user.id}", json={"active": False}, headers=headers).status_code == 403
    assert client.get("/api/v1/users").status_code == 401


def test_role_change_revokes_tokens(client, make_user, auth_headers):
    admin, dispatcher = make_user("admin"), make_user("dispatcher")
    token = issue_token(dispatcher)
    client.patch(f"/api/v1/users/{dispatcher.id}", json={"role": "manager"}, headers=auth_headers(admin))
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
