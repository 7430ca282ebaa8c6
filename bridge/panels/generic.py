"""The generic adapter: the pinned, panel-neutral envelope (webhooks/schema/generic.schema.json).

``{"action", "service": {"id", "product_id", "options", "hostname"}, "client": {"id", ...},
"params": {...}}`` maps field for field onto a Command. Every adapter accepts it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bridge.provisioning.commands import ACTIONS, Command

SCHEMA = "generic.schema.json"


def action_of(body: Mapping[str, Any]) -> str | None:
    """The bridge action the body asks for, or None when it names no known action."""
    action = body.get("action")
    return action if isinstance(action, str) and action in ACTIONS else None


def text(value: Any) -> str:
    """A panel scalar as text (ids and option values arrive as numbers too)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def to_command(
    panel: str, body: Mapping[str, Any], *, webhook_id: str, request_id: str | None = None
) -> Command:
    """The body (already schema-valid) as a Command. For change_package ``product_id`` is
    the target product (``params.product_id`` when given)."""
    service = body["service"]
    params = dict(body.get("params") or {})
    product = service.get("product_id")
    if body["action"] == "change_package" and params.get("product_id") is not None:
        product = params["product_id"]
    client = dict(body.get("client") or {})
    return Command(
        panel=panel,
        action=body["action"],
        service_id=text(service["id"]),
        webhook_id=webhook_id,
        product_id=text(product) if product is not None else None,
        client_id=text(client["id"]) if client.get("id") is not None else None,
        hostname=service.get("hostname") or None,
        options={str(k): text(v) for k, v in (service.get("options") or {}).items()},
        params=params,
        client=client,
        request_id=request_id,
    )
