"""Browser protections sent with every response: a strict Content-Security-Policy and its friends.

Pages load scripts, styles, images and fonts from this server only; the few inline `<script>` and
`<style>` blocks (the signing page's pad, Swagger UI's start-up) carry a nonce made for that
response, so an injected script never runs. No page may be framed (clickjacking the signing
page), no address leaks through Referer (a signing link carries its secret in the path), and
the signing pages are never stored by a browser or proxy. HSTS belongs at the TLS proxy.
"""

import secrets

from flask import g, request

SIGNING_PAGES = "/sign/"


def csp_nonce() -> str:
    """Return this response's nonce for an inline script or style (templates call csp_nonce())."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def content_security_policy(nonce: str | None) -> str:
    """Return the policy: this origin only, plus the response's nonce when a page asked for one."""
    inline = f" 'nonce-{nonce}'" if nonce else ""
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self'{inline}",
            f"style-src 'self'{inline}",
            # Signatures and photos are drawn from data: and blob: URLs; Swagger UI's icons are data: SVGs.
            "img-src 'self' data: blob:",
            "font-src 'self'",
            "connect-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def add_security_headers(response):
    """Set the browser protections on a response (an after_request hook)."""
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(g.get("csp_nonce"))
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"  # for browsers older than frame-ancestors
    headers["Referrer-Policy"] = "no-referrer"
    if request.path.startswith(SIGNING_PAGES):
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app) -> None:
    """Send the protections with every response and give templates csp_nonce()."""
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
