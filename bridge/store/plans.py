"""The copy of Otwa's plan list every process shares: one ``read_cache`` row, ``plans``.

The Bridge hands this to its :class:`bridge.otwa.plans.PlanCache` (which reads it through
the ``SharedPlans`` protocol); the worker refreshes it before it goes stale. The row is
disposable like every ``read_cache`` row: a missing, unreadable or unwritable copy only
means one more ``GET /products``, so database errors here are swallowed, not raised.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

from bridge import store

KEY = "plans"
log = logging.getLogger("bridge.store.plans")


class DatabasePlans:
    """The shared plan list in the database at ``path``."""

    def __init__(self, path: str | Path) -> None:
        self._path = path

    def load(self) -> tuple[list[dict[str, Any]], float] | None:
        """Otwa's ``GET /products`` items and when they were fetched; None if none kept."""
        try:
            row = (
                store.thread_db(self._path)
                .execute("SELECT value, fetched_at FROM read_cache WHERE key = ?", [KEY])
                .fetchone()
            )
        except (sqlite3.Error, OSError, store.CannotOpen) as exc:  # not migrated, locked
            log.info("no shared plan list: %s", exc)
            return None
        if row is None or row[0] is None or row[1] <= 0:
            return None
        items = json.loads(row[0])
        return (items, float(row[1])) if isinstance(items, list) else None

    def save(self, items: list[dict[str, Any]], fetched_at: float) -> None:
        """Keep ``items`` (no fsync: a lost copy costs one call)."""
        self._put(json.dumps(items), fetched_at)

    def forget(self) -> None:
        """Mark the copy stale: the next reader asks Otwa."""
        self._put(None, 0.0)

    def _put(self, value: str | None, fetched_at: float) -> None:
        try:
            db = store.thread_db(self._path)
            with store.write(db, durable=False):
                db.execute(
                    "INSERT INTO read_cache (key, value, error, fetched_at) VALUES (?, ?, NULL, ?)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value, error = NULL,"
                    " fetched_at = excluded.fetched_at",
                    [KEY, value, fetched_at],
                )
        except (sqlite3.Error, OSError, store.CannotOpen) as exc:
            log.warning("could not share the plan list: %s", exc)
