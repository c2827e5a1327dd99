def test_health_reports_database_and_fast_form_rendering(client):
    body = client.get("/health").get_json()
    assert body["status"] == "ok"
    assert body["database"] in ("sqlite", "postgresql")
    assert body["forms"]["harfbuzz_subset"] is True and body["forms"]["subset_fonts_missing"] == []


def test_health_says_degraded_without_harfbuzz_subsetting(client, monkeypatch):
    from backend.forms import fonts

    monkeypatch.setattr(fonts, "harfbuzz_subset_available", lambda: False)
    body = client.get("/health").get_json()
    assert body["status"] == "degraded" and body["forms"]["harfbuzz_subset"] is False
