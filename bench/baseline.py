"""The naive baseline: what a typical WHMCS provisioning module does, as a tiny HTTP app.

It receives the same signed hooks as the bridge (so the load and the signature check cost
the same) and then behaves like the modules surveyed in the billing-panel reference:

* **one synchronous create per hook**: the hook handler calls ``POST /servers`` with plain
  ``requests`` and answers only when Otwa has answered. No ``Idempotency-Key``, no queue;
* **no shared budget**: nothing counts requests against the 100/min limit. When Otwa says
  429 (or anything else fails) the hook fails, the way ``CreateAccount`` returns an error
  string; the *panel* then retries the order later (WHMCS puts it in the Module Queue and
  staff press "Retry"). The harness plays the panel and models that retry;
* **one GET per server per poll tick**: a poller thread walks every server not yet running
  and calls ``GET /servers/:id`` for each; once one is running it fetches
  ``GET /servers/:id/credentials`` for it (one call per server). Failed calls (429s
  included) are simply tried again on the next tick.

Run: ``python -m bench.baseline --port P --otwa-url URL --poll-interval S`` with the API
key in ``BENCH_OTWA_KEY``, the hook secret in ``BENCH_HOOK_SECRET`` and the product map
(panel product id -> POST /servers body fields) as JSON in ``BENCH_PRODUCTS``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

import requests
from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

from bridge.signing import SignatureError, verify

log = logging.getLogger("bench.baseline")


@dataclass
class Service:
    """One panel service the module created a server for."""

    service_id: str
    server_id: str
    status: str = "pending"
    credentials: bool = False


class Module:
    """The module's state: the services it created and their servers (the panel's tblhosting)."""

    def __init__(
        self, otwa_url: str, api_key: str, products: dict[str, dict[str, Any]], timeout: float
    ) -> None:
        self.otwa_url = otwa_url.rstrip("/")
        self.products = products
        self.timeout = timeout
        self.headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self.services: dict[str, Service] = {}
        self.lock = threading.Lock()
        self._local = threading.local()

    def _session(self) -> requests.Session:
        # One connection per thread, like a PHP-FPM worker's curl handle.
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            self._local.session.headers.update(self.headers)
        return self._local.session

    def create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """CreateAccount: one synchronous POST /servers; the hook fails if Otwa says no."""
        service = body.get("service") or {}
        service_id = str(service.get("id"))
        product = self.products.get(str(service.get("product_id")))
        if product is None:
            return 400, _error("unknown_product", "product not configured in the module")
        payload = {**product, "label": f"svc-{service_id}", "hostname": f"svc-{service_id}"}
        try:
            reply = self._session().post(
                f"{self.otwa_url}/servers", json=payload, timeout=self.timeout
            )
        except requests.RequestException as exc:
            return 504, _error("otwa_unreachable", type(exc).__name__)
        if reply.status_code not in (200, 201, 202):
            # e.g. 429: WHMCS shows "Module Create Failed" and queues it for a retry.
            return 502, _error(f"otwa_{reply.status_code}", "Otwa refused the create")
        server = reply.json()
        with self.lock:
            self.services[service_id] = Service(
                service_id, str(server["id"]), str(server.get("status", "pending"))
            )
        return 200, {"ok": True, "result": {"server_id": server["id"]}}

    def poll_once(self) -> None:
        """One poll tick: GET each unfinished server, then credentials for running ones."""
        with self.lock:
            todo = [s for s in self.services.values() if not s.credentials]
        session = self._session()
        for svc in todo:
            try:
                if svc.status != "running":
                    r = session.get(
                        f"{self.otwa_url}/servers/{svc.server_id}", timeout=self.timeout
                    )
                    if r.status_code != 200:
                        continue  # 429 or error: try again next tick
                    svc.status = str(r.json().get("status"))
                if svc.status == "running":
                    r = session.get(
                        f"{self.otwa_url}/servers/{svc.server_id}/credentials",
                        timeout=self.timeout,
                    )
                    if r.status_code == 200:
                        svc.credentials = True  # the module writes them to the service here
            except requests.RequestException:
                continue


def _error(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


def create_app(module: Module, secret: str) -> Flask:
    """The hook endpoint (same path, signature scheme and body as the bridge's)."""
    app = Flask("bench.baseline")

    @app.post("/v1/hooks/<panel>")
    def hook(panel: str) -> tuple[Response, int]:
        raw = request.get_data()
        try:
            verify(request.headers, raw, [secret])
        except SignatureError as exc:
            return jsonify(exc.to_dict()), 401
        body = json.loads(raw)
        if body.get("action") != "create":
            return jsonify(_error("unsupported", "the baseline only creates")), 400
        status, reply = module.create(body)
        return jsonify(reply), status

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        with module.lock:
            done = sum(1 for s in module.services.values() if s.credentials)
            total = len(module.services)
        return jsonify({"ok": True, "services": total, "credentials": done}), 200

    return app


def _poller(module: Module, interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        module.poll_once()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--otwa-url", required=True, help="Otwa API base URL (…/api/v1)")
    parser.add_argument("--poll-interval", type=float, default=10.0, help="wall seconds")
    parser.add_argument("--timeout", type=float, default=10.0, help="Otwa request timeout")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    module = Module(
        args.otwa_url,
        os.environ["BENCH_OTWA_KEY"],
        json.loads(os.environ["BENCH_PRODUCTS"]),
        args.timeout,
    )
    app = create_app(module, os.environ["BENCH_HOOK_SECRET"])
    stop = threading.Event()
    threading.Thread(
        target=_poller, args=(module, args.poll_interval, stop), daemon=True, name="poller"
    ).start()
    # A threaded werkzeug server: one thread per connection, like PHP-FPM children.
    server = make_server(args.host, args.port, app, threaded=True)
    try:
        server.serve_forever()
    finally:
        stop.set()


if __name__ == "__main__":
    main()
