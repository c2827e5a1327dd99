"""Domain exceptions and the one JSON error shape every endpoint answers with.

Services raise DomainError subclasses; the HTTP edge turns them, and every werkzeug
HTTP error, into {"code", "status", "message", "errors"}.
"""

import logging

from flask import jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule refused the request; carries a stable code for clients."""

    code = "domain_error"
    status = 409

    def __init__(self, message, *, code=None, status=None, errors=None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.errors = errors or {}

    def to_dict(self):
        """Return the error as the API's JSON body."""
        body = {"code": self.code, "status": self.status, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


class Conflict(DomainError):
    code = "conflict"
    status = 409


class InvalidInput(DomainError):
    code = "validation_error"
    status = 422


# Stable codes for plain HTTP errors raised by Flask, werkzeug or flask-smorest.
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "rate_limited",
}


def error_response(status, code, message, errors=None):
    """Build a JSON error response in the one shape the API uses."""
    body = {"code": code, "status": status, "message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    return response


def _handle_domain_error(error):
    return error_response(error.status, error.code, error.message, error.errors)


def _handle_http_exception(error):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("messages")
    message = data.get("message") or error.description or error.name
    code = data.get("code") or _HTTP_CODES.get(status, "http_error")
    if status == 422 and errors:
        message = "Some fields are invalid."
    response = error_response(status, code, message, errors)
    # Keep what the exception says in headers, e.g. Allow on 405 (required by RFC 9110).
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _handle_unexpected(error):
    log.exception("unhandled error")
    return error_response(500, "internal_error", "An unexpected error occurred.")


def register_error_handlers(app):
    """Make every error, expected or not, answer in the API's JSON shape."""
    app.register_error_handler(DomainError, _handle_domain_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
