"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, jsonify

from bridge import __version__, store
from bridge.errors import error_body
from bridge.web import get_db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """The process answers. Cheap: no database, no Otwa."""
    return jsonify({"ok": True, "version": __version__})


@bp.get("/readyz")
def readyz():  # type: ignore[no-untyped-def]
    """Ready to take hooks: the database opens and every migration is applied."""
    db = get_db()
    pending = store.pending_migrations(db)
    if pending:
        message = f"Pending migrations: {', '.join(pending)}. Run `otwa-bridge migrate`."
        return jsonify(error_body("migrations_pending", message)), 503
    return jsonify({"ok": True})
