"""The sandbox Flask app: blueprints, the Otwa error shape, and the common headers.

Every response carries X-Request-Id (the request's own, echoed, or a new UUID);
authenticated /api/v1 responses also carry X-RateLimit-Limit/-Remaining/-Reset.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from bridge.sandbox import views_account, views_servers  # noqa: F401  (register routes)
from bridge.sandbox.blueprint import api
from bridge.sandbox.errors import ApiError, error_body
from bridge.sandbox.faults import FaultMiddleware
from bridge.sandbox.state import SandboxState
from bridge.sandbox.views_control import control
from bridge.sandbox.views_dashboard import dashboard, page

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024


def create_sandbox_app(
    time_scale: float = 1.0, seed: int | None = None, rate_limit_mode: str = "fixed"
) -> Flask:
    """A fresh sandbox (boot state) whose clock runs ``time_scale`` times real time and whose
    rate limit counts in ``rate_limit_mode`` (``fixed`` or ``sliding``) after every reset."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.json.sort_keys = False  # type: ignore[attr-defined]
    st = SandboxState(time_scale=time_scale, seed=seed, rate_limit_mode=rate_limit_mode)
    app.config["SANDBOX_STATE"] = st
    app.register_blueprint(api)
    app.register_blueprint(control)
    app.register_blueprint(dashboard)

    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        ok = 0 < len(incoming) <= 200 and incoming.isprintable()
        g.request_id = incoming if ok else str(uuid.uuid4())

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers["X-Request-Id"] = g.get("request_id") or str(uuid.uuid4())
        verdict = g.get("verdict")
        if verdict is not None:
            resp.headers.update(verdict.headers(st.clock))
        return resp

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Any:
        resp = jsonify(exc.body())
        resp.status_code = exc.status
        resp.headers.update(exc.headers)
        return resp

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if not request.path.startswith(("/api/", "/_sandbox")):
            return page(exc.name, f"<p>{exc.description}</p>", status)
        if status in (404, 405):
            message = f"Cannot {request.method} {request.path}"
        elif status == 413:
            message = f"Request body larger than {MAX_BODY} bytes"
        else:
            message = exc.name
        resp = jsonify(error_body(status, message))
        resp.status_code = status
        if status == 405 and exc.get_response().headers.get("Allow"):
            resp.headers["Allow"] = exc.get_response().headers["Allow"]
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        log.exception("sandbox bug: unhandled error")
        resp = jsonify(error_body(500, "Internal server error"))
        resp.status_code = 500
        return resp

    app.wsgi_app = FaultMiddleware(app.wsgi_app, st)  # type: ignore[method-assign]
    return app
