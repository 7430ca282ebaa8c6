"""Whole stack: signed hooks through gunicorn (`python -m bridge serve`), a worker process,
the sandbox and the fake WHMCS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.fake_whmcs import FakeWhmcs
from tests.support.processes import ROOT, Sandbox
from tests.support.stack import Stack

SAMPLES = ROOT / "webhooks" / "samples" / "whmcs"


def _sample(name: str, service_id: int) -> dict:
    body = json.loads((SAMPLES / f"{name}.json").read_text())
    body["serviceid"] = service_id
    return body


@pytest.fixture
def stack(tmp_path: Path, sandbox: Sandbox, whmcs: FakeWhmcs) -> Iterator[Stack]:
    s = Stack(tmp_path, sandbox, whmcs).start(workers=1)
    yield s
    s.stop()


def test_create_hook_to_running_server_written_back(stack: Stack, whmcs: FakeWhmcs) -> None:
    body = _sample("create", 5001)
    r = stack.hook("whmcs", body, webhook_id="msg_create_5001")
    assert r.status_code == 200, r.text
    op = r.json()["operation"]
    assert op["action"] == "create" and op["state"] == "building"
    done = stack.wait_state(op["id"], "done")
    creds = stack.credentials(done["server_id"])
    call = whmcs.calls("UpdateClientProduct")[-1]
    assert (call["serviceid"], call["dedicatedip"]) == ("5001", creds["ip"])
    assert call["servicepassword"] == creds["password"]

    again = stack.hook("whmcs", body, webhook_id="msg_create_5001")  # replayed delivery
    assert again.status_code == 200 and again.json() == r.json()
    retry = stack.hook("whmcs", body)  # the panel's own retry: a new webhook id
    assert retry.status_code == 200 and retry.json()["operation"]["id"] == op["id"]
    assert len(stack.servers("whmcs-5001-")) == 1

    suspended = stack.hook("whmcs", _sample("suspend", 5001))
    assert suspended.status_code == 200, suspended.text
    sso = stack.hook("whmcs", _sample("sso", 5001))
    assert sso.status_code == 409 and sso.json()["error"]["code"] == "service_suspended"
    assert creds["password"] not in stack.logs()


def test_invoice_paid_hook_books_the_line_once(stack: Stack) -> None:
    body = _sample("invoice_paid", 5002)
    r = stack.hook("whmcs", body)
    assert r.status_code == 200, r.text
    assert r.json()["result"]["booked"] == 1
    again = stack.hook("whmcs", body)  # WHMCS fires InvoicePaid twice: a new webhook-id
    assert again.json()["result"]["already_booked"] == 1
    rows = stack.rows("SELECT event_id FROM ledger_transactions WHERE kind = 'sale'")
    assert rows == [{"event_id": "sale:whmcs:5012:1"}]


def test_402_reaches_the_panel_as_a_reseller_message(stack: Stack, sandbox: Sandbox) -> None:
    sandbox.set_balance("otwa_sandbox_default", "1.00")
    r = stack.hook("whmcs", _sample("create", 5003))
    assert r.status_code == 402, r.text
    message = r.json()["error"]["message"]
    assert message.startswith("Otwa wallet balance too low to deploy plan Starter (needs ")
    assert "has 1.00" in message
    assert stack.servers() == []


def test_hook_process_killed_after_otwa_committed_converges(
    tmp_path: Path, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    stack = Stack(tmp_path, sandbox, whmcs, {"INLINE_DEADLINE": 0.5, "JOB_LEASE_SECONDS": 2})
    try:
        stack.start(workers=0, web_workers=1, BRIDGE_CRASH_AT="create.after_response")
        with pytest.raises(requests.ConnectionError):
            stack.hook("whmcs", _sample("create", 5004))
        assert len(stack.servers("whmcs-5004-")) == 1  # Otwa has it; the bridge never heard
        stack.add_worker()
        op_id = stack.rows("SELECT id FROM operations WHERE service_id = '5004'")[0]["id"]
        op = stack.wait_state(op_id, "done")
        assert len(stack.servers("whmcs-5004-")) == 1
        assert op["server_id"] == stack.servers("whmcs-5004-")[0]["id"]
        assert whmcs.calls("UpdateClientProduct")[-1]["serviceid"] == "5004"
    finally:
        stack.stop()
