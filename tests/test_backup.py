"""bridge.store.backup: a copy taken during writes is one consistent snapshot; a restore
needs a sound bridge database and an unused target."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from bridge import store
from bridge.store.backup import BackupError, backup, restore


def test_a_backup_during_writes_is_one_snapshot(tmp_path: Path) -> None:
    """A writer adds one row to each of two tables per transaction; every copy taken
    meanwhile holds as many rows in one as in the other."""
    path = tmp_path / "bridge.sqlite"
    db = store.connect(path, migrate=True)
    db.execute("CREATE TABLE a (n)")
    db.execute("CREATE TABLE b (n)")
    stop = threading.Event()

    def write() -> None:
        writer = store.connect(path)
        n = 0
        while not stop.is_set():
            with store.write(writer, durable=False):
                writer.execute("INSERT INTO a VALUES (?)", [n])
                writer.execute("INSERT INTO b VALUES (?)", [n])
            n += 1
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        counts = []
        for i in range(5):
            made = backup(path, tmp_path / f"copy-{i}.sqlite")
            conn = sqlite3.connect(made.path)
            counts.append(tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
                                for t in ("a", "b")))  # fmt: skip
            conn.close()
    finally:
        stop.set()
        thread.join()
        db.close()
    assert all(x == y for x, y in counts), counts
    assert counts[-1][0] > 0


def test_restore_into_a_fresh_place(tmp_path: Path) -> None:
    db = store.connect(tmp_path / "bridge.sqlite", migrate=True)
    db.close()
    made = backup(tmp_path / "bridge.sqlite", f"{tmp_path}/backups/")
    restored, kept = restore(made.path, tmp_path / "new" / "bridge.sqlite")
    assert kept is None and restored.rows == made.rows
    assert store.pending_migrations(store.connect(restored.path)) == []


def test_restore_refuses_a_database_in_use(tmp_path: Path) -> None:
    path = tmp_path / "bridge.sqlite"
    db = store.connect(path, migrate=True)
    made = backup(path, tmp_path / "copy.sqlite")
    try:
        with pytest.raises(BackupError, match="is in use"):
            restore(made.path, path)
    finally:
        db.close()
    restore(made.path, path)  # once nobody has it open


def test_restore_refuses_a_database_that_is_not_the_bridges(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(BackupError, match="no bridge tables"):
        restore(other, tmp_path / "bridge.sqlite")
