"""The API as documented: every endpoint of the foundation is in the OpenAPI document with its
request and response schemas, and every documented endpoint (of every area) answers bad input
with a 4xx in the one JSON error shape, never a 500."""

import re

import pytest

from tests.factories import make_customer, make_order

FOUNDATION_ENDPOINTS = [
    ("post", "/api/v1/auth/login"),
    ("get", "/api/v1/customers"),
    ("post", "/api/v1/customers"),
    ("get", "/api/v1/customers/{customer_id}"),
    ("patch", "/api/v1/customers/{customer_id}"),
    ("get", "/api/v1/work-orders"),
    ("post", "/api/v1/work-orders"),
    ("get", "/api/v1/work-orders/{order_id}"),
    ("patch", "/api/v1/work-orders/{order_id}"),
    ("post", "/api/v1/work-orders/{order_id}/status"),
    ("post", "/api/v1/work-orders/{order_id}/phone-guidance"),
    ("post", "/api/v1/work-orders/{order_id}/appointment"),
    ("get", "/api/v1/technicians"),
    ("get", "/api/v1/technicians/availability"),
    ("get", "/api/v1/me/agenda"),
    ("get", "/api/v1/users"),
    ("post", "/api/v1/users"),
    ("get", "/api/v1/users/{user_id}"),
    ("patch", "/api/v1/users/{user_id}"),
]
OVERSIZE = "长" * 20_000
NONEXISTENT_IDS = ["987654321", "99999999999999999999999"]


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _resolve(spec, schema):
    while schema and "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema or {}


def _success_schema(operation):
    for status, response in operation["responses"].items():
        if status.startswith("2"):
            return response.get("content", {}).get("application/json", {}).get("schema")
    return None


@pytest.mark.parametrize(("method", "path"), FOUNDATION_ENDPOINTS)
def test_foundation_endpoint_is_documented_with_schemas(spec, method, path):
    operation = spec["paths"].get(path, {}).get(method)
    assert operation, f"{method.upper()} {path} missing from the OpenAPI document"
    assert _success_schema(operation), "no response schema"
    if method in ("post", "patch"):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        assert body, "no request schema"
        for name, prop in _resolve(spec, body).get("properties", {}).items():
            if prop.get("type") == "string" and not prop.get("readOnly"):
                assert "maxLength" in prop or "enum" in prop or "format" in prop, f"{name} has no maximum length"
    if method == "get":
        for param in operation.get("parameters", []):
            if param["schema"].get("type") == "string":
                assert {"maxLength", "enum", "format"} & set(param["schema"]), f"{param['name']} unbounded"


def _plausible(spec, schema):
    """Return a body of the right shape with dull values, to mutate one field at a time."""
    schema = _resolve(spec, schema)
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        return {
            name: _plausible(spec, prop)
            for name, prop in schema.get("properties", {}).items()
            if not prop.get("readOnly")
        }
    if kind == "array":
        return []
    return {"integer": 1, "number": 1.5, "boolean": True}.get(
        kind, {"date": "2030-01-02", "date-time": "2030-01-02T10:00:00+08:00"}.get(schema.get("format"), "x")
    )


def _wrong_values(spec, prop):
    prop = _resolve(spec, prop)
    kind = prop.get("type")
    values = [] if prop.get("nullable") else [None]
    if kind != "object" and "properties" not in prop:
        values.append({"nested": "object"})
    if "enum" in prop:
        values.append("not-a-known-value")
    if kind == "string":
        values += [12345, OVERSIZE]
        if prop.get("format") in ("date", "date-time"):
            values += ["2030-13-45", "yesterday", "0001-01-01T00:00:00+14:00"]
    elif kind in ("integer", "number"):
        values += ["abc", 10**30, -(10**30), 1.5 if kind == "integer" else "1.5"]
    elif kind == "boolean":
        values += ["maybe", 2]
    elif kind == "array":
        values += ["not a list", [OVERSIZE] * 3, [{"x": 1}] * 3]
    elif kind == "object" or "properties" in prop:
        values += ["not an object", [1, 2]]
    return values


def _bad_bodies(spec, operation):
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if not schema:
        return []
    base = _plausible(spec, schema)
    bodies = [[], "text", 42, {**base, "unknown_field": 1} if isinstance(base, dict) else [base, "?"]]
    if isinstance(base, dict):
        for name, prop in _resolve(spec, schema).get("properties", {}).items():
            if not prop.get("readOnly"):
                bodies += [{**base, name: value} for value in _wrong_values(spec, prop)]
    return bodies


def _bad_queries(spec, operation):
    queries = []
    for param in operation.get("parameters", []):
        if param["in"] != "query":
            continue
        for value in _wrong_values(spec, param["schema"]):
            if value is not None and not isinstance(value, dict | list):
                queries.append({param["name"]: str(value)})
    return queries


def _every_op_rejected(response):
    """Whether a sync batch was answered with each of its ops rejected (the per-op refusal of bad ops)."""
    results = (response.get_json(silent=True) or {}).get("results")
    return bool(results) and all(result["status"] == "rejected" for result in results)


def _problem(response, what, *, must_refuse=False):
    """Return what is wrong with the answer to bad input, or None."""
    if response.status_code >= 500:
        return f"{what} -> {response.status_code}"
    if must_refuse and response.status_code < 400 and not _every_op_rejected(response):
        return f"{what} -> accepted ({response.status_code})"
    if response.status_code >= 400:
        body = response.get_json(silent=True)
        if (
            not isinstance(body, dict)
            or not {"code", "status", "message"} <= set(body)
            or body["status"] != response.status_code
            or not isinstance(body.get("errors", {}), dict)
        ):
            return f"{what} -> {response.status_code} not in the JSON error shape"
    return None


@pytest.fixture
def world(make_user, auth_headers):
    """Someone of every role, and one existing row of each kind the paths name."""
    users = {role: make_user(role) for role in ("dispatcher", "admin", "manager", "technician")}
    customer = make_customer()
    order = make_order(users["dispatcher"], customer)
    order.technician_id = users["technician"].id
    ids = {"order_id": order.id, "customer_id": customer.id, "user_id": users["manager"].id, "work_order_id": order.id}
    return {"headers": {role: auth_headers(user) for role, user in users.items()}, "ids": ids}


def _fill(path, ids, fallback):
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), fallback)), path)


def _role_for(client, method, path, world):
    """Return the headers of the first role the endpoint lets through, so validation is what answers."""
    for role in ("dispatcher", "technician", "admin", "manager"):
        response = client.open(path, method=method.upper(), headers=world["headers"][role], json={})
        if response.status_code not in (401, 403):
            return world["headers"][role]
    return world["headers"]["dispatcher"]


def test_every_endpoint_refuses_bad_input_without_a_500(client, spec, world, db):
    problems, walked = [], 0

    def check(what, method, path, headers, must_refuse=False, **kwargs):
        nonlocal walked
        walked += 1
        problems.append(
            _problem(client.open(path, method=method.upper(), headers=headers, **kwargs), what, must_refuse=must_refuse)
        )
        # Each real request gets a fresh session; here one session spans them, so end its transaction.
        db.session.rollback()

    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            path = _fill(template, world["ids"], "x")
            headers = _role_for(client, method, path, world)
            what = f"{method.upper()} {template}"
            if "{" in template:
                for bad_id in NONEXISTENT_IDS + ["..%2F..%2Fetc", "x" * 300]:
                    check(
                        f"{what} with id {bad_id[:20]}",
                        method,
                        _fill(template, {}, bad_id),
                        headers,
                        must_refuse=True,
                        json={},
                    )
            if method in ("post", "put", "patch"):
                check(
                    f"{what} malformed JSON", method, path, headers, data="{not json", content_type="application/json"
                )
                check(f"{what} {{}}", method, path, headers, json={})
                for body in _bad_bodies(spec, operation):
                    check(f"{what} body={str(body)[:100]}", method, path, headers, must_refuse=True, json=body)
            for query in _bad_queries(spec, operation):
                check(f"{what} query={str(query)[:100]}", method, path, headers, query_string=query)
            check(f"{what} forged token", method, path, {"Authorization": "Bearer forged"})
    problems = [p for p in problems if p]
    assert not problems, f"{len(problems)} bad answers:\n" + "\n".join(problems[:40])
    assert walked > 200
