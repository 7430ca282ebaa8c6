"""The generic panel: the pinned, panel-neutral envelope in, signed webhooks out.

In: ``{"action", "service": {"id", "product_id", "options", "hostname"}, "client": {"id",
...}, "params": {...}}`` (webhooks/schema/generic.schema.json) maps field for field onto a
Command. Every panel accepts it.

Out: when ``webhook_url`` is configured, write-backs and admin notices are POSTed there
as Standard Webhooks, signed with the panel's ``webhook_secret`` exactly as hooks are
signed towards the bridge: ``{"type": "server.ready" | "server.reinstalled" |
"server.adopted" | "password.reset" | "operation.failed" | "ledger.alert", "timestamp": ISO
8601, "data": {...}}``. The
``webhook-id`` is fixed per operation and event, so a receiver dedupes the job queue's
retries; a 2xx answer is success, anything else is retried.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bridge import signing
from bridge.commands import Command
from bridge.logs import register_secret
from bridge.panels.base import Notice, Panel, PanelRefused, PanelUnavailable, WriteBack

OPERATION_FAILED = "operation.failed"


def text(value: Any) -> str:
    """A panel scalar as text (ids and option values arrive as numbers too)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def envelope_command(
    panel: str, body: Mapping[str, Any], *, webhook_id: str, request_id: str | None
) -> Command:
    """The (schema-valid) generic envelope as a Command. For change_package ``product_id``
    is the target product (``params.product_id`` when given)."""
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


class GenericPanel(Panel):
    """Any panel or script speaking the generic envelope."""

    SCHEMA = "generic.schema.json"

    def to_command(
        self, body: Mapping[str, Any], *, webhook_id: str, request_id: str | None = None
    ) -> Command:
        return envelope_command(self.name, body, webhook_id=webhook_id, request_id=request_id)

    @property
    def can_write_back(self) -> bool:
        return bool(self.config.webhook_url and self.config.webhook_secret)

    def write_back(self, update: WriteBack, *, timeout: float) -> None:
        data: dict[str, Any] = {
            "operation_id": update.operation_id,
            "service_id": update.service_id,
            "server_id": update.server_id,
            "ip": update.ip,
            "additional_ips": (
                list(update.additional_ips) if update.additional_ips is not None else None
            ),
            "username": update.username,
            "password": update.password,
        }
        self._deliver(update.event, update.operation_id, update.occurred_at, data, timeout)

    def notify_admins(self, notice: Notice, *, timeout: float) -> bool:
        if not self.can_write_back:
            return False
        data = {
            "operation_id": notice.operation_id,
            "action": notice.action,
            "service_id": notice.service_id,
            "code": notice.code,
            "subject": notice.subject,
            "message": notice.message,
        }
        self._deliver(notice.event, notice.operation_id, notice.occurred_at, data, timeout)
        return True

    def _deliver(
        self, event: str, operation_id: str, at: float, data: dict[str, Any], timeout: float
    ) -> None:
        url, secret = self.config.webhook_url, self.config.webhook_secret
        if not (url and secret):
            raise PanelRefused(
                f"panel {self.name} has no webhook_url / {self.config.webhook_secret_env}"
            )
        stamp = datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")
        raw = json.dumps(
            {"type": event, "timestamp": stamp, "data": data}, separators=(",", ":")
        ).encode()
        if data.get("password"):
            register_secret(raw.decode(), transient=True)
        webhook_id = f"evt_{operation_id}_{event.replace('.', '_')}"
        headers = signing.sign_headers([secret], raw, msg_id=webhook_id)
        headers["Content-Type"] = "application/json"
        response = self._post(url, data=raw, headers=headers, timeout=timeout)
        if not 200 <= response.status_code < 300:
            # Standard Webhooks: anything but 2xx is a failed delivery, retried later.
            raise PanelUnavailable(
                f"panel {self.name} webhook endpoint answered HTTP {response.status_code}"
            )
