"""Pruning finished operations (and their jobs and history) after ``PRUNE_AFTER_DAYS``.

What is kept, whatever its age (docs/admin.md, "Pruning"):

* every open operation (queued, building, writeback, scheduled) and every operation with
  an open job (a notice still to send);
* every operation a remembered hook still points at (``webhook_events.operation_id``): a
  replay of that ``webhook-id`` is answered from it;
* the create operation of each service's current generation: a late create hook for the
  same service finds it (and never orders a second server);
* every operation another table names in an ``operation_id`` column (the ledger's
  entries, when it lands; any later area's rows): found in the schema at prune time, so a
  new table is protected without touching this module.

Deletes go in small batches, each its own short transaction (a hook never waits long
for the write lock); the ``counters`` triggers move the gauges down and leave the
``*_total`` counters as they were.
"""

from __future__ import annotations

import logging

import sqlite_utils

from bridge import store

log = logging.getLogger("bridge.provisioning.retention")
BATCH = 500
PRUNED_WITH_OPERATION = ("jobs", "operation_transitions")
_FINAL = "('done', 'failed', 'dead', 'cancelled')"


def _referring_tables(db: sqlite_utils.Database) -> list[str]:
    """Tables other than the operation's own that have an ``operation_id`` column."""
    names = [
        str(r[0])
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    out = []
    for name in names:
        if name in PRUNED_WITH_OPERATION or name == "operations":
            continue
        columns = {str(c[1]) for c in db.execute(f'PRAGMA table_info("{name}")')}
        if "operation_id" in columns:
            out.append(name)
    return out


def prunable(db: sqlite_utils.Database, *, before: float, limit: int = BATCH) -> list[str]:
    """Ids of up to ``limit`` operations that may go (see the module docstring), oldest
    first by last change."""
    kept = " ".join(
        f'AND NOT EXISTS (SELECT 1 FROM "{t}" r WHERE r.operation_id = o.id)'  # noqa: S608
        for t in _referring_tables(db)
    )
    sql = (
        "SELECT o.id FROM operations o"  # noqa: S608 - table names come from the schema
        f" WHERE o.updated_at < ? AND o.state IN {_FINAL}"
        " AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.operation_id = o.id"
        "  AND j.state IN ('ready', 'leased'))"
        " AND NOT (o.action = 'create' AND EXISTS (SELECT 1 FROM services s"
        "  WHERE s.panel = o.panel AND s.service_id = o.service_id"
        "  AND s.generation = o.generation))"
        f" {kept} ORDER BY o.updated_at, o.id LIMIT ?"
    )
    return [str(r[0]) for r in db.execute(sql, [before, limit])]


def prune(db: sqlite_utils.Database, *, before: float, batch: int = BATCH) -> int:
    """Delete every prunable operation last changed before ``before`` (epoch s), with its
    jobs and transitions; the number of operations deleted."""
    total = 0
    while True:
        # No fsync: rows a power cut brings back are simply pruned again.
        with store.write(db, durable=False):
            ids = prunable(db, before=before, limit=batch)
            if ids:
                marks = ", ".join("?" for _ in ids)
                for table in (*PRUNED_WITH_OPERATION, "operations"):
                    column = "id" if table == "operations" else "operation_id"
                    db.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", ids)  # noqa: S608
        total += len(ids)
        if len(ids) < batch:
            break
    if total:
        log.info("pruned finished operations", extra={"count": total, "before": before})
    return total
