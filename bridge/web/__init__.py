"""HTTP surface of the bridge: blueprints (hooks, health, metrics, SSO links), the app's
Bridge and the request's connection."""

from __future__ import annotations

import sqlite_utils
from flask import Flask, current_app, g

from bridge.logs import register_secret
from bridge.panels import schemas
from bridge.runtime import EXTENSION, Bridge


def current_bridge() -> Bridge:
    """The app's Bridge (built once by ``create_app``)."""
    bridge: Bridge = current_app.extensions[EXTENSION]
    return bridge


def get_db() -> sqlite_utils.Database:
    """The request's database connection: this thread's, reused from request to request;
    never close it."""
    if "db" not in g:
        g.db = current_bridge().db()
    db: sqlite_utils.Database = g.db
    return db


def _close_db(_exc: BaseException | None = None) -> None:
    # The connection outlives the request; only a transaction must not.
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.execute("ROLLBACK")


def _mask_web_secrets(bridge: Bridge) -> None:
    """The admin password hash, the cookie key and the metrics token(s) never reach a log."""
    s = bridge.settings
    for secret in (s.admin_password_hash, s.admin_session_key, s.metrics_token):
        for part in secret.get_secret_value().split(","):
            register_secret(part.strip())


def init_app(app: Flask, bridge: Bridge) -> None:
    """Keep ``bridge`` on the app, register teardown and every blueprint; migrate the
    database once at start-up."""
    from bridge.web import admin, health, hooks, metrics, openapi, reports, sso
    from bridge.web.edge import BodyDeadline

    app.extensions[EXTENSION] = bridge
    _mask_web_secrets(bridge)
    settings = bridge.settings
    # No view reads a body over the limit (werkzeug refuses it unread: 413).
    app.config.setdefault("MAX_CONTENT_LENGTH", settings.hook_max_bytes)
    app.wsgi_app = BodyDeadline(  # type: ignore[method-assign]
        app.wsgi_app, timeout=settings.body_timeout, max_bytes=settings.hook_max_bytes
    )
    bridge.migrate()
    schemas.preload()
    app.teardown_appcontext(_close_db)
    app.register_blueprint(health.bp)
    app.register_blueprint(hooks.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(sso.blueprint(bridge))
    app.register_blueprint(openapi.bp)
    admin.init_app(app)
    app.register_blueprint(reports.bp)
