"""Recording a command as an operation and its job: one transaction, no HTTP.

:func:`record` runs inside the hook's open write transaction (it joins it through a
savepoint) so the webhook row, the operation, its job and the service row commit
together, before any Otwa call. Refusals that need no Otwa call (invoice_paid for now,
an unknown service, power, SSO or reinstall while suspended, a plan change Otwa cannot do) raise a
:class:`bridge.errors.BridgeError` and record nothing.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any

import sqlite_utils

from bridge import store
from bridge.errors import BridgeError
from bridge.provisioning import jobs, keys
from bridge.provisioning import operations as ops
from bridge.provisioning.commands import ACTIONS, Command
from bridge.provisioning.context import catalog

# Actions whose operations need an existing server of the service.
NEEDS_SERVICE = tuple(a for a in ACTIONS if a not in ("create", "test_connection", "invoice_paid"))


def _hold(settings: Mapping[str, Any]) -> float:
    """Delay before the worker may take a just-recorded job: the hook tries it first."""
    return max(0.0, settings["INLINE_HOLD_SECONDS"])


def _insert_operation(
    db: sqlite_utils.Database,
    command: Command,
    generation: int,
    *,
    params: dict[str, Any],
    key: str | None = None,
    state: str = ops.QUEUED,
    result: dict[str, Any] | None = None,
    server_id: str | None = None,
) -> dict[str, Any]:
    t = ops.now()
    op = {
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
        "created_at": t,
        "updated_at": t,
    }
    row = dict(op)
    row["params"] = _json(params)
    row["result"] = _json(result) if result is not None else None
    cols = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    db.execute(f"INSERT INTO operations ({cols}) VALUES ({marks})", list(row.values()))  # noqa: S608
    ops.log_transition(op, None, state, "recorded")
    return op


def _json(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str)


def _placement(settings: Mapping[str, Any], command: Command, generation: int) -> dict[str, Any]:
    return dataclasses.asdict(catalog(settings).place(command, generation))


def record(db: sqlite_utils.Database, command: Command, settings: Mapping[str, Any]) -> str:
    """Record ``command`` as an operation + job (+ service row); returns the operation id.

    Called inside the caller's write transaction; makes no HTTP call. A second create for
    the same panel + service + generation returns the existing operation's id (re-opening
    it when it had failed, so the reseller's retry is a retry, never a second order).
    """
    action = command.action
    if action == "invoice_paid":
        raise BridgeError(
            "invoice_paid is not handled yet: the ledger arrives in a later release. "
            "Nothing was changed.",
            code="not_implemented",
            status=501,
        )
    if action not in ACTIONS:
        raise BridgeError(f"Unknown action {action!r}.", code="unknown_action", status=400)
    with store.write(db):
        if action == "create":
            return _record_create(db, command, settings)
        if action == "test_connection":
            op = _insert_operation(db, command, 0, params={})
            jobs.enqueue(db, op, "read", max_attempts=1, delay=_hold(settings))
            return op["id"]
        service = ops.get_service(db, command.panel, command.service_id)
        if service is None or service["state"] == "terminated":
            if action == "terminate":
                op = _insert_operation(
                    db,
                    command,
                    service["generation"] if service else 0,
                    params={},
                    state=ops.DONE,
                    result={"terminated": True, "already_gone": True},
                )
                return op["id"]
            raise BridgeError(
                f"Service {command.service_id} of panel {command.panel} has no Otwa server "
                "(never created through the bridge, or terminated). Nothing was changed.",
                code="no_server",
                status=404,
            )
        return _record_for_service(db, command, settings, service)


def _record_for_service(
    db: sqlite_utils.Database,
    command: Command,
    settings: Mapping[str, Any],
    service: dict[str, Any],
) -> str:
    action = command.action
    generation = int(service["generation"])
    params: dict[str, Any] = dict(command.params)
    # Reinstall boots the server: allowed while suspended it would undo the suspension.
    if action in ("power", "sso", "reinstall") and service["suspended"]:
        raise BridgeError(
            f"Service {command.service_id} is suspended: {action} is blocked until it is "
            "unsuspended. Nothing was changed.",
            code="service_suspended",
            status=409,
        )
    if action == "power" and params.get("action") not in ("start", "stop", "reboot"):
        raise BridgeError(
            "power needs params.action = start, stop or reboot.", code="bad_request", status=400
        )
    if action == "add_addon" and not params.get("type"):
        raise BridgeError(
            "add_addon needs params.type (extra-ip, ip-class or backup).",
            code="bad_request",
            status=400,
        )
    if action == "change_package":
        placement = _placement(settings, command, generation)
        if service.get("plan") and placement["plan"] != service["plan"]:
            raise BridgeError(
                f"Otwa cannot change plan {service['plan']} to {placement['plan']} in place "
                "(Otwa has no resize). Nothing was changed; to move the customer, terminate "
                "this service and create a new one on the new plan.",
                code="plan_change_unsupported",
                status=422,
            )
        params["placement"] = placement
    if action == "reinstall":
        placement = _placement_for_reinstall(settings, command, generation)
        params["placement"] = placement
    if action == "terminate":
        params["grace_seconds"] = float(
            params.get("grace_seconds", settings["TERMINATE_GRACE_SECONDS"]) or 0
        )
    if action == "suspend":
        ops.update_service(db, command.panel, command.service_id, suspended=1)
    if action == "unsuspend":
        ops.update_service(db, command.panel, command.service_id, suspended=0)
        _cancel_grace(db, command, service)
    key = None
    if action == "reinstall":
        key = keys.idempotency_key(
            command.panel, command.service_id, action, generation, extra=command.webhook_id
        )
    op = _insert_operation(
        db, command, generation, params=params, key=key, server_id=service.get("server_id")
    )
    kind = "read" if action in ops.READ_ACTIONS else "run"
    jobs.enqueue(
        db,
        op,
        kind,
        max_attempts=1 if kind == "read" else settings["JOB_MAX_ATTEMPTS"],
        delay=_hold(settings),
    )
    return op["id"]


def _placement_for_reinstall(
    settings: Mapping[str, Any], command: Command, generation: int
) -> dict[str, Any]:
    cat = catalog(settings)
    product = None
    panel = cat.panels.get(command.panel)
    if panel is not None and command.product_id is not None:
        product = panel.products.get(command.product_id)
    choice = cat.os_for(command, product) if panel is not None else None
    os_slug = command.params.get("os")
    if choice is None and not os_slug:
        raise BridgeError(
            "reinstall needs params.os (an OS from the products map).",
            code="bad_request",
            status=400,
        )
    if choice is None:
        return {
            "os": str(os_slug),
            "os_template": str(command.params.get("os_template") or os_slug),
        }
    return {"os": choice.os, "os_template": choice.os_template}


def _cancel_grace(db: sqlite_utils.Database, command: Command, service: dict[str, Any]) -> None:
    """Unsuspend cancels a terminate waiting out its grace period."""
    rows = db.execute(
        "SELECT id FROM operations WHERE panel = ? AND service_id = ? AND action = 'terminate'"
        " AND state = 'scheduled'",
        [command.panel, command.service_id],
    ).fetchall()
    for (op_id,) in rows:
        if jobs.cancel_open(db, op_id, ("destroy",)):
            op = ops.get(db, op_id)
            assert op is not None
            ops.transition(
                db,
                op,
                ops.CANCELLED,
                reason="unsuspended during the grace period",
                error_message="Cancelled by unsuspend during the grace period.",
            )
    if service["state"] == "terminating":
        ops.update_service(db, command.panel, command.service_id, state="active")


def _record_create(db: sqlite_utils.Database, command: Command, settings: Mapping[str, Any]) -> str:
    service = ops.get_service(db, command.panel, command.service_id)
    if service is None or service["state"] == "terminated":
        generation = 1 if service is None else int(service["generation"]) + 1
    else:
        generation = int(service["generation"])
    existing = db.execute(
        "SELECT id FROM operations WHERE panel = ? AND service_id = ? AND generation = ?"
        " AND action = 'create'",
        [command.panel, command.service_id, generation],
    ).fetchone()
    if existing is not None:
        op = ops.get(db, existing[0])
        assert op is not None
        if op["state"] in (ops.FAILED, ops.DEAD, ops.CANCELLED):
            reopen(
                db,
                op,
                settings,
                request_id=command.request_id,
                hold=_hold(settings),
            )
        return op["id"]
    placement = _placement(settings, command, generation)  # raises a 422 BridgeError
    t = ops.now()
    if service is None:
        db.execute(
            "INSERT INTO services (panel, service_id, generation, state, suspended, label, plan,"
            " created_at, updated_at) VALUES (?, ?, ?, 'provisioning', 0, ?, ?, ?, ?)",
            [
                command.panel,
                command.service_id,
                generation,
                placement["label"],
                placement["plan"],
                t,
                t,
            ],
        )
    else:
        ops.update_service(
            db,
            command.panel,
            command.service_id,
            generation=generation,
            state="provisioning",
            suspended=0,
            server_id=None,
            label=placement["label"],
            plan=placement["plan"],
        )
    key = keys.idempotency_key(command.panel, command.service_id, "create", generation)
    op = _insert_operation(
        db, command, generation, params={**command.params, "placement": placement}, key=key
    )
    jobs.enqueue(db, op, "run", max_attempts=settings["JOB_MAX_ATTEMPTS"], delay=_hold(settings))
    return op["id"]


def reopen(
    db: sqlite_utils.Database,
    op: dict[str, Any],
    settings: Mapping[str, Any],
    *,
    request_id: str | None = None,
    hold: float = 0.0,
) -> str:
    """Put a failed, dead or cancelled operation back in the queue (caller's transaction).

    A create Otwa refused before creating anything (402, 400...) gets a fresh key epoch,
    so the new try is not answered from Otwa's replay cache; a create that may have
    reached Otwa keeps its key (and adopts by label past the replay window). Returns the
    state it resumed in.
    """
    if op["state"] not in (ops.FAILED, ops.DEAD, ops.CANCELLED):
        raise BridgeError(
            f"Operation {op['id']} is {op['state']}; only failed, dead or cancelled "
            "operations can be retried.",
            code="not_retryable",
            status=409,
        )
    fields: dict[str, Any] = {
        "error_code": None,
        "error_message": None,
        "error_status": None,
        "last_error": None,
    }
    if request_id:
        fields["request_id"] = request_id
    params = dict(op["params"])
    if op["action"] == "create" and params.pop("nothing_created", False) and not op["server_id"]:
        fields["key_epoch"] = int(op["key_epoch"]) + 1
        fields["idempotency_key"] = keys.idempotency_key(
            op["panel"], op["service_id"], "create", op["generation"], epoch=fields["key_epoch"]
        )
        fields["first_sent_at"] = None
    fields["params"] = params
    last = jobs.latest(db, op["id"])
    resume_kind = "run"
    state = ops.QUEUED
    if last is not None and last["kind"] in ("writeback", "destroy"):
        resume_kind = last["kind"]
        state = ops.WRITEBACK if resume_kind == "writeback" else ops.SCHEDULED
    elif op["action"] in ("create", "reinstall") and op["server_id"] and op["state"] != ops.FAILED:
        state = ops.BUILDING  # the build poll picks it up again
        resume_kind = ""
    if op["action"] in ops.READ_ACTIONS:
        resume_kind = "read"
    ops.transition(db, op, state, reason="retry requested", **fields)
    if op["action"] == "create":
        ops.update_service(db, op["panel"], op["service_id"], state="provisioning")
    if resume_kind:
        jobs.enqueue(
            db,
            op,
            resume_kind,
            max_attempts=1 if resume_kind == "read" else settings["JOB_MAX_ATTEMPTS"],
            delay=hold if resume_kind in ("run", "read") else 0.0,
        )
    return state
