"""Operator views and controls behind ``otwa-bridge ops list|show|retry|cancel``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from bridge import store
from bridge.commands import ACTIONS, Command
from bridge.errors import BridgeError
from bridge.provisioning import intake, jobs
from bridge.provisioning import operations as ops
from bridge.runtime import Bridge

STATES = (*ops.OPEN_STATES, *ops.FINAL_STATES)
ERROR_WIDTH = 100


@dataclass(frozen=True)
class Filter:
    """Which operations to list: every field narrows the list (empty: no narrowing).
    ``since``/``until``: creation time bounds, epoch seconds (``since`` <= created < ``until``).
    """

    states: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    panel: str | None = None
    service_id: str | None = None
    since: float | None = None
    until: float | None = None

    def check(self) -> None:
        """Refuse (400) a state or action that does not exist, naming the valid ones."""
        bad = [s for s in self.states if s not in STATES]
        if bad:
            raise BridgeError(
                f"No operation state {bad[0]!r}; use one of: {', '.join(STATES)}.",
                code="bad_filter",
            )
        bad = [a for a in self.actions if a not in ACTIONS]
        if bad:
            raise BridgeError(
                f"No action {bad[0]!r}; use one of: {', '.join(ACTIONS)}.", code="bad_filter"
            )


def _where(f: Filter) -> tuple[str, list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    for column, values in (("o.state", f.states), ("o.action", f.actions)):
        if values:
            where.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params += list(values)
    for column, value in (("o.panel", f.panel), ("o.service_id", f.service_id)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if f.since is not None:
        where.append("o.created_at >= ?")
        params.append(f.since)
    if f.until is not None:
        where.append("o.created_at < ?")
        params.append(f.until)
    return (" WHERE " + " AND ".join(where) if where else ""), params


def shorten(text: str, width: int = ERROR_WIDTH) -> str:
    """``text`` cut to ``width`` characters, ending in an ellipsis when cut."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def list_operations(
    db: sqlite_utils.Database,
    f: Filter | None = None,
    *,
    limit: int = 50,
    before: tuple[float, str] | None = None,
) -> list[dict[str, Any]]:
    """Operations newest first by creation time (then id): id, action, panel, service,
    generation, state, server, created/updated, attempts (of the latest job) and ``error``.

    ``error`` is the definitive error of a failed/dead/cancelled operation; for an open one,
    the latest transient trouble (of the operation or its job); a finished operation never
    shows trouble it got past. ``before`` = (created_at, id) of the last row of the previous
    page (keyset paging, flat at any table size). Raises a 400 BridgeError for a filter
    naming a state or action that does not exist.
    """
    f = f or Filter()
    f.check()
    clause, params = _where(f)
    if before is not None:
        clause += (" AND " if clause else " WHERE ") + "(o.created_at, o.id) < (?, ?)"
        params += list(before)
    # Only placeholders and our own column names are interpolated below.
    sql = (
        "SELECT o.id, o.action, o.panel, o.service_id, o.generation, o.state, o.server_id,"  # noqa: S608
        " o.error_code, o.error_message, o.last_error, o.created_at, o.updated_at,"
        " (SELECT j.attempts FROM jobs j WHERE j.operation_id = o.id"
        "  AND j.kind != 'notify' ORDER BY j.id DESC LIMIT 1) AS attempts,"
        " (SELECT j.kind FROM jobs j WHERE j.operation_id = o.id"
        "  AND j.kind != 'notify' ORDER BY j.id DESC LIMIT 1) AS job,"
        " (SELECT j.last_error FROM jobs j WHERE j.operation_id = o.id"
        "  AND j.kind != 'notify' ORDER BY j.id DESC LIMIT 1) AS job_error"
        f" FROM operations o{clause}"
        " ORDER BY o.created_at DESC, o.id DESC LIMIT ?"
    )
    cur = db.execute(sql, [*params, max(1, min(int(limit), 1000))])
    cols = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        item = dict(zip(cols, row, strict=True))
        item["attempts"] = item["attempts"] or 0
        item["error"] = error_of(item)
        out.append(item)
    return out


def error_of(item: dict[str, Any]) -> str:
    """What went wrong, as an operator needs it: the definitive error of a failed, dead or
    cancelled operation; the latest trouble of an open one; nothing for a done one."""
    if item.get("error_code") or item["state"] in (ops.FAILED, ops.DEAD, ops.CANCELLED):
        if item.get("error_code"):
            return f"{item['error_code']}: {item.get('error_message') or ''}".rstrip(": ")
        return str(item.get("error_message") or item.get("job_error") or "")
    if item["state"] in ops.OPEN_STATES:
        return str(item.get("last_error") or item.get("job_error") or "")
    return ""


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


def cancel(db: sqlite_utils.Database, operation_id: str, bridge: Bridge) -> str:
    """Cancel a queued, scheduled or write-back operation whose job is not running right
    now; returns one sentence saying what happens next.

    Cancelling a terminate in its grace period leaves the service active: its server,
    stopped by the terminate, is started again by a new ``power start`` operation (the
    worker runs it), unless the service is suspended, when it stays stopped (the sentence
    says so).
    """
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
        was = op["state"]
        jobs.cancel_all(db, operation_id, now=now)
        ops.transition(
            db,
            op,
            ops.CANCELLED,
            now=now,
            reason="cancelled by operator",
            error_message="Cancelled by an operator (otwa-bridge ops cancel).",
        )
        if op["action"] != "terminate":
            return f"{operation_id}: cancelled"
        ops.update_service(db, op["panel"], op["service_id"], now=now, state="active")
        if was != ops.SCHEDULED:
            return (
                f"{operation_id}: cancelled before it stopped the server; the service stays active"
            )
        service = ops.get_service(db, op["panel"], op["service_id"]) or {}
        if service.get("suspended"):
            return (
                f"{operation_id}: cancelled; the service is suspended, so its server stays "
                "stopped (unsuspend it to start it)"
            )
        started = _start_again(db, op, bridge)
        return f"{operation_id}: cancelled; the server is being started again (operation {started})"


def _start_again(db: sqlite_utils.Database, op: dict[str, Any], bridge: Bridge) -> str:
    """Record a ``power start`` of the terminate's service, due for the worker at once."""
    command = Command(
        panel=op["panel"],
        action="power",
        service_id=op["service_id"],
        webhook_id=f"operator-{op['id']}",
        params={"action": "start"},
        request_id=op.get("request_id"),
    )
    started = intake.record(db, command, bridge)
    job = jobs.open_job(db, started)
    if job is not None:  # no hook tries it inline: the worker may take it now
        jobs.hand_over(db, int(job["id"]), now=bridge.clock.now())
    return started


def list_services(
    db: sqlite_utils.Database,
    *,
    panel: str | None = None,
    service_id: str | None = None,
    state: str | None = None,
    limit: int = 50,
    after: tuple[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Panel services and their Otwa servers, by panel then service id: generation, state,
    suspended, server id, label, plan, owner, and the IPs the current generation's build
    reported (``ip``, ``additional_ips``). ``after`` = (panel, service_id) of the last row
    of the previous page."""
    where: list[str] = []
    params: list[Any] = []
    for column, value in (("s.panel", panel), ("s.service_id", service_id), ("s.state", state)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if after is not None:
        where.append("(s.panel, s.service_id) > (?, ?)")
        params += list(after)
    clause = " WHERE " + " AND ".join(where) if where else ""
    sql = (
        "SELECT s.panel, s.service_id, s.generation, s.state, s.suspended, s.server_id,"  # noqa: S608
        " s.label, s.plan, s.client_id, s.product_id, s.created_at, s.updated_at,"
        " (SELECT o.result FROM operations o WHERE o.panel = s.panel"
        "  AND o.service_id = s.service_id AND o.generation = s.generation"
        "  AND o.action = 'create') AS built"
        f" FROM services s{clause} ORDER BY s.panel, s.service_id LIMIT ?"
    )
    cur = db.execute(sql, [*params, max(1, min(int(limit), 1000))])
    cols = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        item = dict(zip(cols, row, strict=True))
        built = json.loads(item.pop("built") or "{}")
        item["suspended"] = bool(item["suspended"])
        item["ip"] = built.get("ip")
        item["additional_ips"] = list(built.get("additional_ips") or [])
        out.append(item)
    return out


def dead_letters(db: sqlite_utils.Database, *, limit: int = 100) -> list[dict[str, Any]]:
    """Dead jobs, most recent first, with their operation: what needs a human (retry the
    operation once the cause is fixed: ``otwa-bridge ops retry`` or the console)."""
    cur = db.execute(
        "SELECT j.id AS job_id, j.kind, j.attempts, j.max_attempts, j.last_error,"
        " j.updated_at AS died_at, o.id AS operation_id, o.action, o.panel, o.service_id,"
        " o.generation, o.state FROM jobs j JOIN operations o ON o.id = j.operation_id"
        " WHERE j.state = 'dead' ORDER BY j.updated_at DESC, j.id DESC LIMIT ?",
        [max(1, min(int(limit), 1000))],
    )
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
