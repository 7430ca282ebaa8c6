"""The one JSON error shape every bridge endpoint answers with.

``{"ok": false, "error": {"code": "<stable_code>", "message": "<what to do>"}}``
plus optional ``details``. Codes are stable: programs branch on them.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class BridgeError(Exception):
    """An error a client can act on; rendered as the JSON error shape with ``status``."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"ok": False, "error": error}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The error shape as a dict, for code that builds replies without raising."""
    return BridgeError(message, code=code, details=details).to_dict()


_HTTP_CODES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorized", "Authentication is required."),
    403: ("forbidden", "This action is not allowed."),
    404: ("not_found", "No such endpoint. See the README for the bridge's endpoints."),
    405: ("method_not_allowed", "This endpoint does not accept that HTTP method."),
    413: ("payload_too_large", "The request body is larger than this endpoint accepts."),
    415: ("unsupported_media_type", "Send the body as application/json."),
}


def register_error_handlers(app: Flask) -> None:
    """Every error, expected or not, leaves as the JSON shape; never a stack trace."""

    @app.errorhandler(BridgeError)
    def _bridge_error(exc: BridgeError):  # type: ignore[no-untyped-def]
        return jsonify(exc.to_dict()), exc.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        status = exc.code or 500
        code, message = _HTTP_CODES.get(status, ("http_error", exc.description or "HTTP error."))
        response = jsonify(error_body(code, message))
        allowed = getattr(exc, "valid_methods", None)
        if allowed:  # a 405 names what is allowed (RFC 9110)
            response.headers["Allow"] = ", ".join(allowed)
        return response, status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error")
        body = error_body(
            "internal_error", "The bridge hit an unexpected error; it is logged. Retry later."
        )
        return jsonify(body), 500
