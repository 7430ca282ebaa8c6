"""The operation state machine: rows of ``operations`` and ``services``, their transitions
and how an operation renders as the hook's reply.

States (docs/provisioning.md)::

    queued ──► building ──► writeback ──► done      (create, reinstall)
       │          │             │
       │          └──► failed   └──► failed / dead
       ├──► writeback ──► done                       (reset_password)
       ├──► scheduled ──► done | cancelled            (terminate with a grace period)
       ├──► done | failed | dead | cancelled          (everything else)

``queued`` covers "waiting for its job" and "being retried" (``last_error`` says why).
Every transition goes through :func:`transition`, which logs one structured line with the
request id carried from the hook. Callers hold the write transaction; nothing here calls
HTTP.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import sqlite_utils

from bridge.provisioning.commands import Outcome

log = logging.getLogger("bridge.provisioning")

QUEUED, BUILDING, WRITEBACK, SCHEDULED = "queued", "building", "writeback", "scheduled"
DONE, FAILED, DEAD, CANCELLED = "done", "failed", "dead", "cancelled"
OPEN_STATES = (QUEUED, BUILDING, WRITEBACK, SCHEDULED)
FINAL_STATES = (DONE, FAILED, DEAD, CANCELLED)
# A state past "the Otwa call was accepted": the hook reply is a success (200).
ACCEPTED_STATES = (BUILDING, WRITEBACK, DONE)

READ_ACTIONS = ("sso", "status", "usage", "test_connection")


def now() -> float:
    return time.time()


def get(db: sqlite_utils.Database, operation_id: str) -> dict[str, Any] | None:
    """The operation row with ``params``/``result`` decoded, or None."""
    row = db.execute("SELECT * FROM operations WHERE id = ?", [operation_id]).fetchone()
    if row is None:
        return None
    cols = [d[0] for d in db.execute("SELECT * FROM operations LIMIT 0").description]
    op = dict(zip(cols, row, strict=True))
    op["params"] = json.loads(op["params"] or "{}")
    op["result"] = json.loads(op["result"]) if op["result"] else None
    return op


def get_service(db: sqlite_utils.Database, panel: str, service_id: str) -> dict[str, Any] | None:
    """The service row, or None."""
    cur = db.execute(
        "SELECT * FROM services WHERE panel = ? AND service_id = ?", [panel, service_id]
    )
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cur.description], row, strict=True))


def update_service(db: sqlite_utils.Database, panel: str, service_id: str, **fields: Any) -> None:
    """Set ``fields`` on the service row (inside the caller's transaction)."""
    if not fields:
        return
    fields["updated_at"] = now()
    sets = ", ".join(f"{k} = ?" for k in fields)
    db.execute(
        f"UPDATE services SET {sets} WHERE panel = ? AND service_id = ?",  # noqa: S608 - names are ours
        [*fields.values(), panel, service_id],
    )


def transition(
    db: sqlite_utils.Database,
    op: dict[str, Any],
    state: str,
    *,
    reason: str | None = None,
    **fields: Any,
) -> None:
    """Move ``op`` to ``state`` (and set ``fields``), logging one line; caller's txn.

    ``result`` is JSON-encoded here; never pass a password or an SSO link in it.
    """
    old = op["state"]
    if "result" in fields and fields["result"] is not None:
        fields["result"] = json.dumps(fields["result"], sort_keys=True)
    if "params" in fields:
        fields["params"] = json.dumps(fields["params"], sort_keys=True)
    fields["state"] = state
    fields["updated_at"] = now()
    sets = ", ".join(f"{k} = ?" for k in fields)
    db.execute(
        f"UPDATE operations SET {sets} WHERE id = ?",  # noqa: S608 - column names are ours
        [*fields.values(), op["id"]],
    )
    op.update(fields)
    if isinstance(op.get("result"), str):
        op["result"] = json.loads(op["result"])
    if isinstance(op.get("params"), str):
        op["params"] = json.loads(op["params"])
    log_transition(op, old, state, reason)


def log_transition(op: dict[str, Any], old: str | None, new: str, reason: str | None) -> None:
    """One structured line per transition; the request id ties it to the hook and Otwa calls."""
    log.info(
        "operation %s %s: %s -> %s%s",
        op["id"],
        op["action"],
        old or "-",
        new,
        f" ({reason})" if reason else "",
        extra={
            "operation_id": op["id"],
            "action": op["action"],
            "panel": op["panel"],
            "service_id": op["service_id"],
            "generation": op["generation"],
            "from_state": old,
            "to_state": new,
            "request_id": op.get("request_id"),
            "server_id": op.get("server_id"),
            "reason": reason,
        },
    )


def operation_view(op: dict[str, Any]) -> dict[str, Any]:
    """The ``operation`` object of a hook reply."""
    view = {
        "id": op["id"],
        "action": op["action"],
        "state": op["state"],
        "service_id": op["service_id"],
        "generation": op["generation"],
        "panel": op["panel"],
    }
    if op.get("server_id"):
        view["server_id"] = op["server_id"]
    return view


def render(op: dict[str, Any], result: dict[str, Any] | None = None) -> Outcome:
    """``op`` as the hook reply. ``result`` overrides the stored one (an SSO link is handed
    to the caller once and never stored)."""
    result = dict(result if result is not None else (op.get("result") or {}))
    state = op["state"]
    if state in (FAILED, DEAD):
        status = int(op.get("error_status") or (503 if state == DEAD else 502))
        error = {
            "code": op.get("error_code") or ("gave_up" if state == DEAD else "failed"),
            "message": op.get("error_message") or "The operation failed.",
        }
        return Outcome(status, {"ok": False, "error": error, "operation": operation_view(op)})
    if state == CANCELLED:
        error = {
            "code": "cancelled",
            "message": op.get("error_message") or "The operation was cancelled.",
        }
        return Outcome(409, {"ok": False, "error": error, "operation": operation_view(op)})
    if state in ACCEPTED_STATES:
        return Outcome(200, {"ok": True, "operation": operation_view(op), "result": result})
    # queued or scheduled: accepted, the worker finishes it.
    result.setdefault("queued", True)
    if state == SCHEDULED:
        result.setdefault("reason", "Scheduled; the worker finishes it at the set time.")
    else:
        reason = op.get("last_error")
        result.setdefault(
            "reason",
            f"Otwa did not finish in time ({reason}); the worker retries with the same "
            "idempotency key."
            if reason
            else "Queued; the worker runs it shortly.",
        )
    return Outcome(202, {"ok": True, "operation": operation_view(op), "result": result})
