"""JSON bodies Python parses but cannot hold, over every operation of the OpenAPI document.

Lone UTF-16 surrogates, numbers over 4,300 digits and nesting 10,000 deep answered 500 before;
now 400 in the one error shape, naming the field that holds a surrogate. And every operation
that declares a login authenticates before it reads the body: anonymous callers get 401, not
field errors, whatever they send.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_api_contract import _fill, _plausible, _resolve, _role_for, spec, world  # noqa: F401

SURROGATE = '"\\ud800"'  # JSON text: a lone high surrogate, valid JSON grammar, not valid Unicode
NUL = '"a\\u0000b"'  # JSON text with a NUL character: valid Unicode, refused by PostgreSQL's text
HUGE_NUMBER = "1" * 5000
DEEP = "[" * 10_000 + "]" * 10_000
JUNK_BODIES = {
    "surrogate": '{"name": ' + SURROGATE + ', "username": ' + SURROGATE + "}",
    "5000-digit number": '{"name": ' + HUGE_NUMBER + "}",
    "10,000-deep nesting": '{"name": ' + DEEP + "}",
    "not JSON": "{nope",
}
BODY_METHODS = ("post", "put", "patch")


class _SaysSurrogate:
    """Equal to any message that speaks of a surrogate."""

    def __eq__(self, other):
        return isinstance(other, str) and "surrogate" in other


ANY_TEXT = _SaysSurrogate()


def _operations(document):
    for template, operations in document["paths"].items():
        for method, operation in operations.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield template, method, operation


def _ids(world):  # noqa: F811
    return {**world["ids"], "attachment_id": "6f1c0b3e-2d4a-4b8e-9a77-0c5d1e2f3a4b"}


def _json_body_schema(operation):
    return operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")


def _in_error_shape(response):
    body = response.get_json()
    return isinstance(body, dict) and body.get("status") == response.status_code and {"code", "message"} <= set(body)


def test_anonymous_calls_get_401_before_any_body_is_read(client, spec, world):  # noqa: F811
    """Every operation declaring a login answers 401 to an anonymous caller, whatever the body."""
    secured, problems = 0, []
    for template, method, operation in _operations(spec):
        if not operation.get("security"):
            continue
        secured += 1
        path = _fill(template, _ids(world), "1")
        for name, raw in {**JUNK_BODIES, "wrong fields": '{"ops": 5, "device_id": []}'}.items():
            response = client.open(path, method=method.upper(), data=raw, content_type="application/json")
            if response.status_code != 401 or response.get_json()["code"] != "unauthorized":
                problems.append(f"{method.upper()} {template} {name} -> {response.status_code} {response.get_json()}")
    assert secured > 30
    assert not problems, "\n".join(problems[:30])


def test_anonymous_sync_with_a_bad_body_is_401_not_field_errors(client):
    response = client.post("/api/v1/sync", json={"device_id": 5, "ops": "x"})
    assert response.status_code == 401
    assert "errors" not in response.get_json()


@pytest.mark.parametrize("junk", ["5000-digit number", "10,000-deep nesting"])
def test_unreadable_bodies_are_400_on_every_json_endpoint(client, spec, world, junk):  # noqa: F811
    """Authenticated (a role the operation admits) and anonymous where it needs none: 400, never 500."""
    walked, problems = 0, []
    for template, method, operation in _operations(spec):
        if method not in BODY_METHODS or not _json_body_schema(operation):
            continue
        path = _fill(template, _ids(world), "1")
        headers = _role_for(client, method, path, world) if operation.get("security") else {}
        walked += 1
        response = client.open(
            path, method=method.upper(), headers=headers, data=JUNK_BODIES[junk], content_type="application/json"
        )
        if response.status_code != 400 or not _in_error_shape(response):
            problems.append(f"{method.upper()} {template} -> {response.status_code} {response.get_data(as_text=True)}")
    assert walked > 15
    assert not problems, "\n".join(problems[:30])


@pytest.mark.parametrize("bad_text", [SURROGATE, NUL], ids=["lone-surrogate", "nul"])
def test_text_no_database_can_store_in_any_text_field_is_400_naming_that_field(
    client,
    spec,  # noqa: F811
    world,  # noqa: F811
    db,
    bad_text,
):
    """Each top-level text property of each JSON body in turn holds a lone surrogate or a NUL; the answer names it."""
    walked, problems = 0, []
    for template, method, operation in _operations(spec):
        schema = _json_body_schema(operation)
        if method not in BODY_METHODS or not schema:
            continue
        path = _fill(template, _ids(world), "1")
        headers = _role_for(client, method, path, world) if operation.get("security") else {}
        base = _plausible(spec, schema)
        for name, prop in _resolve(spec, schema).get("properties", {}).items():
            prop = _resolve(spec, prop)
            if prop.get("type") != "string" or prop.get("readOnly") or prop.get("format") in ("date", "date-time"):
                continue
            walked += 1
            raw = json.dumps({**base, name: "@bad@"}).replace('"@bad@"', bad_text)
            response = client.open(
                path, method=method.upper(), headers=headers, data=raw, content_type="application/json"
            )
            db.session.rollback()
            body = response.get_json()
            if response.status_code != 400 or body["code"] != "invalid_text" or name not in body["errors"]["json"]:
                problems.append(f"{method.upper()} {template} {name} -> {response.status_code} {body}")
    assert walked > 20
    assert not problems, "\n".join(problems[:30])


def test_a_nul_in_any_text_query_parameter_is_400_naming_that_parameter(client, spec, world, db):  # noqa: F811
    # PostgreSQL refuses NUL in a text parameter: a filter holding one answered 500 there.
    walked, problems = 0, []
    for template, method, operation in _operations(spec):
        queries = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
        texts = [p["name"] for p in queries if _resolve(spec, p.get("schema", {})).get("type") == "string"]
        if method != "get" or not texts:
            continue
        path = _fill(template, _ids(world), "1")
        headers = _role_for(client, method, path, world) if operation.get("security") else {}
        for name in texts:
            walked += 1
            response = client.get(path, query_string={name: "a\x00b"}, headers=headers)
            body = response.get_json()
            if response.status_code != 400 or body["code"] != "invalid_text" or name not in body["errors"]["query"]:
                problems.append(f"GET {template}?{name} -> {response.status_code} {body}")
    assert walked > 5
    assert not problems, "\n".join(problems[:30])


def test_a_surrogate_in_a_customer_name_is_400_and_nothing_is_stored(client, make_user, auth_headers):
    headers = auth_headers(make_user("dispatcher"))
    raw = '{"name": "王\\udc00", "phones": ["13800000000"], "address": "福州市鼓楼区"}'
    response = client.post("/api/v1/customers", data=raw, content_type="application/json", headers=headers)
    assert response.status_code == 400
    assert response.get_json()["errors"] == {"json": {"name": [ANY_TEXT]}}
    assert client.get("/api/v1/customers", headers=headers).get_json() == []


@pytest.mark.parametrize("field", ["username", "password"])
def test_a_surrogate_in_anonymous_login_is_400_naming_the_field(client, field):
    raw = json.dumps({"username": "lin", "password": "correct-horse-9"}).replace(
        f'"{field}": "', f'"{field}": "\\ud83d'
    )
    response = client.post("/api/v1/auth/login", data=raw, content_type="application/json")
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "invalid_text" and list(body["errors"]["json"]) == [field]


def test_a_surrogate_inside_a_list_or_nested_object_is_named_by_its_path(client, make_user, auth_headers):
    headers = auth_headers(make_user("admin"))
    raw = '{"username": "zhou", "password": "s3cret-pass", "role": "technician", "skills": ["ok", "\\ud800"]}'
    response = client.post("/api/v1/users", data=raw, content_type="application/json", headers=headers)
    assert response.status_code == 400
    assert response.get_json()["errors"]["json"] == {"skills": {"1": [ANY_TEXT]}}


def test_a_huge_number_and_deep_nesting_name_the_problem(client):
    huge = client.post("/api/v1/auth/login", data='{"username": ' + HUGE_NUMBER + "}", content_type="application/json")
    deep = client.post("/api/v1/auth/login", data='{"username": ' + DEEP + "}", content_type="application/json")
    assert huge.status_code == deep.status_code == 400
    assert huge.get_json()["code"] == deep.get_json()["code"] == "malformed_json"
    assert "digits" in huge.get_json()["errors"]["json"][0]
    assert "nested" in deep.get_json()["errors"]["json"][0]


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(st.characters(categories=["Cs"]) | st.sampled_from("a长 "), min_size=1),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(["username", "password", "name", "phones", "address"]), _json_values))
def test_generated_bodies_never_answer_500(client, make_user, auth_headers, body):
    """Generated JSON (lone surrogates, NaN, huge ints, nesting) on login and customer creation: a 4xx or success."""
    raw = json.dumps(body)  # ensure_ascii: surrogates travel as \\udXXX escapes, as a client would send them
    headers = auth_headers(make_user("dispatcher"))
    for path, hdrs in (("/api/v1/auth/login", {}), ("/api/v1/customers", headers), ("/api/v1/customers", {})):
        response = client.post(path, data=raw, content_type="application/json", headers=hdrs)
        assert response.status_code < 500, (path, raw[:200], response.get_data(as_text=True))
        if response.status_code >= 400:
            assert _in_error_shape(response)
