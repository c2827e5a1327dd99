"""The reports API: who may read it, the shapes it answers with, and query parameters refused in words."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

RANGE = {"from": "2026-11-01", "to": "2026-11-30"}
TABLES = ("overview", "series", "technicians", "rules", "orders")
EXTRA = {"series": {"kpi": "on_time"}, "orders": {"measure": "late_without_notice"}}


@pytest.fixture
def manager(make_user):
    return make_user("manager")


def test_a_technician_cannot_read_reports(client, make_user, auth_headers):
    technician = make_user("technician")
    for table in TABLES:
        response = client.get(
            f"/api/v1/reports/{table}", query_string={**RANGE, **EXTRA.get(table, {})}, headers=auth_headers(technician)
        )
        assert response.status_code == 403, table
        assert response.json["code"] == "forbidden"
    assert (
        client.get(
            "/api/v1/reports/monthly.pdf",
            query_string={"branch": "福州", "month": "2026-11"},
            headers=auth_headers(technician),
        ).status_code
        == 403
    )


def test_no_token_is_401(client):
    assert client.get("/api/v1/reports/overview", query_string=RANGE).status_code == 401


@pytest.mark.parametrize("role", ["manager", "dispatcher"])
def test_managers_and_dispatchers_read_every_table(client, make_user, auth_headers, role):
    user = make_user(role)
    for table in TABLES:
        response = client.get(
            f"/api/v1/reports/{table}", query_string={**RANGE, **EXTRA.get(table, {})}, headers=auth_headers(user)
        )
        assert response.status_code == 200, (table, response.json)


def test_an_empty_range_has_no_figures_and_no_zeros(client, manager, auth_headers):
    body = client.get("/api/v1/reports/overview", query_string=RANGE, headers=auth_headers(manager)).json
    figures = {f["kpi"]: f for f in body["headline"]}
    assert figures["on_time"]["value"] is None and figures["on_time"]["denominator"] == 0
    assert figures["visits"]["value"] == 0
    assert body["previous_from"] == "2026-10-02" and body["previous_to"] == "2026-10-31"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-11-30", "to": "2026-11-01"}, "to"),
        ({"from": "2026-01-01", "to": "2027-06-01"}, "to"),
        ({"from": "2026-13-01", "to": "2026-11-01"}, "from"),
        ({"to": "2026-11-01"}, "from"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "from"),
        ({**RANGE, "technician_id": "x"}, "technician_id"),
    ],
)
def test_bad_ranges_are_422_naming_the_field(client, manager, auth_headers, params, field):
    response = client.get("/api/v1/reports/overview", query_string=params, headers=auth_headers(manager))
    assert response.status_code == 422
    assert field in response.json["errors"]["query"]


def test_a_visit_ended_through_the_sync_fills_the_rollup(client, make_order, technician, upload, auth_headers):
    from backend.extensions import db
    from backend.reports.models import KpiRollup
    from tests.visits.conftest import WINDOW_START, as_sync_ops, whole_visit_ops

    order = make_order("repair")
    ops = as_sync_ops(order, whole_visit_ops("repair", lambda data=None: upload(technician)))
    response = client.post("/api/v1/sync", json={"device_id": "d1", "ops": ops}, headers=auth_headers(technician))
    assert all(r["status"] == "applied" for r in response.json["results"]), response.json
    row = db.session.query(KpiRollup).one()
    assert (row.day, row.technician_id, row.work_order_type) == (WINDOW_START.date(), technician.id, "repair")
    assert row.counts["visits"] == 1 and row.counts["first_time_fix"] == 1
    assert row.counts["arrival.early_5_10"] == 1  # seven minutes early
    assert row.counts["rating.overall.5"] == 1 and row.counts["lead.broadband_upgrade.high"] == 1


def _whole_visit(make_order, technician, upload):
    from tests.visits.conftest import as_sync_ops, whole_visit_ops

    return as_sync_ops(make_order("repair"), whole_visit_ops("repair", lambda data=None: upload(technician)))


def test_with_redis_the_figures_are_refreshed_by_a_worker_not_in_the_sync(
    client, make_order, technician, upload, auth_headers, redis_queue
):
    from backend.extensions import db
    from backend.jobs import run_worker
    from backend.reports.models import KpiRollup

    ops = _whole_visit(make_order, technician, upload)
    response = client.post("/api/v1/sync", json={"device_id": "d1", "ops": ops}, headers=auth_headers(technician))
    assert all(r["status"] == "applied" for r in response.json["results"]), response.json
    assert db.session.query(KpiRollup).count() == 0  # the phone did not wait for the figures
    run_worker(burst=True)
    db.session.expire_all()
    assert db.session.query(KpiRollup).one().counts["visits"] == 1


def test_a_refresh_that_fails_costs_the_figures_never_the_visit(
    client, make_order, technician, upload, auth_headers, monkeypatch
):
    from backend.extensions import db
    from backend.reports import rollups
    from backend.reports.models import KpiRollup
    from backend.workorders.models import WorkOrder

    def broken(cells):
        raise RuntimeError("rollups table unreachable")

    monkeypatch.setattr(rollups, "refresh_cells", broken)
    ops = _whole_visit(make_order, technician, upload)
    response = client.post("/api/v1/sync", json={"device_id": "d1", "ops": ops}, headers=auth_headers(technician))
    assert all(r["status"] == "applied" for r in response.json["results"]), response.json
    assert db.session.get(WorkOrder, ops[0]["work_order_id"]).status == "completed"
    assert db.session.query(KpiRollup).count() == 0
    monkeypatch.undo()
    rollups.record_ended_visits({ops[0]["work_order_id"]})  # what `flask reports rebuild` repairs
    assert db.session.query(KpiRollup).one().counts["visits"] == 1


query_values = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.dates().map(str),
    st.integers().map(str),
    st.sampled_from(["2026-11-01", "2026-02-30", "9999-12-31", "0001-01-01", "", "2026-11-01T00:00", "-1"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    table=st.sampled_from(["overview", "series", "technicians", "rules", "orders", "overview.csv", "orders.xlsx"]),
    params=st.fixed_dictionaries(
        {},
        optional={
            name: query_values
            for name in ("from", "to", "branch", "technician_id", "kpi", "bucket", "bucket_start", "measure", "sort")
        },
    ),
)
def test_fuzzed_query_parameters_are_answered_never_500(client, manager, auth_headers, table, params):
    query = {k: v for k, v in params.items() if v is not None}
    response = client.get(f"/api/v1/reports/{table}", query_string=query, headers=auth_headers(manager))
    # 400 invalid_text: text no database can store (NUL, half a surrogate pair), refused for every endpoint.
    assert response.status_code in (200, 400, 422), (query, response.data[:300])
    if response.status_code in (400, 422):
        assert response.json["errors"]["query"]


@pytest.mark.parametrize("table", ["overview", "technicians", "orders"])
def test_a_nul_character_in_a_filter_is_refused_not_a_500(client, manager, auth_headers, table):
    query = {**RANGE, "branch": "福\x00州", "measure": "visits"}
    response = client.get(f"/api/v1/reports/{table}", query_string=query, headers=auth_headers(manager))
    assert (response.status_code, response.json["code"]) == (400, "invalid_text")
    assert "branch" in response.json["errors"]["query"]


def _numbers(client, headers, **query):
    response = client.get("/api/v1/reports/orders", query_string={**RANGE, **query}, headers=headers)
    assert response.status_code == 200, response.json
    return [row["number"] for row in response.json]


def test_drill_down_by_kpi_measure_and_bucket(client, manager, auth_headers, november):
    headers = auth_headers(manager)
    assert _numbers(client, headers, kpi="late_without_notice") == ["WO-202611-O3"]
    # An average's records are those scored: the 8 rated visits, not the declined one.
    assert len(_numbers(client, headers, kpi="rating_overall")) == 8
    week = {"bucket": "week", "bucket_start": "2026-11-16"}
    assert _numbers(client, headers, measure="first_time_fix", **week) == ["WO-202611-O5", "WO-202611-O6"]
    assert _numbers(client, headers, measure="visits", branch="厦门") == ["WO-202611-O8"]
    # The first week's bucket starts before the range: only the range's days are in it.
    first = _numbers(client, headers, measure="visits", bucket="week", bucket_start="2026-10-26")
    assert first == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"measure": "visits", "bucket": "week", "bucket_start": "2026-11-17"}, "bucket_start"),
        ({"measure": "visits", "bucket": "week"}, "bucket_start"),
        ({"measure": "visits", "kpi": "on_time"}, "measure"),
        ({}, "measure"),
        ({"measure": "nonsense.x"}, "measure"),
    ],
)
def test_drill_down_parameters_refused_by_name(client, manager, auth_headers, query, field):
    response = client.get("/api/v1/reports/orders", query_string={**RANGE, **query}, headers=auth_headers(manager))
    assert response.status_code == 422 and field in response.json["errors"]["query"], response.json
