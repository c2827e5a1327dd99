"""Password rules (blank, short, common, the username), one's own change and an admin's reset, both revoking tokens."""

import pytest

from backend.auth.passwords import password_problems
from backend.auth.services import authenticate, change_own_password, create_user, set_password, user_from_token
from backend.errors import InvalidInput, Unauthorized
from tests.conftest import PASSWORD

GOOD = "tide-lantern-47"


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("password", "username", "says"),
    [
        ("        ", "zhou", "blank"),
        ("\t \n ", "zhou", "blank"),
        ("", "zhou", "blank"),
        ("g7#kq", "zhou", "At least 8"),
        ("password", "zhou", "common"),
        ("PassWord1", "zhou", "common"),  # case does not make it rare
        ("iloveyou", "zhou", "common"),
        ("zhou.jianhua", "zhou.jianhua", "username"),
        ("ZHOU.JIANHUA", "zhou.jianhua", "username"),
        ("my-Zhou-2026!", "zhou", "username"),  # containing it
    ],
)
def test_weak_passwords_are_refused_saying_why(password, username, says):
    problems = password_problems(password, username)
    assert any(says in problem for problem in problems), problems


def test_good_passwords_pass_and_a_two_letter_username_is_only_refused_whole():
    assert password_problems(GOOD, "zhou") == []
    assert password_problems("climbing-tide-47", "li") == []  # "li" is inside, but too short to forbid everywhere
    assert password_problems("li", "li")  # the username itself (and short) is refused


def test_create_user_refuses_a_common_password_naming_the_field(db):
    with pytest.raises(InvalidInput) as refused:
        create_user("zhou", "password", "technician")
    assert refused.value.status == 422
    assert list(refused.value.errors["json"]) == ["password"]


def test_set_password_revokes_earlier_tokens(db, make_user):
    from backend.auth.services import issue_token

    user = make_user("technician")
    token = issue_token(user)
    set_password(user, GOOD)
    db.session.commit()
    with pytest.raises(Unauthorized):
        user_from_token(token)
    assert authenticate(user.username, GOOD).id == user.id


def test_change_own_password_needs_the_old_one_and_new_rules(db, make_user):
    user = make_user("dispatcher")
    with pytest.raises(InvalidInput) as wrong:
        change_own_password(user, "not-my-password", GOOD)
    assert wrong.value.code == "wrong_password" and list(wrong.value.errors["json"]) == ["old_password"]
    with pytest.raises(InvalidInput) as weak:
        change_own_password(user, PASSWORD, "12345678")
    assert list(weak.value.errors["json"]) == ["new_password"]
    with pytest.raises(InvalidInput):
        change_own_password(user, PASSWORD, PASSWORD)
    change_own_password(user, PASSWORD, GOOD)
    assert authenticate(user.username, GOOD).id == user.id


@pytest.mark.parametrize(
    ("password", "says"),
    [("        ", "blank"), ("password", "common"), ("zhou1234", "username"), ("Qwertyuiop", "common")],
)
def test_admin_creating_an_account_with_a_weak_password_gets_422_naming_it(
    client, make_user, auth_headers, password, says
):
    body = {"username": "zhou1234" if says == "username" else "zhou", "password": password, "role": "technician"}
    response = client.post("/api/v1/users", json=body, headers=auth_headers(make_user("admin")))
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]["json"]
    assert list(errors) == ["password"] and says in " ".join(errors["password"])


def test_changing_ones_own_password_revokes_old_tokens_and_returns_a_new_one(client, make_user, login):
    make_user("technician", username="lin")
    old_token = login(client, "lin").get_json()["token"]
    other_device = login(client, "lin").get_json()["token"]
    changed = client.post(
        "/api/v1/me/password", json={"old_password": PASSWORD, "new_password": GOOD}, headers=_bearer(old_token)
    )
    assert changed.status_code == 200, changed.get_json()
    new_token = changed.get_json()["token"]
    assert client.get("/api/v1/me", headers=_bearer(new_token)).status_code == 200
    assert client.get("/api/v1/me", headers=_bearer(old_token)).status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(other_device)).status_code == 401
    assert login(client, "lin").status_code == 401
    assert login(client, "lin", GOOD).status_code == 200


def test_changing_ones_own_password_refuses_a_wrong_old_one_or_a_weak_new_one(client, make_user, auth_headers):
    headers = auth_headers(make_user("manager", username="huang"))
    wrong = client.post(
        "/api/v1/me/password", json={"old_password": "guess-1234", "new_password": GOOD}, headers=headers
    )
    assert wrong.status_code == 422 and wrong.get_json()["code"] == "wrong_password"
    assert list(wrong.get_json()["errors"]["json"]) == ["old_password"]
    weak = client.post(
        "/api/v1/me/password", json={"old_password": PASSWORD, "new_password": "Huang2026"}, headers=headers
    )
    assert weak.status_code == 422 and list(weak.get_json()["errors"]["json"]) == ["new_password"]
    anonymous = client.post("/api/v1/me/password", json={"old_password": PASSWORD, "new_password": GOOD})
    assert anonymous.status_code == 401


def test_admin_reset_sets_the_password_and_revokes_the_accounts_tokens(client, make_user, auth_headers, login):
    admin = make_user("admin")
    tech = make_user("technician", username="wuyan")
    token = login(client, "wuyan").get_json()["token"]
    reset = client.post(f"/api/v1/users/{tech.id}/password", json={"password": GOOD}, headers=auth_headers(admin))
    assert reset.status_code == 204
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401
    assert login(client, "wuyan").status_code == 401 and login(client, "wuyan", GOOD).status_code == 200
    weak = client.post(f"/api/v1/users/{tech.id}/password", json={"password": "Wuyan2026"}, headers=auth_headers(admin))
    assert weak.status_code == 422 and list(weak.get_json()["errors"]["json"]) == ["password"]


@pytest.mark.parametrize("role", ["technician", "dispatcher", "manager"])
def test_only_admins_reset_passwords(client, make_user, auth_headers, role):
    user = make_user(role)
    response = client.post(f"/api/v1/users/{user.id}/password", json={"password": GOOD}, headers=auth_headers(user))
    assert response.status_code == 403
    assert client.post(f"/api/v1/users/{user.id}/password", json={"password": GOOD}).status_code == 401


def test_cli_user_create_refuses_a_weak_password(app, db, monkeypatch):
    runner = app.test_cli_runner()
    monkeypatch.setenv("DOORSTEP_PASSWORD", "12345678")
    refused = runner.invoke(args=["user", "create", "chen.li", "--role", "technician", "--branch", "福州"])
    assert refused.exit_code != 0 and "common" in refused.output
    monkeypatch.setenv("DOORSTEP_PASSWORD", "chen.li-2026")
    assert runner.invoke(args=["user", "create", "chen.li", "--role", "technician", "--branch", "福州"]).exit_code != 0
    monkeypatch.setenv("DOORSTEP_PASSWORD", GOOD)
    created = runner.invoke(args=["user", "create", "chen.li", "--role", "technician", "--branch", "福州"])
    assert created.exit_code == 0, created.output


def test_the_password_endpoints_are_documented_with_roles_and_the_error_shape(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/me/password", "/api/v1/users/{user_id}/password"):
        operation = spec["paths"][path]["post"]
        assert operation["security"] == [{"bearerAuth": []}]
        for status in ("422", "429") if path.startswith("/api/v1/me") else ("422",):
            answer = operation["responses"][status]
            answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]] if "$ref" in answer else answer
            assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/Error"), status
        body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        props = spec["components"]["schemas"][body]["properties"]
        assert "common" in (props.get("new_password") or props["password"])["description"]
