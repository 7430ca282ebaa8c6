"""Opening the budget's SQLite file safely while other processes open it too.

Every gunicorn worker, job worker and CLI run opens the same file, often at the same moment
(a deploy starts them together), and the first opener of a fresh file must switch it to WAL
and create the tables. SQLite answers some of those steps with ``database is locked`` at once,
without waiting through its busy handler: switching the journal mode needs an exclusive lock,
and a connection holding a shared lock that wants to upgrade while another holds the pending
lock is refused immediately (waiting could deadlock). So :func:`open_shared_db`:

* switches to WAL only when the file is not in WAL already (once any process has switched it,
  the mode is persistent and later openers never ask for the exclusive lock);
* retries a refused step in short, growing pauses up to ``timeout`` seconds, then raises;
* creates or upgrades the schema inside ``BEGIN IMMEDIATE``, checking ``user_version`` under
  that lock, so exactly one opener does it and the others see its result (``executescript``
  is not used: it commits any open transaction first).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from bridge.files import private_file
from bridge.sqlite_lock import begin_immediate, ensure_wal, retry_locked

BUSY_TIMEOUT_MS = 10_000


def _ensure_schema(
    conn: sqlite3.Connection,
    schema: Sequence[str],
    version: int,
    drop: Sequence[str],
    deadline: float,
) -> None:
    def current() -> int:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])

    if retry_locked(current, deadline) == version:
        return
    timeout = max(0.1, deadline - time.monotonic())
    begin_immediate(conn, timeout=timeout, busy_timeout_ms=BUSY_TIMEOUT_MS)
    try:
        # Someone else may have done it while we waited for the lock: decide under it.
        if current() != version:
            for table in drop:
                conn.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in schema:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {int(version)}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def open_shared_db(
    path: Path,
    *,
    schema: Sequence[str],
    version: int,
    drop: Sequence[str] = (),
    timeout: float = 20.0,
) -> sqlite3.Connection:
    """A connection to the SQLite file at ``path`` (created if missing), in WAL mode, with
    ``schema`` applied once: when the file's ``user_version`` is not ``version``, the tables
    named in ``drop`` are dropped, the ``schema`` statements run and ``user_version`` is set,
    all in one ``BEGIN IMMEDIATE`` transaction. Safe to call from many processes at once;
    raises ``sqlite3.OperationalError`` only if the file stays locked for ``timeout`` s."""
    private_file(path)  # 0600 (its -wal/-shm follow), a new folder 0700: bridge.files
    deadline = time.monotonic() + timeout
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        ensure_wal(conn, deadline)
        # A lost grant after a power cut only means a slightly generous budget.
        conn.execute("PRAGMA synchronous = NORMAL")
        _ensure_schema(conn, schema, version, drop, deadline)
    except BaseException:
        conn.close()
        raise
    return conn
