"""The SSO tables' schema history: its own sqlite-utils migration set, ``"sso"``.

It lives in the bridge's database beside the core set (``"bridge"``) and is applied by
:func:`apply` at migrate time. Append only: never edit a migration that has shipped.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bridge import store

migrations = Migrations("sso")


@migrations()
def m001_sso_spent(db: sqlite_utils.Database) -> None:
    """Link ids spent by a click; owned by :mod:`bridge.sso.spent`."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS sso_spent (
            jti TEXT PRIMARY KEY,        -- the token's random id; the key makes a spend atomic
            panel TEXT NOT NULL,
            service_id TEXT NOT NULL,
            spent_at REAL NOT NULL,      -- epoch s of the click that spent it
            expires_at REAL NOT NULL     -- the token's expiry: the row is pruned after it
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS sso_spent_expires ON sso_spent(expires_at)")


def apply(db: sqlite_utils.Database) -> list[str]:
    """Apply the pending SSO migrations in order; the names applied. Safe to run
    concurrently (re-checked under the write lock). ``db`` is a :func:`bridge.store.connect`
    connection."""
    return store.apply_migrations(db, (migrations,))


def pending(db: sqlite_utils.Database) -> list[str]:
    """Names of SSO migrations not yet applied (read-only)."""
    return store.pending_migrations(db, (migrations,))
