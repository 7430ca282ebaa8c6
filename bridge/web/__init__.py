"""HTTP surface of the bridge: blueprints and the per-request database connection."""

from __future__ import annotations

import sqlite_utils
from flask import Flask, current_app, g

from bridge import store
from bridge.panels import schemas


def get_db() -> sqlite_utils.Database:
    """The request's database connection: this thread's (``store.thread_db``), reused from
    request to request; never close it."""
    if "db" not in g:
        g.db = store.thread_db(current_app.config["DATABASE"])
    return g.db


def _close_db(_exc: BaseException | None = None) -> None:
    # The connection outlives the request; only a transaction must not.
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.execute("ROLLBACK")


def init_app(app: Flask) -> None:
    """Register teardown and every blueprint; migrate the database once at start-up."""
    from bridge.web import health, hooks, metrics

    db = store.connect(app.config["DATABASE"], migrate=True)
    db.close()
    schemas.preload()
    app.teardown_appcontext(_close_db)
    app.register_blueprint(health.bp)
    app.register_blueprint(hooks.bp)
    app.register_blueprint(metrics.bp)
