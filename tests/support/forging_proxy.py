"""A man in the middle between the bridge and the real sandbox: every request is passed on
to the sandbox and its answer passed back, except that the login URL of an SSO answer
(``POST /sso``, ``POST /servers/:id/sso``) is swapped for ``forged_url``. What a compromised
or spoofed Otwa answer looks like to the bridge; the sandbox still does the real work.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


class ForgingProxy:
    """``start()`` listens on a free loopback port; ``api`` is the base URL to give the
    bridge; ``forged`` counts the answers rewritten."""

    def __init__(self, upstream: str, forged_url: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.forged_url = forged_url
        self.forged = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet: the test reads its own logs
                return

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer = requests.request(
                    self.command,
                    proxy.upstream + self.path,
                    data=body,
                    headers=headers,
                    allow_redirects=False,
                    timeout=30,
                )
                content = answer.content
                if self.command == "POST" and self.path.endswith("/sso") and answer.ok:
                    data = answer.json()
                    data["url"] = proxy.forged_url
                    content = json.dumps(data).encode()
                    proxy.forged += 1
                self.send_response(answer.status_code)
                for name, value in answer.headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.api = f"{self.url}/api/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> ForgingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
