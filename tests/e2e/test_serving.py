"""The backend serves the built app at /app/ with the caching a service worker needs."""

import pytest


@pytest.fixture
def built_app(app, tmp_path, monkeypatch):
    """Point the app at a small fake build."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>上门服务</title>")
    (tmp_path / "sw.js").write_text("self.addEventListener('fetch', () => {});")
    (tmp_path / "manifest.webmanifest").write_text("{}")
    (tmp_path / "console.html").write_text("<!doctype html><title>客服调度台</title>")
    (tmp_path / "landing.html").write_text("<!doctype html><title>上门服务 landing</title>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    monkeypatch.setitem(app.config, "PWA_DIST", str(tmp_path))
    return app


def test_worker_and_shell_are_never_cached(built_app, client):
    sw = client.get("/app/sw.js")
    assert sw.status_code == 200
    assert sw.headers["Cache-Control"] == "no-cache"
    assert sw.headers["Service-Worker-Allowed"] == "/app/"
    assert "javascript" in sw.mimetype
    shell = client.get("/app/")
    assert shell.headers["Cache-Control"] == "no-cache"
    assert "上门服务" in shell.get_data(as_text=True)


def test_hashed_assets_are_cached_for_good(built_app, client):
    asset = client.get("/app/assets/index-abc123.js")
    assert asset.status_code == 200
    assert "immutable" in asset.headers["Cache-Control"] and "max-age=31536000" in asset.headers["Cache-Control"]


def test_screens_deep_links_get_the_shell_and_manifest_its_type(built_app, client):
    assert "上门服务" in client.get("/app/visit/12").get_data(as_text=True)
    assert client.get("/app/manifest.webmanifest").mimetype == "application/manifest+json"
    assert client.get("/app").headers["Location"].endswith("/app/")


def test_missing_build_says_how_to_build(app, client, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PWA_DIST", str(tmp_path / "nothing"))
    response = client.get("/app/")
    assert response.status_code == 503


def test_the_console_is_served_at_its_own_path_and_the_servers_address_lands_each_role(built_app, client):
    for path in ("/console/", "/console/board"):
        page = client.get(path)
        assert page.status_code == 200 and "客服调度台" in page.get_data(as_text=True)
        assert page.headers["Cache-Control"] == "no-cache"
    assert client.get("/console").headers["Location"].endswith("/console/")
    assert "landing" in client.get("/").get_data(as_text=True)
