import pytest

from backend.auth.services import authenticate, issue_token
from backend.errors import Unauthorized


def test_login_returns_token_that_opens_me(client, make_user, login):
    tech = make_user("technician", username="lin", name="林师傅")
    response = login(client, "lin")
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["role"] == "technician" and body["user"]["name"] == "林师傅"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json()["id"] == tech.id


def test_wrong_password_is_401_with_code(client, make_user, login):
    make_user("dispatcher", username="wang")
    response = login(client, "wang", "not-the-password")
    assert response.status_code == 401
    assert response.get_json()["code"] == "bad_credentials"


def test_missing_or_forged_token_is_401(client, make_user):
    assert client.get("/api/v1/me").status_code == 401
    forged = client.get("/api/v1/me", headers={"Authorization": "Bearer abc.def"})
    assert forged.status_code == 401 and forged.get_json()["code"] == "bad_token"


def test_token_of_deactivated_user_is_refused(db, make_user):
    user = make_user("technician")
    token = issue_token(user)
    user.active = False
    db.session.commit()
    from backend.auth.services import user_from_token

    with pytest.raises(Unauthorized):
        user_from_token(token)


def test_password_is_stored_hashed(make_user):
    user = make_user("manager")
    assert user.password_hash.startswith("$argon2")
    assert authenticate(user.username, "correct-horse-9").id == user.id


def test_login_validates_body(client):
    response = client.post("/api/v1/auth/login", json={"username": 5})
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert "username" in errors and "password" in errors


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/auth/login", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["code"] == "malformed_json"
