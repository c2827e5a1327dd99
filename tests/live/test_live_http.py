"""HTTP: the live board and its change feed are for office roles, and refuse a made-up cursor."""

import pytest


def test_office_roles_read_the_live_board_and_a_technician_may_not(client, make_user, auth_headers):
    response = client.get("/api/v1/live/visits", headers=auth_headers(make_user("manager")))
    assert response.status_code == 200
    assert response.json["visits"] == [] and response.json["cursor"].count(".") == 2
    assert client.get("/api/v1/live/visits", headers=auth_headers(make_user("technician"))).status_code == 403
    assert client.get("/api/v1/live/changes?cursor=0.0.0").status_code == 401


def test_an_unchanged_cursor_with_no_wait_answers_at_once(client, make_user, auth_headers):
    headers = auth_headers(make_user("dispatcher"))
    current = client.get("/api/v1/live/visits", headers=headers).json["cursor"]
    response = client.get(f"/api/v1/live/changes?cursor={current}&wait=0", headers=headers)
    assert response.status_code == 200 and response.json == {"cursor": current, "changed": False}
    response = client.get("/api/v1/live/changes?cursor=0.0.0&wait=0", headers=headers)
    assert response.json["changed"] is (current != "0.0.0")


@pytest.mark.parametrize(
    ("query", "field"),
    [("cursor=abc", "cursor"), ("cursor=1.2", "cursor"), ("cursor=0.0.0&wait=600", "wait"), ("", "cursor")],
)
def test_a_bad_cursor_or_wait_is_refused_naming_the_field(client, make_user, auth_headers, query, field):
    response = client.get(f"/api/v1/live/changes?{query}", headers=auth_headers(make_user("dispatcher")))
    assert response.status_code == 422
    assert field in response.json["errors"]["query"]
