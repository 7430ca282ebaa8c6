"""The admin login's tables: schema only, beside the store (like the SSO links')."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("admin")


@migrations()
def m001_admin_login(db: sqlite_utils.Database) -> None:
    """Sessions (by a hash of their token), failed logins, and the generated cookie key."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS admin_sessions (
            token_sha256 TEXT PRIMARY KEY,  -- the cookie carries the token; never stored
            user TEXT NOT NULL,
            fingerprint TEXT NOT NULL,      -- of the password hash: a new password ends it
            created_at REAL NOT NULL,
            seen_at REAL NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS admin_login_failures (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            address TEXT NOT NULL,
            at REAL NOT NULL
        )
        """
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS admin_login_failures_address"
        " ON admin_login_failures(address, at)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS admin_login_failures_at ON admin_login_failures(at)")
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS admin_keys (
            name TEXT PRIMARY KEY,          -- session: signs cookies when no key is configured
            value TEXT NOT NULL,
            created_at REAL NOT NULL
        )
        """
    )
