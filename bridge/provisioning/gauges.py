"""Read-only counts of provisioning state, for ``/metrics``, the admin console and health.

Every number comes from the ``counters`` table, which triggers keep in the same
transaction as the change they count (migration ``m010_counters``): a read is a handful of
rows whatever the size of ``operations`` or ``jobs``, so a scrape stays flat from a
thousand operations to a million. The one other read, the oldest due job, walks the
``jobs_due`` index to its first row.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils


@dataclass(frozen=True)
class Gauges:
    """A snapshot: rows by (action, state), (kind, state), service state and panel; the
    ``*_total`` counters (only ever up, pruning included); and the queue lag."""

    operations: dict[tuple[str, str], int]
    jobs: dict[tuple[str, str], int]
    services: dict[str, int]
    webhook_events: dict[str, int]
    oldest_due_job_seconds: float
    operations_finished: dict[tuple[str, str], int] = field(default_factory=dict)
    hooks_received: dict[str, int] = field(default_factory=dict)
    jobs_dead: dict[str, int] = field(default_factory=dict)


def read(db: sqlite_utils.Database, now: float | None = None) -> Gauges:
    """The counters; one short read, no writes."""
    now = time.time() if now is None else now
    families: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for family, a, b, value in db.execute("SELECT family, a, b, value FROM counters"):
        families[family][(a, b)] = int(value)
    oldest = db.execute(
        "SELECT min(run_after) FROM jobs WHERE state = 'ready' AND run_after <= ?", [now]
    ).fetchone()[0]

    def single(family: str) -> dict[str, int]:
        return {a: n for (a, _), n in families[family].items()}

    return Gauges(
        operations=families["operations"],
        jobs=families["jobs"],
        services=single("services"),
        webhook_events=single("webhook_events"),
        oldest_due_job_seconds=max(0.0, now - oldest) if oldest is not None else 0.0,
        operations_finished=families["operations_finished_total"],
        hooks_received=single("hooks_received_total"),
        jobs_dead=single("jobs_dead_total"),
    )


def status(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    """The latest job error and operation error: ``{name: {value, detail, at}}``."""
    cur = db.execute("SELECT name, value, detail, at FROM status")
    return {name: {"value": v, "detail": d, "at": at} for name, v, d, at in cur.fetchall()}
