"""Recording a command as an operation and its job: one transaction, no HTTP.

:func:`record` runs inside the hook's open write transaction (it joins it through a
savepoint) so the webhook row, the operation, its job and the service row commit
together, before any Otwa call. Refusals that need no Otwa call (an unknown service,
power, SSO or reinstall while suspended, a plan change Otwa cannot do) raise a
:class:`bridge.errors.BridgeError` and record nothing. Actions answered at once (the reads,
``validate``, ``sso_link``, and the revenue hooks ``invoice_paid`` / ``invoice_refunded``
booked by :mod:`bridge.provisioning.bookings`) are never recorded: 400 ``not_recorded``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlite_utils

from bridge import store
from bridge.commands import ACTIONS, Command
from bridge.errors import BridgeError
from bridge.provisioning import actions, addons, jobs, keys
from bridge.provisioning import operations as ops
from bridge.runtime import Bridge

# Actions whose operations need an existing server of the service.
NEEDS_SERVICE = tuple(a for a in actions.RUN_ACTIONS if a not in ("create", "adopt"))


def _hold(bridge: Bridge) -> float:
    """Delay before the worker may take a just-recorded job: the hook tries it first."""
    return max(0.0, bridge.settings.inline_hold_seconds)


def _enqueue(
    db: sqlite_utils.Database, bridge: Bridge, op: dict[str, Any], kind: str, now: float
) -> str:
    """Queue the just-recorded operation's job, held for the hook's inline attempt; its id.
    A read is tried once; anything else up to ``JOB_MAX_ATTEMPTS``."""
    jobs.enqueue(
        db,
        op,
        kind,
        now=now,
        max_attempts=1 if kind == "read" else bridge.settings.job_max_attempts,
        delay=_hold(bridge),
    )
    return str(op["id"])


def _placement(bridge: Bridge, command: Command, generation: int) -> dict[str, Any]:
    return dataclasses.asdict(bridge.catalog.place(command, generation))


def record(db: sqlite_utils.Database, command: Command, bridge: Bridge) -> str:
    """Record ``command`` as an operation + job (+ service row); returns the operation id.

    Called inside the caller's write transaction; makes no HTTP call. A second create for
    the same panel + service + generation returns the existing operation's id (re-opening
    it when it had failed, so the reseller's retry is a retry, never a second order).
    """
    action = command.action
    if action not in ACTIONS:
        raise BridgeError(f"Unknown action {action!r}.", code="unknown_action", status=400)
    if action not in actions.RUN_ACTIONS:
        raise BridgeError(
            f"{action} is answered at once by the hook endpoint and never recorded as an "
            "operation; send it as a hook.",
            code="not_recorded",
            status=400,
        )
    now = bridge.clock.now()
    with store.write(db):
        if action == "create":
            return _record_create(db, command, bridge, now)
        if action == "adopt":
            return _record_adopt(db, command, bridge, now)
        service = ops.get_service(db, command.panel, command.service_id)
        if service is None or service["state"] == "terminated":
            if action == "terminate":
                op = ops.insert(
                    db,
                    command,
                    service["generation"] if service else 0,
                    now=now,
                    params={},
                    state=ops.DONE,
                    result={"terminated": True, "already_gone": True},
                )
                return str(op["id"])
            raise BridgeError(
                f"Service {command.service_id} of panel {command.panel} has no Otwa server "
                "(never created through the bridge, or terminated). Nothing was changed.",
                code="no_server",
                status=404,
            )
        return _record_for_service(db, command, bridge, service, now)


def _refuse_before_recording(command: Command, service: dict[str, Any]) -> None:
    """Refusals the command itself shows: nothing is recorded for them."""
    action, params = command.action, command.params
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


def _record_for_service(
    db: sqlite_utils.Database,
    command: Command,
    bridge: Bridge,
    service: dict[str, Any],
    now: float,
) -> str:
    action = command.action
    generation = int(service["generation"])
    params: dict[str, Any] = dict(command.params)
    _refuse_before_recording(command, service)
    ops.note_owner(db, service, command, now=now)
    if action == "change_package":
        placement = _placement(bridge, command, generation)
        if service.get("plan") and placement["plan"] != service["plan"]:
            raise BridgeError(
                f"Otwa cannot change plan {service['plan']} to {placement['plan']} in place "
                "(Otwa has no resize). Nothing was changed; to move the customer, terminate "
                "this service and create a new one on the new plan.",
                code="plan_change_unsupported",
                status=422,
            )
        addons.refuse_dropping(bridge, db, command, service, placement["addon_types"])
        params["placement"] = placement
    if action == "reinstall":
        params["placement"] = _placement_for_reinstall(bridge, command)
    if action == "terminate":
        default_grace = bridge.settings.terminate_grace_seconds
        params["grace_seconds"] = float(params.get("grace_seconds", default_grace) or 0)
    if action == "suspend":
        ops.update_service(db, command.panel, command.service_id, now=now, suspended=1)
    if action == "unsuspend":
        ops.update_service(db, command.panel, command.service_id, now=now, suspended=0)
        _cancel_grace(db, command, service, now)
    key = None
    if action == "reinstall":
        key = keys.idempotency_key(
            command.panel, command.service_id, action, generation, extra=command.webhook_id
        )
    op = ops.insert(
        db,
        command,
        generation,
        now=now,
        params=params,
        key=key,
        server_id=service.get("server_id"),
    )
    return _enqueue(db, bridge, op, "read" if action in ops.READ_ACTIONS else "run", now)


def _placement_for_reinstall(bridge: Bridge, command: Command) -> dict[str, Any]:
    cat = bridge.catalog
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


def _cancel_grace(
    db: sqlite_utils.Database, command: Command, service: dict[str, Any], now: float
) -> None:
    """Unsuspend cancels a terminate waiting out its grace period."""
    for op_id in ops.scheduled_terminates(db, command.panel, command.service_id):
        if jobs.cancel_open(db, op_id, ("destroy",), now=now):
            op = ops.get(db, op_id)
            assert op is not None
            ops.transition(
                db,
                op,
                ops.CANCELLED,
                now=now,
                reason="unsuspended during the grace period",
                error_message="Cancelled by unsuspend during the grace period.",
            )
    if service["state"] == "terminating":
        ops.update_service(db, command.panel, command.service_id, now=now, state="active")


def _record_create(db: sqlite_utils.Database, command: Command, bridge: Bridge, now: float) -> str:
    service = ops.get_service(db, command.panel, command.service_id)
    if service is None or service["state"] == "terminated":
        generation = 1 if service is None else int(service["generation"]) + 1
    else:
        generation = int(service["generation"])
    existing = ops.create_of(db, command.panel, command.service_id, generation)
    if existing is not None:
        op = ops.get(db, existing)
        assert op is not None
        if op["state"] in (ops.FAILED, ops.DEAD, ops.CANCELLED):
            reopen(db, op, bridge, request_id=command.request_id, hold=_hold(bridge))
        return str(op["id"])
    placement = _placement(bridge, command, generation)  # raises a 422 BridgeError
    if service is None:
        ops.insert_service(
            db,
            command,
            now=now,
            generation=generation,
            label=placement["label"],
            plan=placement["plan"],
        )
    else:
        ops.update_service(
            db,
            command.panel,
            command.service_id,
            now=now,
            generation=generation,
            state="provisioning",
            suspended=0,
            server_id=None,
            label=placement["label"],
            plan=placement["plan"],
            client_id=command.client_id,
            product_id=command.product_id,
        )
    key = keys.idempotency_key(command.panel, command.service_id, "create", generation)
    op = ops.insert(
        db,
        command,
        generation,
        now=now,
        params={**command.params, "placement": placement},
        key=key,
    )
    return _enqueue(db, bridge, op, "run", now)


def _grace_left(op: dict[str, Any], now: float) -> float:
    """Seconds left of a cancelled terminate's grace period; refuses (409) when it ran out
    while the terminate was cancelled: destroying at once is never a retry's surprise."""
    destroy_at = (op.get("result") or {}).get("destroy_at")
    left = float(destroy_at) - now if destroy_at is not None else 0.0
    if left <= 0:
        raise BridgeError(
            f"Operation {op['id']} was a terminate whose grace period ended while it was "
            "cancelled; a retry would destroy the server at once. Nothing was changed. To "
            "terminate now, send a new terminate (otwa-bridge send terminate --service "
            f"{op['service_id']} --param grace_seconds:=0); to give another grace period, send "
            "it with grace_seconds.",
            code="grace_period_over",
            status=409,
        )
    return left


def _record_adopt(db: sqlite_utils.Database, command: Command, bridge: Bridge, now: float) -> str:
    """Link the service to the existing Otwa server ``params.server_id`` (nothing ordered):
    the link is made now, inside the hook's transaction, so no two services can take one
    server; the run reads the server (a refusal there undoes the link) and the write-back
    fills the panel. Refusals: 409 ``server_already_linked``, 409 ``service_has_server``."""
    server_id = str(command.params.get("server_id") or "")
    if not keys.SERVER_ID_RE.fullmatch(server_id):
        raise BridgeError(
            "adopt needs params.server_id, the Otwa server id (letters, digits, - and _).",
            code="bad_request",
            status=400,
        )
    owner = ops.linked_servers(db).get(server_id)
    if owner is not None and owner != (command.panel, command.service_id):
        raise BridgeError(
            f"Otwa server {server_id} is already linked to service {owner[1]} of panel "
            f"{owner[0]}. Nothing was changed; terminate or unlink that service first.",
            code="server_already_linked",
            status=409,
            details={"panel": owner[0], "service_id": owner[1]},
        )
    service = ops.get_service(db, command.panel, command.service_id)
    live = service is not None and service["state"] != "terminated"
    if live and service and service.get("server_id") not in (None, server_id):
        raise BridgeError(
            f"Service {command.service_id} is linked to Otwa server {service['server_id']}. "
            "Nothing was changed; terminate the service (or let the daily check confirm "
            "that server is gone) before linking another one.",
            code="service_has_server",
            status=409,
            details={"server_id": service["server_id"]},
        )
    if live and service and ops.create_pending(db, command.panel, command.service_id):
        raise BridgeError(
            f"Service {command.service_id} has a server being ordered. Nothing was changed; "
            "wait for the create to finish (or fail) before linking another server.",
            code="service_has_server",
            status=409,
        )
    previous = (
        {k: service[k] for k in ("state", "server_id", "generation", "suspended")}
        if service is not None
        else None
    )
    if service is None:
        ops.insert_service(db, command, now=now, generation=1, label="", plan="")
        generation = 1
    else:
        generation = int(service["generation"]) + (0 if live else 1)
    ops.update_service(
        db,
        command.panel,
        command.service_id,
        now=now,
        generation=generation,
        state="active",
        suspended=int(service["suspended"]) if live and service else 0,
        server_id=server_id,
        client_id=command.client_id or (service or {}).get("client_id"),
        product_id=command.product_id or (service or {}).get("product_id"),
    )
    op = ops.insert(
        db,
        command,
        generation,
        now=now,
        params={"server_id": server_id, "previous": previous},
        server_id=server_id,
    )
    return _enqueue(db, bridge, op, "run", now)


def reopen(
    db: sqlite_utils.Database,
    op: dict[str, Any],
    bridge: Bridge,
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
    now = bridge.clock.now()
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
    if op["action"] == "terminate" and op["state"] == ops.CANCELLED and last is not None:
        if last["kind"] == "destroy":
            # Cancelled during its grace period: the retry keeps the original destroy time
            # (the terminate runs again: stops the server if it was started, then waits
            # out what is left), and never destroys at once.
            params["grace_seconds"] = _grace_left(op, now)
            last = None
    if last is not None and last["kind"] in ("writeback", "destroy"):
        resume_kind = last["kind"]
        state = ops.WRITEBACK if resume_kind == "writeback" else ops.SCHEDULED
    elif op["action"] in ("create", "reinstall") and op["server_id"] and op["state"] != ops.FAILED:
        state = ops.BUILDING  # the build poll picks it up again
        resume_kind = ""
    if op["action"] in ops.READ_ACTIONS:
        resume_kind = "read"
    ops.transition(db, op, state, now=now, reason="retry requested", **fields)
    if op["action"] == "create":
        ops.update_service(db, op["panel"], op["service_id"], now=now, state="provisioning")
    if resume_kind:
        jobs.enqueue(
            db,
            op,
            resume_kind,
            now=now,
            max_attempts=1 if resume_kind == "read" else bridge.settings.job_max_attempts,
            delay=hold if resume_kind in ("run", "read") else 0.0,
        )
    return state
