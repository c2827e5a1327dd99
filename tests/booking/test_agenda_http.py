"""The agenda over HTTP: its body is what the schema documents, and it is never stale."""

import os
import shutil
from datetime import UTC

import pytest

from backend.booking import services
from backend.booking.schemas import AgendaSchema
from backend.booking.services import book
from backend.extensions import db
from backend.visits import definitions
from tests.factories import make_customer, make_order, window


def _agenda(client, technician, auth_headers, day):
    response = client.get(f"/api/v1/me/agenda?date={day}", headers=auth_headers(technician))
    assert response.status_code == 200
    return response.get_json()


def test_agenda_body_is_what_the_schema_documents(client, make_user, auth_headers):
    dispatcher, me = make_user("dispatcher"), make_user("technician")
    customer = make_customer(name="张伟", title="张先生", phones=["13800000001", "059187654321"], lat=26.08, lng=119.3)
    for hour, order in ((14, make_order(dispatcher, customer)), (9, make_order(dispatcher, type="install"))):
        book(dispatcher, order.id, technician_id=me.id, starts_at=window(hour)[0], ends_at=window(hour)[1])
    day = window(9)[0].date()
    body = _agenda(client, me, auth_headers, day)
    documented = AgendaSchema().dump(services.agenda(me, day))
    assert body.pop("server_time") and documented.pop("server_time")
    assert body == documented
    assert [v["customer"]["title"] for v in body["visits"]] == [None, "张先生"]


def test_next_agenda_shows_a_reschedule_a_status_change_and_a_cancellation(client, make_user, auth_headers):
    dispatcher, me = make_user("dispatcher"), make_user("technician")
    order = make_order(dispatcher)
    book(dispatcher, order.id, technician_id=me.id, starts_at=window(9)[0], ends_at=window(9)[1])
    day = window(9)[0].date()
    [visit] = _agenda(client, me, auth_headers, day)["visits"]
    assert visit["appointment"]["starts_at"] == window(9)[0].astimezone(UTC).isoformat()

    book(
        dispatcher,
        order.id,
        technician_id=me.id,
        starts_at=window(15)[0],
        ends_at=window(15)[1],
        requested_by="customer",
        reason="白天不在家",
    )
    [visit] = _agenda(client, me, auth_headers, day)["visits"]
    assert visit["appointment"]["starts_at"] == window(15)[0].astimezone(UTC).isoformat()

    moved = client.post(f"/api/v1/work-orders/{order.id}/status", headers=auth_headers(me), json={"to": "en_route"})
    assert moved.status_code == 200
    [visit] = _agenda(client, me, auth_headers, day)["visits"]
    assert visit["work_order"]["status"] == "en_route"

    cancelled = client.post(
        f"/api/v1/work-orders/{order.id}/status",
        headers=auth_headers(dispatcher),
        json={"to": "cancelled", "reason": "客户取消"},
    )
    assert cancelled.status_code == 200
    assert _agenda(client, me, auth_headers, day)["visits"] == []


@pytest.fixture
def flows_copy(app, tmp_path):
    target = tmp_path / "flows"
    shutil.copytree(definitions.DEFAULT_FLOWS_DIR, target)
    app.config["FLOWS_DIR"] = str(target)
    yield target
    app.config.pop("FLOWS_DIR")


def test_next_agenda_carries_an_edited_flow(client, make_user, auth_headers, flows_copy):
    me = make_user("technician")
    day = window(9)[0].date()
    assert "一块新垫布" not in str(_agenda(client, me, auth_headers, day)["flows"]["install"])
    path = flows_copy / "install.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("一块垫布", "一块新垫布"), encoding="utf-8")
    later = path.stat().st_mtime_ns + 1_000_000_000  # a new mtime even on a coarse-grained file system
    os.utime(path, ns=(later, later))
    assert "一块新垫布" in str(_agenda(client, me, auth_headers, day)["flows"]["install"])


@pytest.mark.committed
def test_agenda_hands_its_connection_back_ready_for_transactions(client, make_user, auth_headers):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the agenda reads without a transaction on PostgreSQL only")
    headers = auth_headers(make_user("technician"))
    db.session.remove()  # like a fresh request: the agenda opens its own connection
    assert client.get("/api/v1/me/agenda", headers=headers).status_code == 200
    assert db.session.connection().connection.dbapi_connection.autocommit  # read without BEGIN
    db.session.remove()
    idle = [db.engine.connect() for _ in range(db.engine.pool.checkedin())]
    try:
        assert idle and not any(c.connection.dbapi_connection.autocommit for c in idle)
    finally:
        for connection in idle:
            connection.close()
