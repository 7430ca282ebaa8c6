"""SQLite through sqlite-utils, with the house rules applied on every connection.

Rules (docs/architecture.md): WAL, ``busy_timeout``, ``synchronous=FULL`` (money and
orders live here), foreign keys on, and every write transaction opened with
``BEGIN IMMEDIATE`` through :func:`write` so two writers never deadlock on a lock
upgrade. Never hold a transaction across an HTTP call: open, write, commit, then talk.

``write(db, durable=False)`` commits without an fsync (``synchronous=NORMAL`` for that one
transaction): it survives a process crash (WAL), and only a power cut can lose it — and
then only together with every later non-durable commit, since the next durable commit
syncs the whole WAL before it. Use it only where a lost commit is redone idempotently, and
say why at the call site. :func:`thread_db` gives each thread of a process one reused
connection (hooks, inline attempts) instead of one per request.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bridge.files import private_file, sqlite_companions, tighten
from bridge.sqlite_lock import begin_immediate, ensure_wal
from bridge.store.migrations import migrations

BUSY_TIMEOUT_MS = 5000


class CannotOpen(Exception):
    """The database file cannot be opened or created (a folder that does not exist and
    cannot be made, no permission, not a database). The message names the path and says
    what to change; the CLI prints it as one line (exit 2)."""


def connect(path: str | Path, *, migrate: bool = False) -> sqlite_utils.Database:
    """Open ``path`` with the connection rules; optionally migrate. A new file (and any
    folder made for it) is private: 0600 and 0700 (bridge.files), its -wal/-shm too.
    Raises :class:`CannotOpen` when the file cannot be opened or created."""
    try:
        conn = _open(path)
    except (OSError, sqlite3.DatabaseError) as exc:
        if "locked" in str(exc):
            raise
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CannotOpen(
            f"cannot open the database {path}: {reason}; set BRIDGE_DATABASE to the bridge's "
            "database file, in a folder the bridge may write"
        ) from exc
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    db = sqlite_utils.Database(conn)
    if str(path) != ":memory:":
        setattr(db, _PATH, str(Path(path).resolve()))
    if migrate:
        apply_migrations(db)
    return db


def _open(path: str | Path) -> sqlite3.Connection:
    if str(path) != ":memory:":
        private_file(path)
        for companion in sqlite_companions(path)[1:]:
            tighten(companion)  # left 0644 by an older version
    # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves.
    conn = sqlite3.connect(
        str(path),
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if str(path) != ":memory:":  # an in-memory database has no WAL
            ensure_wal(conn, time.monotonic() + BUSY_TIMEOUT_MS / 1000)
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def write(db: sqlite_utils.Database, *, durable: bool = True) -> Iterator[sqlite_utils.Database]:
    """One write transaction, ``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any error.

    ``durable=False``: the commit skips the fsync (see the module docstring for when that
    is allowed). Nested use joins the outer transaction through a savepoint (sqlite-utils
    ``atomic``) and with it the outer transaction's durability; a durable write inside a
    non-durable one is a bug and raises ``RuntimeError``.
    """
    if db.conn.in_transaction:
        if durable and getattr(db, _NON_DURABLE, False):
            raise RuntimeError("a durable write cannot join a non-durable transaction")
        with db.atomic():
            yield db
        return
    if not durable:
        # The safety level cannot change inside a transaction: set it before BEGIN.
        db.conn.execute("PRAGMA synchronous = NORMAL")
        setattr(db, _NON_DURABLE, True)
    lock = _writer_lock(db)
    try:
        if not lock.acquire(timeout=BUSY_TIMEOUT_MS / 1000 * 2):
            raise sqlite3.OperationalError("database is locked (by another thread)")
        try:
            _begin_immediate(db.conn)
            try:
                yield db
            except BaseException:
                _rollback_if_open(db.conn)
                raise
            else:
                db.conn.execute("COMMIT")
        finally:
            lock.release()
    finally:
        if not durable:
            setattr(db, _NON_DURABLE, False)
            db.conn.execute("PRAGMA synchronous = FULL")


def _rollback_if_open(conn: sqlite3.Connection) -> None:
    # A failed statement may already have ended the transaction.
    if conn.in_transaction:
        conn.execute("ROLLBACK")


_NON_DURABLE = "_bridge_non_durable"
_PATH = "_bridge_path"
_writer_locks: dict[str, threading.RLock] = {}
_writer_locks_pid = 0
_writer_locks_guard = threading.Lock()


def _writer_lock(db: sqlite_utils.Database) -> threading.RLock:
    """The process's lock for writing ``db``'s file. Threads of one process queue here, in
    order, instead of in SQLite's busy handler, whose sleeps grow to tens of milliseconds
    under contention; other processes still meet at SQLite's lock."""
    global _writer_locks_pid
    key = getattr(db, _PATH, None) or f"conn:{id(db.conn)}"
    with _writer_locks_guard:
        if _writer_locks_pid != os.getpid():  # a lock held at fork time stays held: drop all
            _writer_locks.clear()
            _writer_locks_pid = os.getpid()
        lock = _writer_locks.get(key)
        if lock is None:
            lock = _writer_locks[key] = threading.RLock()
        return lock


def _begin_immediate(conn: sqlite3.Connection) -> None:
    begin_immediate(conn, timeout=BUSY_TIMEOUT_MS / 1000 * 2, busy_timeout_ms=BUSY_TIMEOUT_MS)


_local = threading.local()
THREAD_DB_PATHS = 4  # databases one thread keeps open at once (tests switch often)


def thread_db(path: str | Path) -> sqlite_utils.Database:
    """This thread's connection to ``path``, opened on first use and then reused.

    Per process (a connection is never used across ``fork``) and per thread (sqlite3
    connections are not shared between threads here). The caller must not close it; a
    thread keeps at most ``THREAD_DB_PATHS`` databases open, the oldest closed first.
    """
    cache: dict[str, sqlite_utils.Database] | None = getattr(_local, "dbs", None)
    if cache is None or getattr(_local, "pid", None) != os.getpid():
        cache = _local.dbs = {}
        _local.pid = os.getpid()
    key = str(path)
    db = cache.pop(key, None)
    if db is not None and db.conn.in_transaction:  # left open by an aborted request
        db.conn.execute("ROLLBACK")
    if db is None:
        db = connect(path)
        while len(cache) >= THREAD_DB_PATHS:
            cache.pop(next(iter(cache))).close()
    cache[key] = db  # most recently used last
    return db


def apply_migrations(
    db: sqlite_utils.Database, sets: Sequence[Migrations] = (migrations,)
) -> list[str]:
    """Apply the pending migrations of each set, set by set in order; the names applied.
    Safe to run concurrently. Each area owns its set (the core ``"bridge"`` set here, the
    ledger's and the SSO links' in their packages); the Bridge lists them all."""
    applied: list[str] = []
    for migration_set in sets:
        pending = [m.name for m in migration_set.pending(db)]
        if pending:
            with write(db):
                # Re-check under the write lock: another process may have migrated meanwhile.
                if migration_set.pending(db):
                    migration_set.apply(db)
            applied += pending
    return applied


def pending_migrations(
    db: sqlite_utils.Database, sets: Sequence[Migrations] = (migrations,)
) -> list[str]:
    """Names of migrations not yet applied, of every set (read-only)."""
    return [m.name for migration_set in sets for m in migration_set.pending(db)]
