"""Processes that open one new database together all start (gunicorn's workers do)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from bridge import store
from bridge.runtime import MIGRATIONS

PROCESSES = 6
ROUNDS = 15


def _open_and_migrate(path: str, barrier: multiprocessing.synchronize.Barrier) -> None:
    barrier.wait()
    db = store.connect(path)
    store.apply_migrations(db, MIGRATIONS)
    db.close()


def test_processes_opening_a_new_database_together_all_start(tmp_path: Path) -> None:
    # Before the journal-mode switch was retried, about one process in twelve lost the
    # race with "database is locked" and its gunicorn worker failed to boot.
    ctx = multiprocessing.get_context("fork")
    failed = []
    for n in range(ROUNDS):
        path = str(tmp_path / f"bridge-{n}.db")
        barrier = ctx.Barrier(PROCESSES)
        procs = [
            ctx.Process(target=_open_and_migrate, args=(path, barrier)) for _ in range(PROCESSES)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(timeout=30)
        failed += [proc.exitcode for proc in procs if proc.exitcode != 0]
        db = store.connect(path)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.pending_migrations(db, MIGRATIONS) == []
        db.close()
    assert failed == []
