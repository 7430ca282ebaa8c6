"""Online backups of the bridge's database and restoring one (docs/operations.md).

One SQLite file holds everything worth keeping: operations, jobs, services, remembered
hooks, the ledger and the spent SSO link ids. :func:`backup` copies it with SQLite's
backup API while the bridge runs: one step under one read transaction, so the copy is a
consistent snapshot (WAL readers never block writers; the hooks keep flowing). The copy
is a single self-contained file (rollback journal, no ``-wal``), private (0600), written
under a temporary name and renamed only once checked (``PRAGMA integrity_check``).

The rate-limit budget (``OTWA_BUDGET_PATH``) is not backed up: it holds the last minute of
Otwa calls, nothing else, and starts empty on its own.

:func:`restore` puts a backup in place of the database, and only while no process has it
open (serve and every worker stopped): it checks the backup, keeps a copy of the current
database beside the backups, then writes the backup's pages into the database through the
backup API, so SQLite itself replaces the file, journal and WAL included (copying the file
over a database whose stale ``-wal`` is left behind would corrupt it). Run
``otwa-bridge migrate`` after it, then start the bridge.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from bridge.files import private_dir, private_file, sqlite_companions

# Tables whose row counts a backup reports (those that exist in the file).
COUNTED = (
    "operations",
    "jobs",
    "services",
    "webhook_events",
    "ledger_transactions",
    "ledger_entries",
    "sso_spent",
)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Summary:
    """What a backup file holds: its path, size and row counts of the main tables."""

    path: Path
    size: int
    rows: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        counts = ", ".join(f"{n} {table}" for table, n in self.rows.items())
        return f"{self.path} ({self.size / 1024:.0f} KiB; {counts}; integrity ok)"


def default_destination(database: str | os.PathLike[str], now: float | None = None) -> Path:
    """``<database's folder>/backups/<name>-<UTC time>.sqlite``."""
    db = Path(database)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    return db.parent / "backups" / f"{db.stem}-{stamp}.sqlite"


def backup(database: str | os.PathLike[str], dest: str | os.PathLike[str]) -> Summary:
    """Copy ``database`` to ``dest`` online and consistently (module docstring); a
    directory ``dest`` gets a timestamped file. Raises BackupError when ``database`` does
    not exist, ``dest`` does, or the copy fails its check. A ``dest`` ending in ``/`` is a
    folder (made 0700 if missing)."""
    source = Path(database)
    if not source.is_file():
        raise BackupError(f"{source} does not exist: nothing to back up (BRIDGE_DATABASE)")
    target = Path(dest)
    if target.is_dir() or str(dest).endswith(("/", os.sep)):
        target = target / default_destination(source).name
    if target.exists():
        raise BackupError(f"{target} already exists; give another --to")
    private_dir(target.parent)
    partial = target.with_name(f".{target.name}.partial")
    for leftover in sqlite_companions(partial):
        leftover.unlink(missing_ok=True)
    private_file(partial)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.execute("PRAGMA busy_timeout = 30000")
        src.backup(dst)  # all pages in one step: one consistent snapshot
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        _check(dst, partial)
        rows = _counts(dst)
    finally:
        dst.close()
        src.close()
    partial.rename(target)
    return Summary(target, target.stat().st_size, rows)


def restore(
    backup_file: str | os.PathLike[str], database: str | os.PathLike[str]
) -> tuple[Summary, Path | None]:
    """Replace ``database``'s content with ``backup_file``'s; (what was restored, the copy
    kept of the database it replaced, or None when there was none). Raises BackupError when
    the backup is not a sound bridge database or ``database`` is in use."""
    source = Path(backup_file)
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        try:
            _check(src, source)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not an SQLite database: {exc}") from None
        if not _tables(src) & {"operations", "_sqlite_migrations"}:
            raise BackupError(f"{source} holds no bridge tables: is it a bridge backup?")
        rows = _counts(src)
        target = Path(database)
        kept = None
        if target.exists():
            _refuse_if_in_use(target)
            kept = backup(target, default_destination(target).with_name(
                "before-restore-" + default_destination(target).name
            )).path  # fmt: skip
        private_file(target)
        dst = sqlite3.connect(target, timeout=5)
        try:
            if dst.execute("PRAGMA journal_mode = DELETE").fetchone()[0] != "delete":
                raise BackupError(_IN_USE.format(target))
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = WAL")
            _check(dst, target)
        finally:
            dst.close()
    finally:
        src.close()
    return Summary(target, target.stat().st_size, rows), kept


_IN_USE = (
    "{} is in use: stop `otwa-bridge serve` and every `otwa-bridge worker` first "
    "(docs/operations.md, 'Restore')"
)


def _refuse_if_in_use(database: Path) -> None:
    """A WAL database changes journal mode only when no other connection has it open: try
    it (and change it back), a cheap and exact "is anybody using this?"."""
    conn = sqlite3.connect(database, timeout=1)
    try:
        conn.execute("PRAGMA busy_timeout = 1000")
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode == "wal":
            try:
                changed = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            except sqlite3.OperationalError:  # locked
                changed = "wal"
            if changed != "delete":
                raise BackupError(_IN_USE.format(database))
            conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


def _check(conn: sqlite3.Connection, path: Path) -> None:
    result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {result}")


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    present = _tables(conn)
    return {
        table: int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])  # noqa: S608
        for table in COUNTED
        if table in present
    }
