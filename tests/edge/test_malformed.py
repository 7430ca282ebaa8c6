"""Malformed HTTP gets the one JSON error shape, from gunicorn alone (its own refusals,
through bridge.gunicorn_worker) and through nginx (its error pages), and changes nothing.
Each case is raw bytes on a socket: no HTTP library would send them."""

from __future__ import annotations

import json

import pytest

from bridge.gunicorn_worker import refusal
from bridge.processes import NginxProcess
from tests.edge.conftest import Web, parse_reply, raw_exchange

HOOK = b"POST /v1/hooks/whmcs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"

# name -> (raw request, status, code): the same from gunicorn alone and through nginx.
CASES = {
    "negative Content-Length": (
        HOOK + b"Content-Length: -5\r\n\r\nhello",
        400,
        "malformed_request",
    ),
    "Content-Length and chunked": (
        HOOK + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
        "malformed_request",
    ),
    "two Content-Lengths": (
        HOOK + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        400,
        "malformed_request",
    ),
    "control byte in a header value": (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Panel: a\x01b\r\n\r\n",
        400,
        "malformed_request",
    ),
    "control byte in a header name": (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX\x01Panel: ab\r\n\r\n",
        400,
        "malformed_request",
    ),
    "NUL in a header": (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Panel: a\x00b\r\n\r\n",
        400,
        "malformed_request",
    ),
    "garbage request line": (b"GARBAGE\r\n\r\n", 400, "malformed_request"),
    "unknown transfer coding": (
        HOOK + b"Transfer-Encoding: gzip\r\n\r\n",
        {"gunicorn": 400, "nginx": 501},
        {"gunicorn": "malformed_request", "nginx": "unsupported_transfer_coding"},
    ),
    "announced body over the limit": (
        HOOK + b"Content-Length: 100000\r\n\r\n",
        413,
        "payload_too_large",
    ),
    "request line too long": (
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        414,
        "uri_too_long",
    ),
}


def _expect(value: object, edge: str) -> object:
    return value[edge] if isinstance(value, dict) else value


def _check(raw: bytes, status: int, code: str) -> None:
    got, headers, body = parse_reply(raw)
    assert got == status, raw[:400]
    assert headers["content-type"] == "application/json", headers
    reply = json.loads(body)
    assert reply["ok"] is False and reply["error"]["code"] == code, reply
    assert set(reply["error"]) >= {"code", "message"} and reply["error"]["message"]
    assert b"<html" not in raw.lower()


@pytest.mark.parametrize("case", CASES)
def test_gunicorn_alone_answers_json(web: Web, case: str) -> None:
    data, status, code = CASES[case]
    before = web.hooks_recorded()
    _check(raw_exchange(web.port, data), _expect(status, "gunicorn"), _expect(code, "gunicorn"))
    assert web.hooks_recorded() == before


@pytest.mark.parametrize("case", CASES)
def test_nginx_answers_json(web: Web, nginx: NginxProcess, case: str) -> None:
    data, status, code = CASES[case]
    before = web.hooks_recorded()
    _check(raw_exchange(nginx.port, data), _expect(status, "nginx"), _expect(code, "nginx"))
    assert web.hooks_recorded() == before


def test_header_block_too_large_is_json_through_nginx(web: Web, nginx: NginxProcess) -> None:
    raw = raw_exchange(
        nginx.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 20000 + b"\r\n\r\n"
    )
    _check(raw, 400, "headers_too_large")


def test_gunicorn_refusals_never_quote_the_request(web: Web) -> None:
    """gunicorn's own message would quote the request line; an SSO token must not reach
    its log through a malformed request."""
    token = "bsso_CANARYtokenInABadRequestLine"
    raw = raw_exchange(web.port, f"GET /sso/{token} HTTP/1.1 extra\r\nHost: x\r\n\r\n".encode())
    _check(raw, 400, "malformed_request")
    assert token.encode() not in raw
    assert token not in web.process.log()


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("InvalidHeader", 400, "malformed_request"),
        ("LimitRequestLine", 414, "uri_too_long"),
        ("LimitRequestHeaders", 431, "headers_too_large"),
        ("UnsupportedTransferCoding", 501, "unsupported_transfer_coding"),
        ("InvalidChunkSize", 400, "malformed_request"),
    ],
)
def test_every_gunicorn_error_class_has_a_refusal(name: str, status: int, code: str) -> None:
    from gunicorn.http import errors

    cls = getattr(errors, name)
    exc = cls.__new__(cls)  # constructors differ; only the class matters here
    assert refusal(exc)[0] == status and refusal(exc)[2] == code


def test_anything_else_is_a_500_in_the_shape() -> None:
    assert refusal(RuntimeError("boom"))[:3] == (500, "Internal Server Error", "internal_error")
