"""Issue 10, item 1: slow clients must not starve the bridge.

The attack keeps its shape with the timings compressed: 9 connections (more than the test
gunicorn's 4 threads) each announce a 60 000-byte hook body and send one byte every
``INTERVAL`` s, 9 more send their header block that way, while ``GET /healthz`` is asked
four times a second. Behind the shipped nginx config every probe answers at once while the
slow bodies stay connected (nginx buffers them; gunicorn never sees one) and the slow
header blocks are cut at ``client_header_timeout``. gunicorn alone (dev only) is starved
by the same clients, and its body deadline (``BRIDGE_BODY_TIMEOUT``) cuts each slow body
with a 408 in the JSON shape, so its threads come back.
"""

from __future__ import annotations

import json
import socket
import time

from bench.slow_clients import attack
from bridge.processes import NginxProcess
from tests.edge.conftest import BODY_TIMEOUT, Web, parse_reply

INTERVAL = 0.5  # the 2 s between bytes, compressed
FAST = 1.0  # a probe answered within this is not starved (normal: a few ms)


def test_behind_nginx_healthz_keeps_answering(web: Web, nginx: NginxProcess) -> None:
    got = attack(nginx.port, bodies=9, headers=9, interval=INTERVAL, duration=5.0)
    assert len(got.probes) >= 10, got.probes
    assert got.all_ok and got.worst < FAST, got.summary()
    # nginx held the slow bodies all along (client_body_timeout counts between bytes) ...
    assert all(c.closed_after is None for c in got.clients if c.mode == "body"), got.summary()
    # ... and cut every slow header block at its 2 s client_header_timeout.
    cut = [c.closed_after for c in got.clients if c.mode == "headers"]
    assert all(t is not None and t < 2.0 + 3.0 for t in cut), cut
    assert web.hooks_recorded() == 0
    assert "/v1/hooks" not in web.process.log(), "no slow body reached gunicorn"


def test_nginx_cuts_a_body_that_stalls(nginx: NginxProcess) -> None:
    """A body that stops arriving is cut after client_body_timeout (nginx closes without a
    reply: the client is gone as far as it knows)."""
    with socket.create_connection(("127.0.0.1", nginx.port), timeout=10) as sock:
        sock.sendall(b'POST /v1/hooks/whmcs HTTP/1.1\r\nHost: x\r\nContent-Length: 600\r\n\r\n{"a"')
        started = time.monotonic()
        assert sock.recv(65536) == b""
        assert time.monotonic() - started < 2.0 + 3.0


def test_gunicorn_alone_is_starved_without_a_proxy_and_recovers(web: Web) -> None:
    """The control: the same slow bodies straight at gunicorn hold all of its threads (the
    probe waits), and the body deadline frees them: every slow body is answered 408 JSON
    within BRIDGE_BODY_TIMEOUT of gunicorn starting to read it."""
    got = attack(web.port, bodies=9, interval=INTERVAL, duration=3 * BODY_TIMEOUT + 2.0,
                 probe_every=0.1)  # fmt: skip
    assert got.worst > 0.5, f"9 slow bodies should hold 4 threads: {got.summary()}"
    assert all(c.closed_after is not None for c in got.clients), got.summary()
    # 9 bodies on 4 threads: at most three rounds of the deadline, plus slack.
    assert max(c.closed_after or 0 for c in got.clients) < 3 * BODY_TIMEOUT + 3.0
    for client in got.clients:
        if client.reply:  # the client may be cut while sending, before reading the reply
            status, headers, body = parse_reply(client.reply)
            assert status == 408 and headers["content-type"] == "application/json"
            assert json.loads(body)["error"]["code"] == "request_timeout"
    web.wait_responsive()
    assert web.hooks_recorded() == 0


def test_gunicorn_alone_answers_a_stalled_body_408_json(web: Web) -> None:
    web.wait_responsive()
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/hooks/whmcs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 600\r\n\r\n{"action"'
        )
        started = time.monotonic()
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
        took = time.monotonic() - started
    status, headers, body = parse_reply(raw)
    assert status == 408, raw
    assert json.loads(body)["error"]["code"] == "request_timeout"
    assert BODY_TIMEOUT - 0.2 < took < BODY_TIMEOUT + 3.0, took
    assert web.hooks_recorded() == 0


def test_gunicorn_alone_cuts_a_trickled_chunked_body(web: Web) -> None:
    """The deadline is for the whole body, however it trickles: chunk by chunk too."""
    web.wait_responsive()
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/hooks/whmcs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        started = time.monotonic()
        raw = b""
        try:
            while time.monotonic() - started < BODY_TIMEOUT + 3.0:
                sock.sendall(b"1\r\n \r\n")  # one byte per chunk, steadily
                time.sleep(0.1)
        except OSError:  # cut: the reply waits to be read
            pass
        sock.settimeout(5)
        try:
            while chunk := sock.recv(65536):
                raw += chunk
        except OSError:
            pass
    status, _, body = parse_reply(raw)
    assert status == 408 and json.loads(body)["error"]["code"] == "request_timeout"
    assert web.hooks_recorded() == 0


def test_a_prompt_body_is_untouched_by_the_deadline(web: Web) -> None:
    """A hook whose body arrives at once goes through as before (here: refused for its
    missing signature, by the app, which read the whole body)."""
    import requests

    web.wait_responsive()
    r = requests.post(f"{web.url}/v1/hooks/whmcs", data=b'{"action": "status"}',
                      headers={"Content-Type": "application/json"}, timeout=10)  # fmt: skip
    assert r.status_code == 401 and r.json()["error"]["code"] != "request_timeout", r.text
