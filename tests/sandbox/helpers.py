"""Small HTTP helpers for the sandbox tests: every API answer is validated against the spec."""

from __future__ import annotations

from typing import Any

import requests

from tests.support.openapi import validate
from tests.support.processes import Sandbox

DEFAULT = "otwa_sandbox_default"
DESTROY = "otwa_sandbox_destroy"
READONLY = "otwa_sandbox_readonly"
LEGACY = "otwa_sandbox_legacy"
OTHER = "otwa_sandbox_other"
BROKE = "otwa_sandbox_broke"

STARTER = "6f1c1a52-3d0e-4f5a-9a57-0c1e2b7d5a01"
STANDARD = "8a2d4b63-4e1f-4a6b-8b68-1d2f3c8e6b02"
PRO = "9b3e5c74-5f20-4b7c-9c79-2e303d9f7c03"
WINDOWS = "ac4f6d85-6031-4c8d-8d8a-3f414ea08d04"


def call(
    sb: Sandbox,
    method: str,
    path: str,
    key: str | None = DEFAULT,
    json: Any = None,
    headers: dict[str, str] | None = None,
    check: bool = True,
    **kw: Any,
) -> requests.Response:
    """One /api/v1 request with ``key``; validated against the spec unless ``check=False``."""
    h = dict(headers or {})
    if key is not None:
        h["Authorization"] = f"Bearer {key}"
    r = requests.request(method, f"{sb.api}{path}", json=json, headers=h, timeout=10, **kw)
    return validate(r) if check else r


def create(sb: Sandbox, key: str = DEFAULT, **body: Any) -> requests.Response:
    payload = {"productId": STANDARD, "os": "ubuntu-24.04", "osTemplate": "ubuntu-24.04"}
    payload.update(body)
    headers = {}
    if "idem" in payload:
        headers["Idempotency-Key"] = payload.pop("idem")
    return call(sb, "POST", "/servers", key, json=payload, headers=headers)


def freeze(sb: Sandbox) -> None:
    """Stop the sandbox clock (reset restores the boot speed)."""
    requests.put(f"{sb.url}/_sandbox/clock", json={"timeScale": 0}, timeout=5).raise_for_status()


def running_server(sb: Sandbox, key: str = DEFAULT, **body: Any) -> dict[str, Any]:
    """Create a server and advance the clock until it runs."""
    r = create(sb, key, **body)
    assert r.status_code == 201, r.text
    sb.advance(200)
    s = call(sb, "GET", f"/servers/{r.json()['id']}", key).json()
    assert s["status"] == "running"
    return s


def balance(sb: Sandbox, key: str = DEFAULT) -> str:
    return sb.state()["balances"][key]
