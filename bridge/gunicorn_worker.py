"""gunicorn's threaded worker, answering what gunicorn itself refuses in the one JSON shape.

Requests gunicorn cannot parse (a negative ``Content-Length``, ``Content-Length`` beside
``Transfer-Encoding: chunked``, control bytes in a header, a garbage request line...) never
reach the app: gunicorn's worker answers them from ``handle_error`` with an HTML page. This
worker overrides exactly that method, the one gunicorn offers for it, and answers
``{"ok": false, "error": {"code", "message"}}`` with a status and a message that says what
to send. The log line names the refusal's code and gunicorn's error class only: gunicorn's
own message quotes the request line (an SSO link carries a token) and header values.

``bridge.gunicorn_conf`` selects it (``worker_class``); nginx, in front in production,
refuses most of these itself with the same shape (config/nginx/otwa-bridge-edge.conf).
"""

from __future__ import annotations

import json
import ssl
from typing import Any

from gunicorn import util
from gunicorn.http import errors
from gunicorn.workers.gthread import ThreadWorker

from bridge.errors import error_body

FRAMING_HEADERS = {"CONTENT-LENGTH", "TRANSFER-ENCODING"}
FRAMING = (
    "The request's framing is malformed: send one Content-Length of 0 or more with exactly "
    "that many bytes, or Transfer-Encoding: chunked alone; never both."
)


def _named(*names: str) -> tuple[type[BaseException], ...]:
    """gunicorn's error classes by name (older gunicorns lack some)."""
    return tuple(getattr(errors, name) for name in names if hasattr(errors, name))


# (error classes, status, reason, code, message), the first match wins.
_REFUSALS: list[tuple[tuple[type[BaseException], ...], int, str, str, str]] = [
    (
        _named("InvalidResponseHeader", "InvalidResponseHeaderName"),
        500,
        "Internal Server Error",
        "internal_error",
        "The bridge hit an unexpected error; it is logged. Retry later.",
    ),
    (
        _named("LimitRequestLine"),
        414,
        "URI Too Long",
        "uri_too_long",
        "The request line is too long: the bridge's URLs are short.",
    ),
    (
        _named("LimitRequestHeaders"),
        431,
        "Request Header Fields Too Large",
        "headers_too_large",
        "Too many or too large request headers: send only the headers the request needs.",
    ),
    (
        _named("UnsupportedTransferCoding"),
        501,
        "Not Implemented",
        "unsupported_transfer_coding",
        "Only Transfer-Encoding: chunked is understood; send Content-Length instead.",
    ),
    (
        _named("ExpectationFailed"),
        417,
        "Expectation Failed",
        "expectation_failed",
        "Only 'Expect: 100-continue' is understood.",
    ),
    (
        (*_named("ForbiddenProxyRequest"), ssl.SSLError),
        403,
        "Forbidden",
        "forbidden",
        "This connection is not allowed.",
    ),
    (
        _named("InvalidChunkSize", "ChunkMissingTerminator", "InvalidChunkExtension"),
        400,
        "Bad Request",
        "malformed_request",
        FRAMING,
    ),
    (
        _named("InvalidRequestLine", "InvalidRequestMethod", "InvalidHTTPVersion"),
        400,
        "Bad Request",
        "malformed_request",
        "The request line is malformed: send 'METHOD /path HTTP/1.1' in plain ASCII.",
    ),
    (
        _named("InvalidHeaderName", "InvalidHeader", "ObsoleteFolding", "InvalidSchemeHeaders"),
        400,
        "Bad Request",
        "malformed_request",
        "A request header is malformed: names are letters, digits and '-', values hold no "
        "control characters, each header on one line.",
    ),
    (
        (errors.ParseException,),
        400,
        "Bad Request",
        "malformed_request",
        "The request is not valid HTTP/1.1.",
    ),
]


def refusal(exc: BaseException) -> tuple[int, str, str, str]:
    """(status, reason, code, message) for an error gunicorn raised while reading a request."""
    for classes, status, reason, code, message in _REFUSALS:
        if classes and isinstance(exc, classes):
            if status == 400 and str(getattr(exc, "hdr", "")).upper() in FRAMING_HEADERS:
                message = FRAMING
            return status, reason, code, message
    return 500, "Internal Server Error", "internal_error", _REFUSALS[0][4]


def json_error(status: int, reason: str, code: str, message: str) -> bytes:
    """A complete HTTP/1.1 response carrying the JSON error shape; the connection closes."""
    body = json.dumps(error_body(code, message)).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "Cache-Control: no-store\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


class JsonErrorThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker whose own refusals are JSON (module docstring)."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        status, reason, code, message = refusal(exc)
        ip = (addr or ("unix", -1))[0]
        if status >= 500:
            self.log.exception("Error handling request (%s)", type(exc).__name__)
        else:
            self.log.warning(
                "Refused a malformed request from ip=%s: %s (%s)", ip, code, type(exc).__name__
            )
        try:
            util.write_nonblock(client, json_error(status, reason, code, message))
        except Exception:  # noqa: BLE001 - the client is gone; nothing to tell
            self.log.debug("Failed to send error message.")
