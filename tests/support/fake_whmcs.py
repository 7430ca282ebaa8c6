"""A small fake of the WHMCS API (``includes/api.php``) run as a real process in tests.

Run: ``python -m tests.support.fake_whmcs --port P [--identifier I --secret S]``.

* ``POST /includes/api.php`` (form-encoded, like WHMCS): checks identifier/secret,
  records every call, answers ``{"result": "success", ...}`` (``UpdateClientProduct``,
  ``SendAdminEmail``; any other action too) or ``{"result": "error", "message": ...}``.
* ``GET /_fake/calls`` — every recorded call (form fields) in order; ``?action=`` filters.
* ``POST /_fake/fail`` ``{"count": N, "mode": "500" | "error" | "drop"}`` — the next N API
  calls fail that way (HTTP 500, ``result=error``, or connection closed with no answer);
  failed calls are recorded with ``"_failed": mode``.
* ``POST /_fake/reset`` — forget calls and pending failures.

:class:`FakeWhmcs` starts it and wraps the control API for tests.
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests


class _State:
    def __init__(self, identifier: str, secret: str) -> None:
        self.identifier = identifier
        self.secret = secret
        self.calls: list[dict[str, Any]] = []
        self.fail_count = 0
        self.fail_mode = "500"
        self.lock = threading.Lock()


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:  # quiet: the test log stays readable
            return

        def _send(self, status: int, body: Any) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            if url.path != "/_fake/calls":
                self._send(404, {"error": "not found"})
                return
            wanted = parse_qs(url.query).get("action", [None])[0]
            with state.lock:
                calls = [c for c in state.calls if wanted is None or c.get("action") == wanted]
            self._send(200, calls)

        def do_POST(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            raw = self._body()
            if url.path == "/_fake/reset":
                with state.lock:
                    state.calls.clear()
                    state.fail_count = 0
                self._send(200, {"ok": True})
                return
            if url.path == "/_fake/fail":
                spec = json.loads(raw or b"{}")
                with state.lock:
                    state.fail_count = int(spec.get("count", 1))
                    state.fail_mode = str(spec.get("mode", "500"))
                self._send(200, {"ok": True})
                return
            if url.path != "/includes/api.php":
                self._send(404, {"error": "not found"})
                return
            form = {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
            with state.lock:
                failing = state.fail_count > 0
                if failing:
                    state.fail_count -= 1
                    form["_failed"] = state.fail_mode
                state.calls.append(form)
                mode = state.fail_mode
            if failing and mode == "drop":
                self.close_connection = True
                self.connection.close()
                return
            if failing and mode == "500":
                self._send(500, {"result": "error", "message": "internal error"})
                return
            if failing:
                self._send(200, {"result": "error", "message": "Simulated failure"})
                return
            if form.get("identifier") != state.identifier or form.get("secret") != state.secret:
                self._send(200, {"result": "error", "message": "Authentication Failed"})
                return
            if form.get("responsetype") != "json":
                self._send(200, {"result": "error", "message": "responsetype json expected"})
                return
            action = form.get("action")
            if action == "UpdateClientProduct" and not form.get("serviceid"):
                self._send(200, {"result": "error", "message": "Service ID Not Found"})
                return
            reply: dict[str, Any] = {"result": "success"}
            if action == "UpdateClientProduct":
                reply["serviceid"] = form["serviceid"]
            self._send(200, reply)

    return Handler


def serve(host: str, port: int, identifier: str, secret: str) -> None:
    server = ThreadingHTTPServer((host, port), _handler(_State(identifier, secret)))
    server.daemon_threads = True
    server.serve_forever()


class FakeWhmcs:
    """A running fake WHMCS process and its control API."""

    IDENTIFIER = "fake-identifier-123"
    SECRET = "fake-api-secret-456"

    def __init__(self, tmp: Path) -> None:
        from tests.support.processes import Process, free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.url}/includes/api.php"
        self.process = Process(
            [
                __import__("sys").executable,
                "-m",
                "tests.support.fake_whmcs",
                "--port",
                str(self.port),
                "--identifier",
                self.IDENTIFIER,
                "--secret",
                self.SECRET,
            ],
            tmp / f"fake-whmcs-{self.port}.log",
        )

    def start(self) -> FakeWhmcs:
        self.process.start()
        self.process.wait_http(f"{self.url}/_fake/calls")
        return self

    def stop(self) -> None:
        self.process.stop()

    def calls(self, action: str | None = None) -> list[dict[str, Any]]:
        params = {"action": action} if action else None
        r = requests.get(f"{self.url}/_fake/calls", params=params, timeout=5)
        r.raise_for_status()
        return list(r.json())

    def fail(self, count: int, mode: str = "500") -> None:
        requests.post(
            f"{self.url}/_fake/fail", json={"count": count, "mode": mode}, timeout=5
        ).raise_for_status()

    def reset(self) -> None:
        requests.post(f"{self.url}/_fake/reset", timeout=5).raise_for_status()

    def env(self, panel: str = "whmcs") -> dict[str, str]:
        """The bridge environment naming this fake's API credentials for ``panel``."""
        p = panel.upper().replace("-", "_")
        return {
            f"BRIDGE_{p}_API_IDENTIFIER": self.IDENTIFIER,
            f"BRIDGE_{p}_API_SECRET": self.SECRET,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--identifier", default=FakeWhmcs.IDENTIFIER)
    parser.add_argument("--secret", default=FakeWhmcs.SECRET)
    args = parser.parse_args()
    serve(args.host, args.port, args.identifier, args.secret)


if __name__ == "__main__":
    main()
