"""Reads over many services at once, answered at once (no operation, no job), each one
``GET /servers`` for the whole batch (shared for ``READ_CACHE_SECONDS``):

* ``usage`` with ``params.services`` (WHMCS UsageUpdate): disk and bandwidth figures in MB;
* ``unlinked_servers`` (WHMCS Server Sync): Otwa servers no service is linked to;
* ``reconcile`` (the daily check): what the panel believes against what Otwa has;
* ``catalog`` (ConfigOptions loaders): the products map with Otwa's display names.

Contracts: docs/hooks.md and docs/panels/whmcs.md, section 9.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from bridge.commands import Command, Outcome
from bridge.provisioning import operations as ops
from bridge.provisioning import reads, service_reads
from bridge.provisioning.reads import answered
from bridge.runtime import Bridge

MB_PER_GB = 1024
# Otwa states in which a service the panel calls Active is not serving.
NOT_RUNNING = ("stopped", "suspended", "failed")


def _ids(command: Command) -> list[str]:
    return [str(s) for s in command.params.get("services") or []]


def usage(bridge: Bridge, db: sqlite_utils.Database, command: Command) -> Outcome:
    """``usage``: of many services with ``params.services`` (:func:`usage_batch`), else the
    live stats of the hook's service."""
    if "services" in command.params:
        return usage_batch(bridge, db, command)
    return service_reads.usage(bridge, db, command)


def usage_batch(bridge: Bridge, db: sqlite_utils.Database, command: Command) -> Outcome:
    """Per service of ``params.services``: ``disk_limit_mb`` (the server's disk) and
    ``bw_limit_mb`` (its plan's monthly traffic). Otwa v1.9 reports no disk or traffic
    consumption, so ``disk_used_mb`` / ``bw_used_mb`` are omitted (the panel keeps its own
    figures) rather than invented. ``missing``: services with no live server."""
    wanted = _ids(command)
    rows = ops.services_of(db, command.panel, wanted)
    live = {s["server_id"]: s for s in reads.servers(bridge, db, command.request_id)}
    figures: dict[str, dict[str, Any]] = {}
    missing: list[Any] = []
    for raw, sid in zip(command.params.get("services") or [], wanted, strict=True):
        row = rows.get(sid)
        server = live.get(row.get("server_id")) if row and row["state"] != "terminated" else None
        if server is None or server.get("status") == "terminated":
            missing.append(raw)
            continue
        entry: dict[str, Any] = {"server_id": server["server_id"]}
        if server.get("disk_gb") is not None:
            entry["disk_limit_mb"] = int(server["disk_gb"]) * MB_PER_GB
        product = reads.plan(bridge, server.get("product_id"), command.request_id)
        if product is not None and product.bandwidth_gb is not None:
            entry["bw_limit_mb"] = int(product.bandwidth_gb) * MB_PER_GB
        figures[sid] = entry
    return answered({"services": figures, "missing": missing})


def _product_keys(bridge: Bridge, panel: str, product_id: str | None) -> list[str]:
    """The panel's products-map keys whose plan is Otwa plan ``product_id``."""
    table = bridge.catalog.panels.get(panel)
    if table is None or not product_id:
        return []
    found = reads.plan(bridge, product_id)
    names = {product_id.lower()} | ({str(found.name).lower()} if found is not None else set())
    return [key for key, p in table.products.items() if p.plan.lower() in names]


def unlinked_servers(bridge: Bridge, db: sqlite_utils.Database, command: Command) -> Outcome:
    """Otwa servers of the account that no live service (of any panel) is linked to,
    newest first, terminated ones left out: what a reseller may import."""
    linked = ops.linked_servers(db)
    out = []
    for server in reads.servers(bridge, db, command.request_id):
        if server["server_id"] in linked or server.get("status") in ("terminated", "missing"):
            continue
        product = reads.plan(bridge, server.get("product_id"), command.request_id)
        entry = {
            "server_id": server["server_id"],
            "label": server.get("label") or "",
            "hostname": server.get("hostname") or server.get("label") or "",
            "status": server.get("status"),
            "ip": server.get("ip"),
            "additional_ips": server.get("additional_ips") or [],
            "plan": product.name if product is not None else server.get("product_id"),
            "region": server.get("region"),
            "os": server.get("os"),
            "created_at": server.get("created_at"),
            "email": "",
        }
        keys = _product_keys(bridge, command.panel, server.get("product_id"))
        if keys:
            entry["product_key"] = keys[0]
        out.append(entry)
    out.sort(key=lambda s: str(s.get("created_at") or ""), reverse=True)
    return answered({"servers": out})


def _problem(service: dict[str, Any], kind: str, message: str, **more: Any) -> dict[str, Any]:
    return {"service_id": service.get("id"), "kind": kind, "message": message, **more}


def _check(
    seen: dict[str, Any], row: dict[str, Any] | None, live: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The problems of one service the panel described as ``seen``."""
    panel_status = str(seen.get("status") or "")
    claimed = str(seen.get("server_id") or "")
    if row is None or row["state"] == "terminated" or not row.get("server_id"):
        if row is not None and row["state"] == "provisioning":
            return []  # still being ordered
        hint = (
            "its Server ID is set: click Sync with bridge to link that server"
            if claimed
            else "create it again, or link an existing server (adopt)"
        )
        return [
            _problem(
                seen, "unknown_to_bridge", f"the bridge has no server for this service; {hint}"
            )
        ]
    problems: list[dict[str, Any]] = []
    server_id = str(row["server_id"])
    if claimed and claimed != server_id:
        problems.append(
            _problem(
                seen,
                "server_id_mismatch",
                f"WHMCS says server {claimed}, the bridge says {server_id}; save the right one "
                "in the Server ID field (adopt)",
                server_id=server_id,
            )
        )
    server = live.get(server_id)
    status = server.get("status") if server else None
    if server is None or status in ("terminated", "missing"):
        if panel_status == "Active":
            problems.append(
                _problem(
                    seen,
                    "missing_server",
                    f"Active in WHMCS but server {server_id} no longer exists at Otwa",
                    server_id=server_id,
                )
            )
        return problems
    if panel_status == "Active" and status in NOT_RUNNING:
        problems.append(
            _problem(
                seen,
                "not_running",
                f"Active in WHMCS but server {server_id} is {status} at Otwa",
                server_id=server_id,
                status=status,
            )
        )
    ip, extra = server.get("ip") or "", list(server.get("additional_ips") or [])
    seen_ip = str(seen.get("dedicatedip") or "")
    seen_extra = [str(i) for i in seen.get("assignedips") or []]
    if ip and (ip != seen_ip or sorted(extra) != sorted(seen_extra)):
        problems.append(
            _problem(
                seen,
                "ip_changed",
                f"primary IP is {ip} at Otwa"
                + (f", additional {', '.join(extra)}" if extra else ", no additional IPs"),
                server_id=server_id,
                ip=ip,
                additional_ips=extra,
            )
        )
    return problems


def reconcile(bridge: Bridge, db: sqlite_utils.Database, command: Command) -> Outcome:
    """Problems between the panel's view (``params.services``: id, status, server_id,
    dedicatedip, assignedips) and Otwa's: ``missing_server``, ``not_running``,
    ``unknown_to_bridge``, ``server_id_mismatch``, ``ip_changed``. Changes nothing."""
    described = [s for s in command.params.get("services") or [] if isinstance(s, dict)]
    rows = ops.services_of(db, command.panel, [str(s.get("id")) for s in described])
    live = {s["server_id"]: s for s in reads.servers(bridge, db, command.request_id)}
    problems: list[dict[str, Any]] = []
    for seen in described:
        problems.extend(_check(seen, rows.get(str(seen.get("id"))), live))
    return answered({"checked": len(described), "problems": problems})


def catalog(bridge: Bridge, db: sqlite_utils.Database, command: Command) -> Outcome:
    """The panel's products map for ConfigOptions loaders: products (key, plan, regions),
    the regions and OS values it maps, its add-on options; names from Otwa where it
    answers (a map without names is still an answer)."""
    table = bridge.catalog.panels.get(command.panel)
    region_names = reads.labels(bridge, db, "regions", command.request_id)
    os_names = reads.labels(bridge, db, "os_templates", command.request_id)
    products: dict[str, Any] = {}
    regions: dict[str, str] = {}
    if table is not None:
        for key, product in table.products.items():
            found = reads.plan(bridge, product.plan, command.request_id)
            products[key] = {
                "plan": product.plan,
                "plan_name": found.name if found is not None else product.plan,
                "regions": list(product.regions),
                "region": product.region,
            }
            for slug in product.regions:
                regions.setdefault(slug, region_names.get(slug, slug))
        for slug in table.region_values.values():
            regions.setdefault(slug, region_names.get(slug, slug))
    os_values = (
        [
            {"value": value, "label": os_names.get(choice.os_template) or value}
            for value, choice in table.os_values.items()
        ]
        if table is not None
        else []
    )
    return answered(
        {
            "products": products,
            "regions": [{"value": s, "label": n} for s, n in sorted(regions.items())],
            "os": os_values,
            "addons": dict(table.addon_options) if table is not None else {},
        }
    )
