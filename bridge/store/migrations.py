"""The bridge's schema history, applied in the order registered. Append only: never edit a
migration that has shipped; add a new one. Each area owns the tables its migration creates."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("bridge")


@migrations()
def m001_webhook_events(db: sqlite_utils.Database) -> None:
    """Inbound hooks, deduplicated by (panel, webhook_id). Owned by bridge.web.hooks."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS webhook_events (
            panel TEXT NOT NULL,
            webhook_id TEXT NOT NULL,
            received_at REAL NOT NULL,
            action TEXT,
            service_id TEXT,
            body_sha256 TEXT,        -- a reused webhook-id with another body is refused (409)
            request_id TEXT,         -- X-Request-Id of the first delivery
            operation_id TEXT,       -- provisioning operation recorded in the same transaction
            status INTEGER,          -- HTTP status of the first reply; NULL while in flight
            reply TEXT,              -- JSON of the first reply, replayed verbatim
            replied_at REAL,
            PRIMARY KEY (panel, webhook_id)
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS webhook_events_received ON webhook_events(received_at)")
