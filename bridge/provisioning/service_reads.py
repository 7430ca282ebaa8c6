"""Reads of one service, answered at once (no operation, no job): ``status`` (the client
area, the admin tab, Sync), ``usage`` of one service (live stats) and ``test_connection``.

``status`` carries what a client area shows (docs/panels/whmcs.md, section 9): the server's
state, host name, IPs, OS, region and plan with their display names, and with
``params.detail = "client"`` the OS choices of a reinstall and the live stats with their
recent history; every detail carries the service's latest operation. A page view costs at
most one ``GET /servers/:id`` and one ``GET /servers/:id/stats`` per
``READ_CACHE_SECONDS``, shared by every process.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlite_utils

from bridge.commands import Command, Outcome
from bridge.errors import BridgeError
from bridge.otwa import errors
from bridge.provisioning import operations as ops
from bridge.provisioning import reads
from bridge.provisioning.reads import answered
from bridge.runtime import Bridge

DETAILS = ("client", "admin")


def linked_service(db: sqlite_utils.Database, command: Command) -> dict[str, Any]:
    """The bridge's live service row of ``command``; 404 ``no_server`` when there is none."""
    service = ops.get_service(db, command.panel, command.service_id)
    if service is None or service["state"] == "terminated":
        raise BridgeError(
            f"Service {command.service_id} of panel {command.panel} has no Otwa server "
            "(never created through the bridge, or terminated). To link an existing server, "
            "send adopt with params.server_id.",
            code="no_server",
            status=404,
        )
    return service


def last_operation(db: sqlite_utils.Database, command: Command) -> dict[str, Any] | None:
    """The service's latest operation as staff see it."""
    op = ops.latest_of_service(db, command.panel, command.service_id)
    if op is None:
        return None
    return {
        "id": op["id"],
        "action": op["action"],
        "state": op["state"],
        "updated_at": reads.iso(op["updated_at"]),
        "last_error": op.get("error_message") or op.get("last_error"),
    }


def os_choices(bridge: Bridge, db: sqlite_utils.Database, command: Command) -> list[dict[str, str]]:
    """What ``reinstall`` accepts as ``params.os`` for this panel, with display names."""
    table = bridge.catalog.panels.get(command.panel)
    if table is None:
        return []
    names = reads.labels(bridge, db, "os_templates", command.request_id)
    return [
        {"value": value, "label": names.get(choice.os_template) or value}
        for value, choice in table.os_values.items()
    ]


def status(bridge: Bridge, db: sqlite_utils.Database, command: Command) -> Outcome:
    """The service's server as a client area or admin tab shows it (see module doc)."""
    detail = command.params.get("detail")
    if detail is not None and detail not in DETAILS:
        raise BridgeError(
            f"status: params.detail must be one of {', '.join(DETAILS)}, not {detail!r}.",
            code="bad_request",
        )
    service = linked_service(db, command)
    server_id = service.get("server_id")
    result: dict[str, Any] = {"server_id": server_id, "suspended": bool(service["suspended"])}
    if not server_id:
        pending = ops.create_pending(db, command.panel, command.service_id)
        result["status"] = "pending" if pending else "failed"
    else:
        server = reads.server(bridge, db, str(server_id), command.request_id)
        result.update({k: v for k, v in server.items() if k != "product_id"})
        region_names = reads.labels(bridge, db, "regions", command.request_id)
        os_names = reads.labels(bridge, db, "os_templates", command.request_id)
        if server.get("region"):
            result["region_label"] = region_names.get(str(server["region"]), server["region"])
        if server.get("os"):
            result["os_label"] = os_names.get(str(server["os"]), server["os"])
        product = reads.plan(bridge, server.get("product_id") or service.get("plan"))
        result["plan"] = server.get("product_id") or service.get("plan")
        if product is not None:
            result["plan_name"] = product.name
        if detail == "client" and server.get("status") == "running":
            result["stats"] = reads.stats(bridge, db, str(server_id), command.request_id)
    if detail == "client":
        result["os_choices"] = os_choices(bridge, db, command)
    result["last_operation"] = last_operation(db, command)
    return answered(result)


def usage(bridge: Bridge, db: sqlite_utils.Database, command: Command) -> Outcome:
    """The live stats of the service's server (``power_state``, ``live``, ``history``)."""
    service = linked_service(db, command)
    server_id = service.get("server_id")
    if not server_id:
        return answered({"server_id": None, "power_state": None, "live": None, "history": []})
    found = reads.stats(bridge, db, str(server_id), command.request_id)
    return answered({"server_id": server_id, **found})


def test_connection(bridge: Bridge, db: sqlite_utils.Database, command: Command) -> Outcome:
    """The bridge answers, the hook was signed with a secret it holds, and its Otwa key
    works (``GET /account``, never cached)."""
    try:
        account = reads.client(bridge, command.request_id).account()
    except errors.OtwaError as exc:
        raise reads.failed(exc, "reading the Otwa account") from None
    balance = f"{Decimal(str(account.balance)):.2f}" if account.balance is not None else None
    return answered({"connected": True, "account_id": account.id, "balance": balance})
