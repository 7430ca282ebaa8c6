"""The ledger's own migration set: applied once, beside the store's, safe to re-run."""

from __future__ import annotations

from pathlib import Path

from bridge import store
from bridge.ledger.migrations import APPEND_ONLY, apply_migrations, pending_migrations


def test_ledger_migrations_apply_once_beside_the_stores(tmp_path: Path) -> None:
    db = store.connect(tmp_path / "bridge.sqlite", migrate=True)  # the store's own set
    assert pending_migrations(db) == ["m001_journal", "m002_alerts"]

    assert apply_migrations(db) == ["m001_journal", "m002_alerts"]
    assert apply_migrations(db) == []  # a second start-up finds nothing to do

    sets = db.execute("SELECT DISTINCT migration_set FROM _sqlite_migrations").fetchall()
    assert sorted(s[0] for s in sets) == ["bridge", "ledger"]
    tables = set(db.table_names())
    assert set(APPEND_ONLY) <= tables and "operations" in tables
    triggers = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert {f"{t}_no_{v}" for t in APPEND_ONLY for v in ("update", "delete")} <= triggers
    db.close()


def test_applying_inside_an_open_write_joins_it(tmp_path: Path) -> None:
    db = store.connect(tmp_path / "bridge.sqlite")
    with store.write(db):
        apply_migrations(db)
    assert pending_migrations(db) == []
    db.close()
