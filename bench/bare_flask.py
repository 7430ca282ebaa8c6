"""The floor of hook intake: a bare Flask app that parses the same JSON body and answers.

Served by gunicorn with the bridge's own configuration (bridge/gunicorn_conf.py: gthread,
4 threads) and as many workers, so the only difference measured is the bridge's work:
``gunicorn -c python:bridge.gunicorn_conf 'bench.bare_flask:create_app()'``.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, request


def create_app() -> Flask:
    """POST /v1/hooks/<panel>: parse the JSON body, answer 202 in the bridge's shape."""
    app = Flask(__name__)

    @app.post("/v1/hooks/<panel>")
    def intake(panel: str) -> tuple[Response, int]:
        body = request.get_json(force=True)
        service = body.get("service", {}).get("id") if isinstance(body, dict) else None
        return jsonify({"ok": True, "result": {"queued": True, "service": service}}), 202

    return app
