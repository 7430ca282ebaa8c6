"""Taking SQLite's locks quickly: shared by the store and the Otwa rate-limit budget.

A leaf module (stdlib only), so both bottom layers can use it without importing each other.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def begin_immediate(conn: sqlite3.Connection, timeout: float, busy_timeout_ms: int) -> None:
    """``BEGIN IMMEDIATE`` on ``conn``, waiting up to ``timeout`` s for another process's lock.

    Polls in 0.5-4 ms steps rather than through SQLite's busy handler, whose sleeps grow
    to 100 ms although the lock is usually free within a few milliseconds: under a burst
    of hooks that handler alone made the slowest acknowledgements 50-100 ms. Raises the
    ``database is locked`` error once ``timeout`` has passed. The connection's own
    ``busy_timeout_ms`` is restored for the statements inside the transaction.
    """
    deadline = time.monotonic() + timeout
    pause = 0.0005
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.004)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")


def retry_locked(step: Callable[[], T], deadline: float) -> T:
    """Run ``step``, retrying it in short, growing pauses while SQLite says the file is
    locked or busy, until ``deadline`` (``time.monotonic()``); then the error is raised."""
    pause = 0.0005
    while True:
        try:
            return step()
        except sqlite3.OperationalError as exc:
            message = str(exc)
            if ("locked" not in message and "busy" not in message) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.02)


def ensure_wal(conn: sqlite3.Connection, deadline: float) -> None:
    """Put ``conn``'s file in WAL mode, retrying until ``deadline``.

    Processes opening a new file together (gunicorn's workers at a deploy) race for the
    switch, which needs an exclusive lock, and SQLite refuses the loser at once, without its
    busy handler. Once any process has switched, the mode is persistent and later openers
    never ask for that lock: the switch is asked only when the file is not in WAL already.
    """

    def step() -> None:
        (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
        if str(mode).lower() == "wal":
            return
        (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
        if str(mode).lower() != "wal":  # refused without an error: treat it like "locked"
            raise sqlite3.OperationalError(f"database is locked (journal mode stayed {mode})")

    retry_locked(step, deadline)
