"""Is Otwa reachable, and how is the budget: what the admin console's health page shows.

The probe is one ``GET /account`` (interactive priority, no retries, no waiting for the
budget, 3 s timeout), made at most once per ``PROBE_EVERY`` seconds across every process:
its result is kept in the ``status`` table, so a page view does not spend a budget slot
each time and every gunicorn worker shows the same answer.
"""

from __future__ import annotations

import json
import time
from typing import Any

import sqlite_utils

from bridge import store
from bridge.otwa.errors import OtwaError
from bridge.provisioning import gauges
from bridge.runtime import Bridge

PROBE_EVERY = 30.0


def _kept(db: sqlite_utils.Database) -> dict[str, Any] | None:
    row = db.execute("SELECT value, at FROM status WHERE name = 'otwa_probe'").fetchone()
    if row is None:
        return None
    return {**json.loads(row[0]), "at": row[1]}


def probe(bridge: Bridge, db: sqlite_utils.Database, *, fresh: bool = False) -> dict[str, Any]:
    """``{"reachable": bool, "latency_ms": float | None, "error": str | None, "at": epoch}``:
    the last probe when younger than ``PROBE_EVERY`` (unless ``fresh``), else a new one."""
    now = bridge.clock.now()
    kept = _kept(db)
    if kept is not None and not fresh and now - kept["at"] < PROBE_EVERY:
        return kept
    client = bridge.client().with_options(
        priority="interactive", max_retries=0, timeout=3.0, budget_wait=0.0
    )
    started = time.monotonic()
    result: dict[str, Any]
    try:
        client.account()
        result = {"reachable": True, "error": None}
    except OtwaError as exc:
        result = {"reachable": False, "error": f"{exc.__class__.__name__}: {exc}"[:300]}
    result["latency_ms"] = round((time.monotonic() - started) * 1000, 1)
    # No fsync: a lost probe result is simply probed again.
    with store.write(db, durable=False):
        db.execute(
            "INSERT INTO status (name, value, detail, at) VALUES ('otwa_probe', ?, NULL, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value, at = excluded.at",
            [json.dumps(result), now],
        )
    return {**result, "at": now}


def overview(bridge: Bridge, db: sqlite_utils.Database) -> dict[str, Any]:
    """Budget usage, Otwa reachability, the latest errors and the queue, for the console."""
    g = gauges.read(db, bridge.clock.now())
    usage = bridge.budget.usage(bridge.settings.otwa_api_key.get_secret_value())
    return {
        "otwa": {"base_url": bridge.settings.otwa_base_url, **probe(bridge, db)},
        "budget": {
            **usage,
            "window_seconds": bridge.settings.otwa_rate_window,
            "reserve": bridge.settings.otwa_rate_reserve,
        },
        "last_errors": gauges.status(db),
        "queue": {
            "oldest_due_job_seconds": g.oldest_due_job_seconds,
            "jobs": {f"{k}/{s}": n for (k, s), n in sorted(g.jobs.items()) if n},
            "operations": {f"{a}/{s}": n for (a, s), n in sorted(g.operations.items()) if n},
        },
    }
