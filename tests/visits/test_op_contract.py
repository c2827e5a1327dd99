"""The app's own op builders against the op schemas the server publishes in its OpenAPI document."""

import json
import subprocess
from pathlib import Path

import jsonschema_rs
import pytest
from schemathesis.specs.openapi.converter import to_json_schema

PWA = Path(__file__).resolve().parents[2] / "pwa"


@pytest.fixture
def published(client):
    """Return (components as JSON Schema, the discriminator's mapping type -> $ref) of POST /sync."""
    spec = client.get("/api/v1/openapi.json").get_json()
    components = to_json_schema({"components": spec["components"]}, nullable_keyword="nullable")
    ops = spec["components"]["schemas"]["SyncRequest"]["properties"]["ops"]["items"]
    return components, ops["discriminator"]["mapping"]


def _validator(components, ref):
    return jsonschema_rs.validator_for({**components, "$ref": ref})


@pytest.fixture(scope="module")
def built_bodies():
    """Return the /sync request bodies the app sends for every action it records (run in Node)."""
    output = subprocess.run(
        ["node", "test/contract/built-ops.mjs"], cwd=PWA, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(output.stdout)


def test_every_op_type_is_published_with_its_payload_schema(published):
    from backend.visits.engine import OPS

    components, mapping = published
    assert set(mapping) == set(OPS)
    data = components["components"]["schemas"][mapping["operate.record"].rsplit("/", 1)[1]]["properties"]["data"]
    assert data["$ref"].endswith("/OperateData")


def test_the_apps_ops_match_the_published_schemas(published, built_bodies):
    components, mapping = published
    ops = [op for body in built_bodies for op in body["ops"]]
    # Every op type is in the sample; checklist answers carry each kind of value, and a clearing null.
    assert {op["type"] for op in ops} == set(mapping)
    request = _validator(components, "#/components/schemas/SyncRequest")
    for body in built_bodies:
        assert not list(request.iter_errors(body)), [str(e) for e in request.iter_errors(body)]
    for op in ops:
        own = _validator(components, mapping[op["type"]])
        assert own.is_valid(op), (op, [str(e) for e in own.iter_errors(op)])


def test_the_published_schemas_refuse_what_the_server_refuses(published, built_bodies):
    components, mapping = published
    op = next(op for body in built_bodies for op in body["ops"] if op["type"] == "operate.record")
    own = _validator(components, mapping["operate.record"])
    assert own.is_valid(op)
    assert not own.is_valid({**op, "data": {**op["data"], "fees": [{"tariff_code": "F_CONNECTOR", "qty": 1e17}]}})
    assert not own.is_valid({**op, "data": {**op["data"], "surprise": 1}})
    assert not own.is_valid({**op, "type": "visit.complete"})
