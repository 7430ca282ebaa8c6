"""Spending link ids: exactly one winner however clicks race; pruned after expiry."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest
import sqlite_utils

from bridge import store
from bridge.sso import migrations, spent
from tests.sso.conftest import T0

JTI = "jti-0123456789abcdefghij"


def spend(db: sqlite_utils.Database, jti: str = JTI, *, expires_at: float = T0 + 600) -> bool:
    return spent.consume(db, jti, expires_at=expires_at, now=T0, panel="whmcs", service_id="1")


def test_an_id_is_spent_once_and_the_row_says_by_whom(db: sqlite_utils.Database) -> None:
    assert not spent.is_spent(db, JTI)
    assert spend(db) is True
    assert spend(db) is False
    assert spent.is_spent(db, JTI)
    rows = list(db["sso_spent"].rows)
    assert rows == [
        {
            "jti": JTI,
            "panel": "whmcs",
            "service_id": "1",
            "spent_at": T0,
            "expires_at": T0 + 600,
        }
    ]


def test_threads_racing_on_their_own_connections_have_one_winner(sso_db_path: Path) -> None:
    n = 8
    barrier = threading.Barrier(n)
    results: list[bool] = []
    lock = threading.Lock()

    def click() -> None:
        db = store.connect(sso_db_path)
        try:
            barrier.wait(timeout=10)
            won = spend(db)
        finally:
            db.close()
        with lock:
            results.append(won)

    threads = [threading.Thread(target=click) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [False] * (n - 1) + [True]


def _click_in_a_process(path: str, barrier: object, out: object) -> None:
    db = store.connect(path)
    barrier.wait(timeout=60)  # type: ignore[attr-defined]
    out.put(spend(db))  # type: ignore[attr-defined]
    db.close()


def test_processes_racing_have_one_winner(sso_db_path: Path) -> None:
    # Threads of one process queue on the store's lock; processes meet only at SQLite's.
    ctx = multiprocessing.get_context("spawn")
    n = 3
    barrier, out = ctx.Barrier(n), ctx.Queue()
    procs = [
        ctx.Process(target=_click_in_a_process, args=(str(sso_db_path), barrier, out))
        for _ in range(n)
    ]
    for p in procs:
        p.start()
    results = sorted(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    assert results == [False] * (n - 1) + [True]


def test_release_gives_an_id_back_once(db: sqlite_utils.Database) -> None:
    spend(db)
    assert spent.release(db, JTI) is True
    assert spent.release(db, JTI) is False
    assert spend(db) is True  # the same link can be clicked again


def test_prune_drops_only_ids_past_expiry_plus_grace(db: sqlite_utils.Database) -> None:
    spend(db, "a" * 22, expires_at=T0 + 100)
    spend(db, "b" * 22, expires_at=T0 + 600)
    assert spent.prune(db, T0 + 100 + spent.PRUNE_GRACE) == 0  # not yet past the grace
    assert spent.prune(db, T0 + 101 + spent.PRUNE_GRACE) == 1
    assert not spent.is_spent(db, "a" * 22) and spent.is_spent(db, "b" * 22)
    assert spent.prune(db, T0 + 10_000) == 1
    assert db["sso_spent"].count == 0


def test_migrations_apply_once_beside_the_core_set(tmp_path: Path) -> None:
    db = store.connect(tmp_path / "bridge.sqlite", migrate=True)  # the core "bridge" set
    assert migrations.pending(db) == ["m001_sso_spent"]
    assert migrations.apply(db) == ["m001_sso_spent"]
    assert migrations.apply(db) == [] and migrations.pending(db) == []
    sets = {r["migration_set"] for r in db["_sqlite_migrations"].rows}
    assert sets == {"bridge", "sso"}
    assert db["sso_spent"].pks == ["jti"]
    db.close()


def test_a_spend_without_the_table_fails_loudly_and_leaves_no_transaction(
    tmp_path: Path,
) -> None:
    db = store.connect(tmp_path / "empty.sqlite")
    with pytest.raises(sqlite3.OperationalError, match="sso_spent"):
        spend(db)
    assert not db.conn.in_transaction
    db.close()
