"""A panel's webhook endpoint for the generic panel's write-back, run as a real process.

Run: ``python -m tests.support.webhook_receiver --port P``.

* ``POST /hooks`` — records the request (headers and raw body, base64) and answers 204;
  or, while failures are pending, 503 (``/_fake/fail {"count": N}``).
* ``GET /_fake/received`` — every recorded request in order.

It does not verify signatures itself: tests verify them with the bridge's own
:func:`bridge.signing.verify`, so a wrong signature fails the test.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests


class _State:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail_count = 0
        self.lock = threading.Lock()


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:
            return

        def _send(self, status: int, body: Any = None) -> None:
            raw = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:  # noqa: N802
            if self.path != "/_fake/received":
                self._send(404, {"error": "not found"})
                return
            with state.lock:
                self._send(200, list(state.received))

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/_fake/fail":
                with state.lock:
                    state.fail_count = int(json.loads(raw or b"{}").get("count", 1))
                self._send(200, {"ok": True})
                return
            if self.path != "/hooks":
                self._send(404, {"error": "not found"})
                return
            with state.lock:
                failing = state.fail_count > 0
                state.fail_count -= 1 if failing else 0
                state.received.append(
                    {
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": base64.b64encode(raw).decode(),
                        "answered": 503 if failing else 204,
                    }
                )
            self._send(503 if failing else 204)

    return Handler


class WebhookReceiver:
    """A running receiver process and its control API."""

    def __init__(self, tmp: Path) -> None:
        from tests.support.processes import Process, free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        args = [sys.executable, "-m", "tests.support.webhook_receiver", "--port", str(self.port)]
        self.process = Process(args, tmp / f"receiver-{self.port}.log")

    def start(self) -> WebhookReceiver:
        self.process.start()
        self.process.wait_http(f"http://127.0.0.1:{self.port}/_fake/received")
        return self

    def stop(self) -> None:
        self.process.stop()

    def received(self) -> list[dict[str, Any]]:
        """Every delivery: ``headers``, ``body`` (bytes) and what was ``answered``."""
        r = requests.get(f"http://127.0.0.1:{self.port}/_fake/received", timeout=5)
        r.raise_for_status()
        return [{**d, "body": base64.b64decode(d["body"])} for d in r.json()]

    def fail(self, count: int) -> None:
        """Answer the next ``count`` deliveries with 503."""
        requests.post(
            f"http://127.0.0.1:{self.port}/_fake/fail", json={"count": count}, timeout=5
        ).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), _handler(_State()))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
