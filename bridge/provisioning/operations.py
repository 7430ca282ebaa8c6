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

This module is the only writer of the ``operations`` and ``services`` tables. Every state
change goes through :func:`transition`, which keeps the transition in the operation's
history (``operation_transitions``: time, from, to, why; ``otwa-bridge ops show``) and logs
one structured line carrying the request id from the hook. Callers hold the write
transaction and pass ``now``, the transaction's time from the Bridge's clock; nothing here
calls HTTP.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import sqlite_utils

from bridge.commands import Command, Outcome

log = logging.getLogger("bridge.provisioning")

QUEUED, BUILDING, WRITEBACK, SCHEDULED = "queued", "building", "writeback", "scheduled"
DONE, FAILED, DEAD, CANCELLED = "done", "failed", "dead", "cancelled"
OPEN_STATES = (QUEUED, BUILDING, WRITEBACK, SCHEDULED)
FINAL_STATES = (DONE, FAILED, DEAD, CANCELLED)
# A state past "the Otwa call was accepted": the hook reply is a success (200).
ACCEPTED_STATES = (BUILDING, WRITEBACK, DONE)

# Recorded actions that change nothing at Otwa: one inline try, never retried by the worker.
# (status, usage, test_connection and the other reads are answered at once, unrecorded.)
READ_ACTIONS = ("sso",)


def get(db: sqlite_utils.Database, operation_id: str) -> dict[str, Any] | None:
    """The operation row with ``params``/``result`` decoded, or None."""
    cur = db.execute("SELECT * FROM operations WHERE id = ?", [operation_id])
    row = cur.fetchone()
    if row is None:
        return None
    op = dict(zip([d[0] for d in cur.description], row, strict=True))
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


def insert_service(
    db: sqlite_utils.Database,
    command: Command,
    *,
    now: float,
    generation: int,
    label: str,
    plan: str,
) -> None:
    """The service row of a first create (state ``provisioning``)."""
    db.execute(
        "INSERT INTO services (panel, service_id, generation, state, suspended, label, plan,"
        " client_id, product_id, created_at, updated_at)"
        " VALUES (?, ?, ?, 'provisioning', 0, ?, ?, ?, ?, ?, ?)",
        [
            command.panel,
            command.service_id,
            generation,
            label,
            plan,
            command.client_id,
            command.product_id,
            now,
            now,
        ],
    )


def note_owner(
    db: sqlite_utils.Database, service: dict[str, Any], command: Command, *, now: float
) -> None:
    """Keep the service's client (and product, after a package change) as the panel last
    named them: a service moved to another client in the panel moves here too."""
    fields: dict[str, Any] = {}
    if command.client_id and command.client_id != service.get("client_id"):
        fields["client_id"] = command.client_id
    if (
        command.action in ("create", "change_package")
        and command.product_id
        and command.product_id != service.get("product_id")
    ):
        fields["product_id"] = command.product_id
    if fields:
        update_service(db, command.panel, command.service_id, now=now, **fields)
        service.update(fields)


def update_service(
    db: sqlite_utils.Database, panel: str, service_id: str, *, now: float, **fields: Any
) -> None:
    """Set ``fields`` on the service row (inside the caller's transaction)."""
    if not fields:
        return
    fields["updated_at"] = now
    sets = ", ".join(f"{k} = ?" for k in fields)
    db.execute(
        f"UPDATE services SET {sets} WHERE panel = ? AND service_id = ?",  # noqa: S608 - names are ours
        [*fields.values(), panel, service_id],
    )


def insert(
    db: sqlite_utils.Database,
    command: Command,
    generation: int,
    *,
    now: float,
    params: dict[str, Any],
    key: str | None = None,
    state: str = QUEUED,
    result: dict[str, Any] | None = None,
    server_id: str | None = None,
) -> dict[str, Any]:
    """Record ``command`` as a new operation in ``state`` (its first history entry too)."""
    op: dict[str, Any] = {
        "id": "op_" + uuid.uuid4().hex[:20],
        "panel": command.panel,
        "service_id": command.service_id,
        "generation": generation,
        "action": command.action,
        "state": state,
        "idempotency_key": key,
        "key_epoch": 0,
        "params": params,
        "webhook_id": command.webhook_id,
        "request_id": command.request_id or command.webhook_id,
        "server_id": server_id,
        "result": result,
        "created_at": now,
        "updated_at": now,
    }
    row = dict(op)
    row["params"] = _json(params)
    row["result"] = _json(result) if result is not None else None
    cols = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    db.execute(f"INSERT INTO operations ({cols}) VALUES ({marks})", list(row.values()))  # noqa: S608
    _remember(db, op["id"], now, None, state, "recorded")
    log_transition(op, None, state, "recorded")
    return op


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _set(db: sqlite_utils.Database, op: dict[str, Any], fields: dict[str, Any]) -> None:
    """Write ``fields`` to the operation row and to ``op`` (JSON columns encoded)."""
    row = dict(fields)
    for name in ("result", "params"):
        if row.get(name) is not None:
            row[name] = _json(row[name])
    sets = ", ".join(f"{k} = ?" for k in row)
    db.execute(
        f"UPDATE operations SET {sets} WHERE id = ?",  # noqa: S608 - column names are ours
        [*row.values(), op["id"]],
    )
    op.update(fields)


def _remember(
    db: sqlite_utils.Database,
    operation_id: str,
    now: float,
    old: str | None,
    new: str,
    reason: str | None,
) -> None:
    db.execute(
        "INSERT INTO operation_transitions (operation_id, at, from_state, to_state, reason)"
        " VALUES (?, ?, ?, ?, ?)",
        [operation_id, now, old, new, (reason or "")[:500]],
    )


def transition(
    db: sqlite_utils.Database,
    op: dict[str, Any],
    state: str,
    *,
    now: float,
    reason: str | None = None,
    **fields: Any,
) -> None:
    """Move ``op`` to ``state`` (and set ``fields``): recorded in its history and logged;
    caller's transaction. Never pass a password or an SSO link in ``result``."""
    old = op["state"]
    _set(db, op, {**fields, "state": state, "updated_at": now})
    _remember(db, op["id"], now, old, state, reason)
    log_transition(op, old, state, reason)


def note_trouble(db: sqlite_utils.Database, op: dict[str, Any], reason: str, *, now: float) -> None:
    """Record the latest transient trouble (``last_error``) without changing state."""
    _set(db, op, {"last_error": reason, "updated_at": now})


def mark_sent(db: sqlite_utils.Database, op: dict[str, Any], *, now: float) -> None:
    """The first keyed request is about to leave: the replay window starts ``now``."""
    _set(db, op, {"first_sent_at": now, "updated_at": now})


def mark_inline(db: sqlite_utils.Database, operation_id: str, *, now: float) -> None:
    """The hook is trying the operation inline; a keyed action's replay window starts now
    (kept when already started)."""
    db.execute(
        "UPDATE operations SET inline_tried = 1, first_sent_at = CASE"
        " WHEN idempotency_key IS NOT NULL AND action IN ('create', 'reinstall')"
        " THEN coalesce(first_sent_at, ?) ELSE first_sent_at END WHERE id = ?",
        [now, operation_id],
    )


def history(db: sqlite_utils.Database, operation_id: str) -> list[dict[str, Any]]:
    """The operation's transitions, oldest first: ``at``, ``from_state``, ``to_state``,
    ``reason``."""
    cur = db.execute(
        "SELECT at, from_state, to_state, reason FROM operation_transitions"
        " WHERE operation_id = ? ORDER BY id",
        [operation_id],
    )
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def create_of(
    db: sqlite_utils.Database, panel: str, service_id: str, generation: int
) -> str | None:
    """The id of the service's create operation at ``generation``, or None."""
    row = db.execute(
        "SELECT id FROM operations WHERE panel = ? AND service_id = ? AND generation = ?"
        " AND action = 'create'",
        [panel, service_id, generation],
    ).fetchone()
    return str(row[0]) if row else None


def create_pending(db: sqlite_utils.Database, panel: str, service_id: str) -> bool:
    """True while a create of the service is queued or building."""
    row = db.execute(
        "SELECT 1 FROM operations WHERE panel = ? AND service_id = ? AND action = 'create'"
        " AND state IN ('queued', 'building') LIMIT 1",
        [panel, service_id],
    ).fetchone()
    return row is not None


def latest_of_service(
    db: sqlite_utils.Database, panel: str, service_id: str
) -> dict[str, Any] | None:
    """The service's most recent operation (decoded like :func:`get`), or None."""
    row = db.execute(
        "SELECT id FROM operations WHERE panel = ? AND service_id = ?"
        " ORDER BY created_at DESC, rowid DESC LIMIT 1",
        [panel, service_id],
    ).fetchone()
    return get(db, str(row[0])) if row else None


def services_of(
    db: sqlite_utils.Database, panel: str, service_ids: list[str]
) -> dict[str, dict[str, Any]]:
    """The service rows of ``panel`` among ``service_ids``, by service id."""
    if not service_ids:
        return {}
    marks = ", ".join("?" for _ in service_ids)
    cur = db.execute(
        f"SELECT * FROM services WHERE panel = ? AND service_id IN ({marks})",  # noqa: S608
        [panel, *service_ids],
    )
    cols = [d[0] for d in cur.description]
    rows = [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    return {str(r["service_id"]): r for r in rows}


def linked_servers(db: sqlite_utils.Database) -> dict[str, tuple[str, str]]:
    """Every Otwa server a live service (any panel) is linked to: server id -> (panel,
    service id)."""
    rows = db.execute(
        "SELECT server_id, panel, service_id FROM services"
        " WHERE server_id IS NOT NULL AND state != 'terminated'"
    ).fetchall()
    return {str(r[0]): (str(r[1]), str(r[2])) for r in rows}


def option_addon_types(
    db: sqlite_utils.Database, panel: str, service_id: str, generation: int
) -> set[str]:
    """The add-on types the service's options bought at ``generation``: its create's, and
    what its package changes bought or found active. Add-ons attached on their own
    (``add_addon``: a WHMCS product add-on, a script) are not the options' to drop."""
    rows = db.execute(
        "SELECT action, state, params, result FROM operations WHERE panel = ? AND"
        " service_id = ? AND generation = ? AND action IN ('create', 'change_package')",
        [panel, service_id, generation],
    ).fetchall()
    types: set[str] = set()
    for action, state, params, result in rows:
        if action == "create" and state in ACCEPTED_STATES:
            placement = json.loads(params or "{}").get("placement") or {}
            types.update(placement.get("addon_types") or [])
        elif action == "change_package" and state == DONE and result:
            done = json.loads(result)
            types.update(done.get("bought") or [])
            types.update(done.get("already_active") or [])
    return types


def scheduled_terminates(db: sqlite_utils.Database, panel: str, service_id: str) -> list[str]:
    """Ids of the service's terminates waiting out their grace period."""
    rows = db.execute(
        "SELECT id FROM operations WHERE panel = ? AND service_id = ? AND action = 'terminate'"
        " AND state = 'scheduled'",
        [panel, service_id],
    ).fetchall()
    return [str(r[0]) for r in rows]


def building(db: sqlite_utils.Database, now: float) -> list[tuple[str, bool]]:
    """(id, could be built by ``now``) of every operation waiting for its build."""
    rows = db.execute(
        "SELECT id, build_ready_at <= ? FROM operations WHERE state = 'building'", [now]
    ).fetchall()
    return [(str(op_id), bool(due)) for op_id, due in rows]


def build_due(db: sqlite_utils.Database, now: float) -> bool:
    """True when some build could have finished by ``now``."""
    row = db.execute(
        "SELECT 1 FROM operations WHERE state = 'building' AND build_ready_at <= ? LIMIT 1",
        [now],
    ).fetchone()
    return row is not None


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
