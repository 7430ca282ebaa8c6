"""The generic panel writes back too: signed Standard Webhooks to its webhook_url,
delivered through the job queue with retries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge import signing
from tests.support.processes import Sandbox
from tests.support.stack import BridgeEnv
from tests.support.webhook_receiver import WebhookReceiver

PANEL_SECRET = signing.generate_secret()


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[WebhookReceiver]:
    r = WebhookReceiver(tmp_path).start()
    yield r
    r.stop()


@pytest.fixture
def env(tmp_path: Path, sandbox: Sandbox, receiver: WebhookReceiver) -> BridgeEnv:
    toml = f"""
[panels.shop]
adapter = "generic"
webhook_url = "{receiver.url}"
notify_admins = true
[panels.shop.os]
default = "ubuntu-24.04"
[panels.shop.os.values]
"ubuntu-24.04" = "ubuntu-24.04"
[panels.shop.products.vps]
plan = "Starter"
regions = ["tr-ist-01"]
"""
    env = BridgeEnv(tmp_path, sandbox, None, extra_toml=toml)
    env.extra_env["BRIDGE_SHOP_WEBHOOK_SECRET"] = PANEL_SECRET
    env.reconfigure()
    return env


def _events(receiver: WebhookReceiver) -> list[dict]:
    """Deliveries that carry a valid signature, decoded; an invalid one fails the test."""
    out = []
    for delivery in receiver.received():
        webhook_id = signing.verify(delivery["headers"], delivery["body"], [PANEL_SECRET])
        out.append(
            {"id": webhook_id, **json.loads(delivery["body"]), "_code": delivery["answered"]}
        )
    return out


def test_a_new_server_is_written_back_as_a_signed_server_ready_event(
    env: BridgeEnv, receiver: WebhookReceiver
) -> None:
    receiver.fail(1)  # the first delivery meets a 503: the queue retries it
    op_id, outcome = env.submit(env.command("create", "s1", panel="shop", product_id="vps"))
    assert outcome.status == 200, outcome
    env.drain()
    assert env.op(op_id)["state"] == "done"
    events = _events(receiver)
    assert [(e["type"], e["_code"]) for e in events] == [
        ("server.ready", 503),
        ("server.ready", 204),
    ]
    assert events[0]["id"] == events[1]["id"] == f"evt_{op_id}_server_ready"  # dedupe key
    data = events[1]["data"]
    server_id = env.op(op_id)["server_id"]
    creds = env.credentials(server_id)
    assert data["service_id"] == "s1" and data["server_id"] == server_id
    assert data["ip"] == creds["ip"] and data["password"] == creds["password"]


def test_a_password_reset_reaches_the_script_that_asked_for_it(
    env: BridgeEnv, receiver: WebhookReceiver
) -> None:
    env.submit(env.command("create", "s2", panel="shop", product_id="vps"))
    env.drain()
    op_id, outcome = env.submit(env.command("reset_password", "s2", panel="shop"))
    assert outcome.status == 200, outcome
    env.drain()
    (reset,) = [e for e in _events(receiver) if e["type"] == "password.reset"]
    server_id = env.op(op_id)["server_id"]
    assert reset["data"]["password"] == env.credentials(server_id)["password"]
    assert reset["data"]["additional_ips"] is None  # unknown here: the panel keeps its own


def test_a_definitive_failure_is_announced_as_operation_failed(
    env: BridgeEnv, receiver: WebhookReceiver, sandbox: Sandbox
) -> None:
    sandbox.set_balance("otwa_sandbox_default", "0.00")
    op_id, outcome = env.submit(env.command("create", "s3", panel="shop", product_id="vps"))
    assert outcome.status == 402
    from bridge.provisioning import admin

    admin.retry(env.bridge.db(), op_id, env.bridge)
    env.drain()
    failed = [e for e in _events(receiver) if e["type"] == "operation.failed"]
    assert len(failed) == 1 and failed[0]["data"]["code"] == "otwa_wallet"
    assert failed[0]["data"]["operation_id"] == op_id
