"""A stand-in for the WHMCS API (``includes/api.php``) that the bridge writes back to.

The bridge delivers each new server's IP and credentials with ``UpdateClientProduct``;
this records which services received a password, so the harness knows when the bridge's
work is done. It answers like WHMCS (``{"result": "success"}``) and runs in a thread of
the harness (it is the panel, not the system under test).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from bridge.processes import free_port


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """No access log: the harness prints its own progress."""


class PanelApi:
    """Serves POST /includes/api.php on loopback; ``delivered`` counts services written."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/includes/api.php"
        self.services: set[str] = set()
        self.written: dict[str, dict[str, str]] = {}  # service id -> its last write-back
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server = make_server(
            "127.0.0.1", self.port, self._app, threaded=True, request_handler=_Quiet
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name="panel-api"
        )

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        form = request.form
        action = form.get("action", "")
        with self._lock:
            self.calls[action] = self.calls.get(action, 0) + 1
            if action == "UpdateClientProduct" and form.get("servicepassword"):
                self.services.add(form.get("serviceid", ""))
                self.written[form.get("serviceid", "")] = dict(form.items())
        body = json.dumps({"result": "success", "serviceid": form.get("serviceid")})
        return Response(body, content_type="application/json")(environ, start_response)

    @property
    def delivered(self) -> int:
        with self._lock:
            return len(self.services)

    def start(self) -> PanelApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
