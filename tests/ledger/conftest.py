"""A real SQLite file per test with the ledger's migrations applied."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

from bridge import store
from bridge.ledger.migrations import apply_migrations


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    database = store.connect(tmp_path / "ledger.sqlite")
    apply_migrations(database)
    yield database
    database.close()
