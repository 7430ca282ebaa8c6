"""SQLite through sqlite-utils, with the house rules applied on every connection.

Rules (docs/architecture.md): WAL, ``busy_timeout``, ``synchronous=FULL`` (money and
orders live here), foreign keys on, and every write transaction opened with
``BEGIN IMMEDIATE`` through :func:`write` so two writers never deadlock on a lock
upgrade. Never hold a transaction across an HTTP call: open, write, commit, then talk.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from bridge.store.migrations import migrations

BUSY_TIMEOUT_MS = 5000


def connect(path: str | Path, *, migrate: bool = False) -> sqlite_utils.Database:
    """Open ``path`` (creating its folder) with the connection rules; optionally migrate."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves.
    conn = sqlite3.connect(
        str(path),
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    db = sqlite_utils.Database(conn)
    if migrate:
        apply_migrations(db)
    return db


@contextmanager
def write(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction, ``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any error.

    Nested use joins the outer transaction through a savepoint (sqlite-utils ``atomic``).
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    _begin_immediate(db.conn)
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


def _begin_immediate(conn: sqlite3.Connection) -> None:
    # busy_timeout covers most contention; a short retry loop covers the rest under load.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000 * 2
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def apply_migrations(db: sqlite_utils.Database) -> list[str]:
    """Apply pending migrations in order; return the names applied. Safe to run concurrently."""
    pending = [m.name for m in migrations.pending(db)]
    if pending:
        with write(db):
            # Re-check under the write lock: another process may have migrated meanwhile.
            if migrations.pending(db):
                migrations.apply(db)
    return pending


def pending_migrations(db: sqlite_utils.Database) -> list[str]:
    """Names of migrations not yet applied (read-only)."""
    return [m.name for m in migrations.pending(db)]
