"""Serve the built front-ends: the technician app under /app/, the office console under /console/.

Pages and the worker are never cached; content-hashed assets (shared by both) for a year.
"""
import os

from flask import Blueprint, abort, current_app, redirect, send_from_directory

bp = Blueprint("pwa", __name__)

YEAR = 365 * 24 * 3600
MIMETYPES = {".webmanifest": "application/manifest+json", ".js": "text/javascript"}


def _dist():
    """Return the directory of the built app (config `PWA_DIST`, default `pwa/dist`)."""
    default = os.path.join(os.path.dirname(current_app.root_path), "pwa", "dist")
    dist = os.path.abspath(current_app.config.get("PWA_DIST") or default)
    if not os.path.isfile(os.path.join(dist, "index.html")):
        abort(503, description="The app is not built: run `make pwa`.")
    return dist


def _send(filename, cache_control):
    """Send one file of the built app with the given Cache-Control."""
    mimetype = MIMETYPES.get(os.path.splitext(filename)[1])
    response = send_from_directory(_dist(), filename, mimetype=mimetype, max_age=None, conditional=True)
    response.headers["Cache-Control"] = cache_control
    return response


@bp.get("/app")
def app_root():
    """Send the bare path to the app's scope."""
    return redirect("/app/", code=301)


@bp.get("/app/")
def index():
    """Serve the app shell; revalidated on every load so a new version is found."""
    return _send("index.html", "no-cache")


@bp.get("/app/sw.js")
def service_worker():
    """Serve the service worker, never cached by HTTP so updates are seen at once."""
    response = _send("sw.js", "no-cache")
    response.headers["Service-Worker-Allowed"] = "/app/"
    return response


@bp.get("/app/assets/<path:filename>")
def asset(filename):
    """Serve a content-hashed asset: its name changes with its content, so cache it for good."""
    return _send(os.path.join("assets", filename), f"public, max-age={YEAR}, immutable")


@bp.get("/app/<path:filename>")
def other(filename):
    """Serve the manifest and icons; any other path is a screen of the app, so serve the shell."""
    if os.path.isfile(os.path.join(_dist(), filename)):
        return _send(filename, "no-cache")
    return _send("index.html", "no-cache")


@bp.get("/")
def landing():
    """Send a person to where they work (their last sign-in on this browser: the app or the console)."""
    return _send("landing.html", "no-cache")


@bp.get("/console")
def console_root():
    """Send the bare path to the console."""
    return redirect("/console/", code=301)


@bp.get("/console/")
@bp.get("/console/<path:screen>")
def console(screen=None):
    """Serve the office console's page; its screens live in the URL fragment."""
    return _send("console.html", "no-cache")
