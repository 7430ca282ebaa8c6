"""Read-only counts of provisioning state, for the Prometheus endpoint and health checks."""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlite_utils


@dataclass(frozen=True)
class Gauges:
    """A snapshot: counts by (action, state), (kind, state), service state, and queue lag."""

    operations: dict[tuple[str, str], int]
    jobs: dict[tuple[str, str], int]
    services: dict[str, int]
    webhook_events: dict[str, int]
    oldest_due_job_seconds: float


def read(db: sqlite_utils.Database, now: float | None = None) -> Gauges:
    """Count rows; one short read transaction, no writes."""
    now = time.time() if now is None else now
    q = db.execute
    operations = {
        (a, s): n for a, s, n in q("SELECT action, state, count(*) FROM operations GROUP BY 1, 2")
    }
    jobs = {(k, s): n for k, s, n in q("SELECT kind, state, count(*) FROM jobs GROUP BY 1, 2")}
    services = dict(q("SELECT state, count(*) FROM services GROUP BY 1").fetchall())
    events = dict(q("SELECT panel, count(*) FROM webhook_events GROUP BY 1").fetchall())
    oldest = q("SELECT min(run_after) FROM jobs WHERE state = 'ready' AND run_after <= ?", [now])
    first_due = oldest.fetchone()[0]
    return Gauges(
        operations=operations,
        jobs=jobs,
        services=services,
        webhook_events=events,
        oldest_due_job_seconds=max(0.0, now - first_due) if first_due is not None else 0.0,
    )
