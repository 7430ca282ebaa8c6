"""Sign and send one hook to a bridge: what ``otwa-bridge send`` does, usable from scripts.

The body is the generic envelope (every panel accepts it) built from arguments, or a
file's bytes sent exactly as they are (the signature covers the raw bytes).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from bridge import signing


def pairs(items: Iterable[str], what: str) -> dict[str, Any]:
    """``k=v`` -> string value; ``k:=json`` -> typed value (``grace_seconds:=0``)."""
    out: dict[str, Any] = {}
    for item in items:
        eq = item.find("=")
        if eq > 0 and item[eq - 1] == ":":
            key, raw = item[: eq - 1], item[eq + 1 :]
            try:
                out[key] = json.loads(raw)
            except json.JSONDecodeError:
                raise ValueError(f"{what} {item!r}: the value after := must be JSON") from None
        elif "=" in item:
            key, value = item.split("=", 1)
            out[key] = value
        else:
            raise ValueError(f"{what} {item!r}: write key=value (or key:=<json>)")
        if not key:
            raise ValueError(f"{what} {item!r}: the key is empty")
    return out


def envelope(
    action: str,
    service: str,
    *,
    product: str | None = None,
    client: str | None = None,
    hostname: str | None = None,
    options: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The pinned generic envelope (webhooks/schema/generic.schema.json)."""
    svc: dict[str, Any] = {"id": service}
    if product is not None:
        svc["product_id"] = product
    if options:
        svc["options"] = dict(options)
    if hostname:
        svc["hostname"] = hostname
    body: dict[str, Any] = {"action": action, "service": svc, "client": {"id": client or "0"}}
    if params:
        body["params"] = dict(params)
    return body


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    replayed: bool
    request_id: str | None


def send(
    url: str,
    panel: str,
    raw: bytes,
    secret: str,
    *,
    webhook_id: str | None = None,
    request_id: str | None = None,
    timeout: float = 30.0,
) -> Reply:
    """POST ``raw`` to ``<url>/v1/hooks/<panel>`` signed with ``secret``.

    Raises ``requests.RequestException`` on transport errors (no reply at all).
    """
    headers = signing.sign_headers([secret], raw, msg_id=webhook_id)
    headers["Content-Type"] = "application/json"
    if request_id:
        headers["X-Request-Id"] = request_id
    response = requests.post(
        f"{url.rstrip('/')}/v1/hooks/{panel}", data=raw, headers=headers, timeout=timeout
    )
    try:
        body: Any = response.json()
    except ValueError:
        body = {"ok": False, "error": {"code": "not_json", "message": response.text[:500]}}
    return Reply(
        status=response.status_code,
        body=body,
        replayed=response.headers.get("Webhook-Replayed") == "true",
        request_id=response.headers.get("X-Request-Id"),
    )
