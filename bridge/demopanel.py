"""The demo panel of ``otwa-bridge dev``: a stand-in for the billing panel's side of write-back.

With no WHMCS at hand, a new user could never see the end of an order: the server's IP
and credentials written back into the panel. ``dev`` points every configured panel that
has no write-back target of its own at this small HTTP server, which plays both kinds:

* ``POST /includes/api.php``: the WHMCS API calls the bridge makes (``UpdateClientProduct``,
  ``SendEmail``, ``SendAdminEmail``), checked against the API identifier and secret ``dev``
  generated, answered like WHMCS does (``{"result": "success"}``);
* ``POST /hooks/<panel>``: the generic panel's signed webhooks (``server.ready``,
  ``password.reset``, ``operation.failed``...), verified with the webhook secret.

Each write-back is printed to the dev console as one line (IP, user, the password's
length, never the password) and kept in memory: ``GET /`` lists the services and recent
events (passwords masked), ``GET /services/<panel>/<id>`` shows one service with its
password, as the panel's own service page would. Loopback only, for trying the bridge;
nothing is stored.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

from bridge import signing
from bridge.errors import error_body

WHMCS_PATH = "/includes/api.php"


@dataclass
class Ledger:
    """What the demo panel was told: services by (panel, id) and the latest events."""

    services: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    events: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=100))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, panel: str, service: str, kind: str, fields: Mapping[str, Any]) -> None:
        with self.lock:
            entry = self.services.setdefault((panel, service), {"panel": panel, "service": service})
            entry.update({k: v for k, v in fields.items() if v not in (None, "")})
            entry["last_event"], entry["updated_at"] = kind, time.time()
            self.events.append({"panel": panel, "service": service, "event": kind,
                                "at": entry["updated_at"], **_masked(fields)})  # fmt: skip


def _masked(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: ("***" if k == "password" and v else v) for k, v in fields.items()}


def describe(panel: str, service: str, kind: str, fields: Mapping[str, Any], base: str) -> str:
    """The dev console's line for one write-back (the password's length, not the password)."""
    parts = [f"[demo panel] {panel} service {service}: {kind}"]
    if fields.get("ip"):
        parts.append(f"IP {fields['ip']}")
    if fields.get("username"):
        parts.append(f"user {fields['username']}")
    if fields.get("password"):
        parts.append(
            f"password ({len(str(fields['password']))} characters: "
            f"curl -s {base}/services/{panel}/{service})"
        )
    if fields.get("message"):
        parts.append(str(fields["message"]))
    return " | ".join(parts)


def create_app(
    *,
    whmcs: Mapping[str, tuple[str, str]],
    generic: Mapping[str, str],
    base_url: str,
    say: Callable[[str], None] = print,
) -> Flask:
    """The demo panel app. ``whmcs``: panel name -> (API identifier, secret) it accepts on
    ``/includes/api.php`` (the first panel whose pair matches); ``generic``: panel name ->
    ``whsec_`` secret of its webhooks at ``/hooks/<panel>``."""
    app = Flask(__name__)
    ledger = Ledger()
    app.extensions["demo_panel"] = ledger

    def tell(panel: str, service: str, kind: str, fields: Mapping[str, Any]) -> None:
        ledger.record(panel, service, kind, fields)
        say(describe(panel, service, kind, fields, base_url))

    @app.post(WHMCS_PATH)
    def whmcs_api() -> Response:
        form = request.form
        panel = next(
            (
                name
                for name, (ident, secret) in whmcs.items()
                if hmac.compare_digest(form.get("identifier", ""), ident)
                and hmac.compare_digest(form.get("secret", ""), secret)
            ),
            None,
        )
        if panel is None:
            return jsonify({"result": "error", "message": "Authentication Failed"})
        action = form.get("action", "")
        if action == "UpdateClientProduct":
            fields = {
                "ip": form.get("dedicatedip"),
                "additional_ips": form.get("assignedips"),
                "username": form.get("serviceusername"),
                "password": form.get("servicepassword"),
            }
            tell(panel, form.get("serviceid", "?"), "credentials written back", fields)
        elif action == "SendEmail":
            tell(panel, form.get("id", "?"), f"e-mail {form.get('messagename')!r} sent", {})
        elif action == "SendAdminEmail":
            tell(panel, "-", "admin e-mail", {"message": form.get("customsubject")})
        return jsonify({"result": "success"})

    @app.post("/hooks/<panel>")
    def generic_hook(panel: str) -> Response | tuple[Response, int]:
        secret = generic.get(panel)
        if secret is None:
            return jsonify(error_body("unknown_panel", f"No demo panel {panel!r}.")), 404
        raw = request.get_data()
        try:
            signing.verify({k.lower(): v for k, v in request.headers.items()}, raw, [secret])
        except signing.SignatureError as exc:
            return jsonify(exc.to_dict()), exc.status
        event = request.get_json(silent=True) or {}
        data = event.get("data") or {}
        tell(panel, str(data.get("service_id", "?")), str(event.get("type")), data)
        return jsonify({"ok": True})

    @app.get("/")
    def index() -> Response:
        with ledger.lock:
            services = [_masked(s) for s in ledger.services.values()]
            events = list(ledger.events)[::-1]
        return jsonify({"services": services, "events": events,
                        "one_service": f"{base_url}/services/<panel>/<service id>"})  # fmt: skip

    @app.get("/services/<panel>/<service>")
    def one(panel: str, service: str) -> Response | tuple[Response, int]:
        with ledger.lock:
            found = ledger.services.get((panel, service))
        if found is None:
            message = f"Nothing written back for {panel}/{service} yet."
            return jsonify(error_body("not_found", message)), 404
        return jsonify(found)

    return app


def serve_in_thread(app: Flask, host: str, port: int) -> Callable[[], None]:
    """Serve ``app`` on ``host:port`` from a daemon thread; the function that stops it."""
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the console shows write-backs
    server = make_server(host, port, app, threaded=True)
    threading.Thread(target=server.serve_forever, name="demo-panel", daemon=True).start()
    return server.shutdown
