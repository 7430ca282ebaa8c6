"""The panel-neutral command model: what a panel adapter hands to provisioning.

Panel adapters (bridge.panels.*) translate a panel's payload into a :class:`Command`;
provisioning turns a command into an operation, Otwa calls and an :class:`Outcome`,
which the adapter renders back into the panel's reply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Every action the hook endpoint accepts (pinned in DESIGN.md).
ACTIONS: tuple[str, ...] = (
    "create",
    "suspend",
    "unsuspend",
    "terminate",
    "change_package",
    "reinstall",
    "reset_password",
    "power",
    "rename",
    "add_addon",
    "sso",
    "status",
    "usage",
    "test_connection",
    "invoice_paid",
    "invoice_refunded",
    "sso_link",
    "validate",
    "adopt",
    # Additive, not pinned in DESIGN.md (docs/hooks.md): reads for panels' import, usage,
    # daily check and product editor.
    "unlinked_servers",
    "reconcile",
    "catalog",
)


@dataclass(frozen=True)
class Command:
    """One thing a panel says happened to one customer service.

    ``options`` are the panel's option values by the names used in the products map
    (config/bridge.toml); ``params`` are action-specific (``power``: ``{"action": "stop"}``,
    ``rename``: ``{"label": ...}``, ``reinstall``: ``{"os": ...}``, ``add_addon``:
    ``{"type": "backup"}``, ``terminate``: ``{"grace_seconds": 0}``, ``sso_link``:
    ``{"target": "dashboard", "next": "/dashboard/billing"}``, ``adopt``:
    ``{"server_id": ...}``, ``reset_password``: ``{"reveal": true}``, ``status``:
    ``{"detail": "client"}``, ``usage``/``reconcile``: ``{"services": [...]}``...).
    """

    panel: str
    action: str
    service_id: str
    webhook_id: str
    product_id: str | None = None
    client_id: str | None = None
    hostname: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    client: dict[str, Any] = field(default_factory=dict)
    # X-Request-Id of the hook that carried the command: logged from hook to Otwa call.
    request_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What the hook replies: HTTP status and the pinned body shape.

    ``{"ok": true, "operation": {...}, "result": {...}}`` or
    ``{"ok": false, "error": {"code": ..., "message": ...}}``.
    """

    status: int
    body: dict[str, Any]
