"""The OpenAPI document describes what the server really sends (a client generated from it must work)."""

import json
import re

from backend.visits.definitions import flow_types

TYPES = {"string": str, "integer": int, "object": dict}


def _spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def test_the_error_schema_matches_a_real_error_response(client):
    error = _spec(client)["components"]["schemas"]["Error"]
    body = client.get("/api/v1/work-orders/999999", headers={"Authorization": "Bearer forged"}).get_json()
    assert set(error["required"]) <= set(body)
    for name, value in body.items():
        assert isinstance(value, TYPES[error["properties"][name]["type"]]), (name, value)
    assert isinstance(body["code"], str) and body["status"] == 401


def test_x_pagination_is_declared_as_the_json_text_it_is(client, make_user, auth_headers):
    header = _spec(client)["components"]["headers"]["PAGINATION"]
    assert header["schema"] == {"type": "string"}
    response = client.get("/api/v1/work-orders", headers=auth_headers(make_user("dispatcher")))
    assert isinstance(json.loads(response.headers["X-Pagination"])["total"], int)


def test_the_attachment_upload_declares_its_image_body(client):
    body = _spec(client)["paths"]["/api/v1/attachments/{attachment_id}"]["put"]["requestBody"]
    assert body["required"] is True
    assert set(body["content"]) == {"image/jpeg", "image/png", "image/webp"}


def test_work_order_types_are_published_as_an_enum_from_the_flow_files(client):
    spec = _spec(client)
    assert spec["components"]["schemas"]["WorkOrderCreate"]["properties"]["type"]["enum"] == flow_types()
    assert flow_types() == ["install", "repair"]
    listing = spec["paths"]["/api/v1/work-orders"]["get"]["parameters"]
    assert next(p for p in listing if p["name"] == "type")["schema"]["enum"] == ["install", "repair"]


def test_a_method_not_allowed_says_which_are(client):
    response = client.delete("/api/v1/tariff")
    assert response.status_code == 405 and response.get_json()["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_listing_by_a_type_that_no_flow_defines_is_refused(client, make_user, auth_headers):
    response = client.get("/api/v1/work-orders?type=AAA", headers=auth_headers(make_user("dispatcher")))
    assert response.status_code == 422 and "type" in response.get_json()["errors"]["query"]


def _request_text_properties(spec):
    """Yield (where, property) for every property a request may carry: bodies (nested too) and query parameters."""
    schemas = spec["components"]["schemas"]

    def walk(where, schema, seen):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                yield from walk(name, schemas[name], seen | {name})
            return
        yield where, schema
        for field, prop in schema.get("properties", {}).items():
            yield from walk(f"{where}.{field}", prop, seen)
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                yield from walk(f"{where}[]", schema[key], seen)
        for key in ("oneOf", "anyOf", "allOf"):
            for option in schema.get(key, []):
                yield from walk(where, option, seen)

    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if method == "parameters":  # the path's own, ids
                continue
            for media in operation.get("requestBody", {}).get("content", {}).values():
                yield from walk(f"{method} {path}", media["schema"], frozenset())
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    yield f"{method} {path} ?{parameter['name']}", parameter["schema"]


def test_every_request_text_publishes_that_it_cannot_hold_nul(client):
    # Every request's text with a NUL is refused (400 invalid_text); a client or fuzzer reading the
    # document must know, or it sends "valid" text and gets a refusal the document never stated.
    allowing_nul = [
        where
        for where, prop in _request_text_properties(_spec(client))
        if prop.get("type") == "string"
        and not prop.get("readOnly")
        and not {"enum", "format"} & set(prop)
        and (not prop.get("pattern") or re.search(prop["pattern"], "见\x00面"))
    ]
    assert allowing_nul == []
