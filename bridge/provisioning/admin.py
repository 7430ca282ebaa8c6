"""Operator views and controls behind ``otwa-bridge ops list|retry|cancel``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlite_utils

from bridge import store
from bridge.errors import BridgeError
from bridge.provisioning import intake, jobs
from bridge.provisioning import operations as ops


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


def retry(db: sqlite_utils.Database, operation_id: str, settings: Mapping[str, Any]) -> str:
    """Re-queue a failed, dead or cancelled operation; returns the state it resumes in."""
    with store.write(db):
        op = ops.get(db, operation_id)
        if op is None:
            raise BridgeError(f"No operation {operation_id}.", code="not_found", status=404)
        return intake.reopen(db, op, settings)


def cancel(db: sqlite_utils.Database, operation_id: str) -> None:
    """Cancel a queued or scheduled operation whose job is not running right now."""
    with store.write(db):
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
        leased = db.execute(
            "SELECT 1 FROM jobs WHERE operation_id = ? AND state = 'leased'"
            " AND lease_expires_at >= ?",
            [operation_id, ops.now()],
        ).fetchone()
        if leased:
            raise BridgeError(
                f"Operation {operation_id} is running right now; try again in a moment.",
                code="in_progress",
                status=409,
            )
        db.execute(
            "UPDATE jobs SET state = 'cancelled', updated_at = ? WHERE operation_id = ?"
            " AND state IN ('ready', 'leased')",
            [ops.now(), operation_id],
        )
        ops.transition(
            db,
            op,
            ops.CANCELLED,
            reason="cancelled by operator",
            error_message="Cancelled by an operator (otwa-bridge ops cancel).",
        )
        if op["action"] == "terminate" and op["state"] == ops.CANCELLED:
            ops.update_service(db, op["panel"], op["service_id"], state="active")


__all__ = ["list_operations", "retry", "cancel", "jobs"]
