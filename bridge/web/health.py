"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from bridge.errors import error_body
from bridge.version import __version__
from bridge.web import current_bridge, get_db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers. Cheap: no database, no Otwa."""
    return jsonify({"ok": True, "version": __version__})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready to take hooks: the database opens and every migration is applied."""
    pending = current_bridge().pending_migrations(get_db())
    if pending:
        message = f"Pending migrations: {', '.join(pending)}. Run `otwa-bridge migrate`."
        return jsonify(error_body("migrations_pending", message)), 503
    return jsonify({"ok": True}), 200
