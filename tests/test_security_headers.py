"""Every response carries the browser protections; inline scripts and styles run only with the response's nonce."""

import re

import pytest

PROTECTIONS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def policy(response) -> dict[str, str]:
    """Return the response's Content-Security-Policy as {directive: sources}."""
    directives = (part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    return {name: sources for name, sources in directives}


def assert_protected(response):
    for header, value in PROTECTIONS.items():
        assert response.headers.get(header) == value, header
    csp = policy(response)
    assert csp["default-src"] == "'self'" and csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'"
    for directive in ("script-src", "style-src"):
        assert "unsafe-inline" not in csp[directive] and "unsafe-eval" not in csp[directive]
        assert csp[directive].startswith("'self'")


def inline_nonces(html: str) -> set[str]:
    """Return the nonces of the page's inline <script> and <style> blocks; fail on one without."""
    blocks = re.findall(r"<(script|style)(\s[^>]*)?>", html)
    inline = [attrs or "" for tag, attrs in blocks if "src=" not in (attrs or "")]
    nonces = {re.search(r'nonce="([^"]+)"', attrs).group(1) if "nonce=" in attrs else None for attrs in inline}
    assert None not in nonces, "an inline block without a nonce"
    return nonces


@pytest.mark.parametrize("path", ["/api/v1/docs", "/verify/00000000-0000-0000-0000-000000000000", "/", "/health"])
def test_pages_and_api_answers_carry_the_protections(client, path):
    assert_protected(client.get(path))


def test_swagger_ui_runs_its_start_up_script_with_this_responses_nonce(client):
    first, second = client.get("/api/v1/docs"), client.get("/api/v1/docs")
    assert first.status_code == 200
    (nonce,) = inline_nonces(first.text)
    assert f"'nonce-{nonce}'" in policy(first)["script-src"]
    assert inline_nonces(second.text) != {nonce}, "a nonce is made for each response"


def test_a_json_answer_is_not_sniffed(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert_protected(response)
