"""Operator views and controls behind ``otwa-bridge ops list|show|retry|cancel``."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from bridge import store
from bridge.errors import BridgeError
from bridge.provisioning import intake, jobs
from bridge.provisioning import operations as ops
from bridge.runtime import Bridge


def list_operations(
    db: sqlite_utils.Database,
    *,
    states: tuple[str, ...] = (),
    service_id: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Newest first: id, action, panel, service, generation, state, attempts (of the latest
    job), last error (definitive error, else the latest transient trouble), updated."""
    where, params = [], []
    if states:
        where.append(f"o.state IN ({', '.join('?' for _ in states)})")
        params += list(states)
    if service_id:
        where.append("o.service_id = ?")
        params.append(service_id)
    clause = " WHERE " + " AND ".join(where) if where else ""
    # Only placeholders are interpolated below.
    sql = (
        "SELECT o.id, o.action, o.panel, o.service_id, o.generation, o.state, o.server_id,"  # noqa: S608
        " o.error_code, o.error_message, o.last_error, o.updated_at,"
        " (SELECT j.attempts FROM jobs j WHERE j.operation_id = o.id"
        "  AND j.kind != 'notify' ORDER BY j.id DESC LIMIT 1) AS attempts,"
        " (SELECT j.kind FROM jobs j WHERE j.operation_id = o.id"
        "  AND j.kind != 'notify' ORDER BY j.id DESC LIMIT 1) AS job,"
        " (SELECT j.last_error FROM jobs j WHERE j.operation_id = o.id"
        "  AND j.kind != 'notify' ORDER BY j.id DESC LIMIT 1) AS job_error"
        f" FROM operations o{clause}"
        " ORDER BY o.updated_at DESC LIMIT ?"
    )
    cur = db.execute(sql, [*params, limit])
    cols = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        item = dict(zip(cols, row, strict=True))
        item["attempts"] = item["attempts"] or 0
        item["error"] = (
            f"{item['error_code']}: {item['error_message']}"
            if item["error_code"]
            else (item["last_error"] or item["job_error"] or "")
        )
        out.append(item)
    return out


def show(db: sqlite_utils.Database, operation_id: str) -> dict[str, Any]:
    """The operation, its transition history (oldest first) and its jobs."""
    op = ops.get(db, operation_id)
    if op is None:
        raise BridgeError(f"No operation {operation_id}.", code="not_found", status=404)
    return {"operation": op, "history": ops.history(db, operation_id), "jobs": _jobs(db, op)}


def _jobs(db: sqlite_utils.Database, op: dict[str, Any]) -> list[dict[str, Any]]:
    cur = db.execute(
        "SELECT id, kind, state, attempts, max_attempts, run_after, last_error FROM jobs"
        " WHERE operation_id = ? ORDER BY id",
        [op["id"]],
    )
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def retry(db: sqlite_utils.Database, operation_id: str, bridge: Bridge) -> str:
    """Re-queue a failed, dead or cancelled operation; returns the state it resumes in."""
    with store.write(db):
        op = ops.get(db, operation_id)
        if op is None:
            raise BridgeError(f"No operation {operation_id}.", code="not_found", status=404)
        return intake.reopen(db, op, bridge)


def cancel(db: sqlite_utils.Database, operation_id: str, bridge: Bridge) -> None:
    """Cancel a queued or scheduled operation whose job is not running right now."""
    with store.write(db):
        now = bridge.clock.now()
        op = ops.get(db, operation_id)
        if op is None:
            raise BridgeError(f"No operation {operation_id}.", code="not_found", status=404)
        if op["state"] not in (ops.QUEUED, ops.SCHEDULED, ops.WRITEBACK):
            raise BridgeError(
                f"Operation {operation_id} is {op['state']}; only queued, scheduled or "
                "write-back operations can be cancelled.",
                code="not_cancellable",
                status=409,
            )
        if jobs.leased_now(db, operation_id, now=now):
            raise BridgeError(
                f"Operation {operation_id} is running right now; try again in a moment.",
                code="in_progress",
                status=409,
            )
        jobs.cancel_all(db, operation_id, now=now)
        ops.transition(
            db,
            op,
            ops.CANCELLED,
            now=now,
            reason="cancelled by operator",
            error_message="Cancelled by an operator (otwa-bridge ops cancel).",
        )
        if op["action"] == "terminate" and op["state"] == ops.CANCELLED:
            ops.update_service(db, op["panel"], op["service_id"], now=now, state="active")
