"""Proof 4, bad input over the real gunicorn process: every refusal is the right 4xx in the
one JSON error shape (``{"ok": false, "error": {"code", "message"[, "details"]}}``) and
changes nothing: no row in any table (webhook_events, operations, jobs, services), no
sandbox server, not even one Otwa request.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bridge import signing
from tests.e2e.conftest import StackFactory
from tests.support.e2e import E2EStack, whmcs_body
from tests.support.processes import Sandbox

LIMIT = 65536  # BRIDGE_HOOK_MAX_BYTES default


@pytest.fixture
def stack(make_stack: StackFactory) -> Iterator[E2EStack]:
    stack = make_stack()
    stack.start(workers=1)
    yield stack


def _unchanged(stack: E2EStack, sandbox: Sandbox) -> dict[str, Any]:
    state = sandbox.state()
    return {
        "tables": stack.table_counts(),
        "servers": len(state["servers"]),
        "otwa_requests": state["requests"]["total"],
    }


def _assert_refused(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["ok"] is False
    assert set(body) == {"ok", "error"}, body
    error = body["error"]
    assert error["code"] == code, body
    assert isinstance(error["message"], str) and error["message"], body
    assert set(error) <= {"code", "message", "details"}, body
    return body


def _raw(body: Any) -> bytes:
    return json.dumps(body).encode()


def _signed(stack: E2EStack, raw: bytes, **kw: Any) -> requests.Response:
    return stack.post(raw, stack.signed_headers(raw, "msg_bad" + str(time.monotonic_ns()), **kw))


def _cases(stack: E2EStack) -> list[tuple[str, int, str, Any]]:
    """(name, status, code, thunk sending the request)."""
    good = _raw(whmcs_body("CreateAccount", 501))
    other = signing.generate_secret()

    def headers_without(name: str) -> dict[str, str]:
        h = stack.signed_headers(good, "msg_partial")
        del h[name]
        return h

    def tampered() -> requests.Response:
        h = stack.signed_headers(good, "msg_tampered")
        return stack.post(good.replace(b"501", b"502"), h)

    def chunked_oversized() -> requests.Response:
        # No Content-Length: the limit must hold while reading the stream.
        big = _raw({**whmcs_body("CreateAccount", 503), "pad": "x" * (LIMIT + 10)})
        h = stack.signed_headers(big, "msg_chunked")
        return requests.post(
            f"{stack.url}/v1/hooks/whmcs",
            data=iter([big[i : i + 4096] for i in range(0, len(big), 4096)]),
            headers=h,
            timeout=20,
        )

    oversized = _raw({**whmcs_body("CreateAccount", 504), "pad": "x" * (LIMIT + 10)})
    return [
        ("unsigned", 401, "missing_signature_headers", lambda: stack.post(good, {})),
        (
            "no signature header",
            401,
            "missing_signature_headers",
            lambda: stack.post(good, headers_without("webhook-signature")),
        ),
        (
            "no timestamp header",
            401,
            "missing_signature_headers",
            lambda: stack.post(good, headers_without("webhook-timestamp")),
        ),
        (
            "signed with another secret",
            401,
            "invalid_signature",
            lambda: _signed(stack, good, secret=other),
        ),
        ("body changed after signing", 401, "invalid_signature", tampered),
        (
            "stale timestamp",
            401,
            "stale_timestamp",
            lambda: _signed(stack, good, timestamp=int(time.time()) - 305),
        ),
        (
            "timestamp from the future",
            401,
            "stale_timestamp",
            lambda: _signed(stack, good, timestamp=int(time.time()) + 305),
        ),
        ("oversized", 413, "payload_too_large", lambda: _signed(stack, oversized)),
        ("oversized, chunked", 413, "payload_too_large", chunked_oversized),
        ("malformed JSON", 400, "malformed_json", lambda: _signed(stack, b'{"action": "Crea')),
        ("not UTF-8", 400, "malformed_json", lambda: _signed(stack, b'{"action": "\xff\xfe"}')),
        (
            "unknown action",
            400,
            "unknown_action",
            lambda: _signed(stack, _raw(whmcs_body("SelfDestruct", 505))),
        ),
        (
            "body not matching the schema",
            400,
            "invalid_body",
            lambda: _signed(stack, _raw({"action": "CreateAccount", "pid": 1})),
        ),
        (
            "power without params.action",
            400,
            "invalid_body",
            lambda: _signed(stack, _raw(whmcs_body("power", 506))),
        ),
        (
            "unknown product",
            422,
            "unknown_product",
            lambda: _signed(stack, _raw(whmcs_body("CreateAccount", 507, pid=999))),
        ),
        (
            "unknown option value",
            422,
            "unmapped_option",
            lambda: _signed(
                stack,
                _raw(
                    {
                        **whmcs_body("CreateAccount", 508),
                        "configoptions": {"Operating System": "4|Windows 95"},
                    }
                ),
            ),
        ),
        (
            "unknown panel",
            404,
            "unknown_panel",
            lambda: stack.post(good, stack.signed_headers(good, "msg_panel"), panel="cpanel"),
        ),
    ]


def test_every_refusal_is_the_json_error_shape_and_changes_nothing(
    stack: E2EStack, sandbox: Sandbox
) -> None:
    before = _unchanged(stack, sandbox)
    seen = []
    for name, status, code, send in _cases(stack):
        body = _assert_refused(send(), status, code)
        seen.append((name, code))
        if code == "invalid_body":
            assert body["error"]["details"] and {"path", "message"} <= set(
                body["error"]["details"][0]
            )
        assert _unchanged(stack, sandbox) == before, name
    assert len(seen) == 17
    # The web tier is still healthy after all of that.
    assert requests.get(f"{stack.url}/healthz", timeout=5).status_code == 200


def test_replays_of_refused_and_accepted_hooks(stack: E2EStack, sandbox: Sandbox) -> None:
    # A refused hook leaves no trace: the same webhook-id is refused again the same way...
    bad = _raw(whmcs_body("CreateAccount", 601, pid=999))
    for _ in range(2):
        _assert_refused(
            stack.post(bad, stack.signed_headers(bad, "msg_fixme")), 422, "unknown_product"
        )
    assert stack.table_counts()["webhook_events"] == 0
    # ...and once the panel fixes it, that webhook-id is accepted.
    fixed = stack.send(whmcs_body("CreateAccount", 601), webhook_id="msg_fixme")
    assert fixed.status in (200, 202) and fixed.json()["ok"] is True
    stack.quiesce()
    before = _unchanged(stack, sandbox)
    assert before["servers"] == 1

    # The same id with another body: 409, nothing changed.
    other = _raw(whmcs_body("CreateAccount", 602))
    _assert_refused(
        stack.post(other, stack.signed_headers(other, "msg_fixme")), 409, "webhook_id_reused"
    )
    # A replay with a stale timestamp is still a stale request.
    stale = int(time.time()) - 900
    _assert_refused(
        stack.post(fixed.raw, stack.signed_headers(fixed.raw, "msg_fixme", timestamp=stale)),
        401,
        "stale_timestamp",
    )
    # A replay with a wrong signature does not get the stored reply.
    _assert_refused(
        stack.post(
            fixed.raw,
            stack.signed_headers(fixed.raw, "msg_fixme", secret=signing.generate_secret()),
        ),
        401,
        "invalid_signature",
    )
    assert _unchanged(stack, sandbox) == before


def test_a_lying_content_length_is_refused_before_reading(stack: E2EStack) -> None:
    """A client announcing a body over the limit gets 413 without sending it."""
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=10)
    try:
        conn.putrequest("POST", "/v1/hooks/whmcs")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(10 * LIMIT))
        conn.endheaders()
        conn.send(b'{"action": "CreateAccount"')  # and never the rest
        response = conn.getresponse()
        assert response.status == 413
        assert json.loads(response.read())["error"]["code"] == "payload_too_large"
    finally:
        conn.close()
    assert stack.table_counts()["webhook_events"] == 0
