"""A burst: with Otwa's budget spent, or with earlier orders waiting for the worker, creates
are recorded and queued in one write transaction, without an inline attempt."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from bridge import create_app, store
from bridge.provisioning import intake, jobs
from tests.support.processes import Sandbox
from tests.web import hookkit as k


@pytest.fixture
def app(sandbox: Sandbox, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name, value in k.ENV.items():
        monkeypatch.setenv(name, value)
    return create_app(
        {
            "DATABASE": str(db_path),
            "CONFIG": str(k.write_config(tmp_path)),
            "OTWA_BASE_URL": sandbox.api,
            "OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
            "INLINE_HOLD_SECONDS": 30.0,
        }
    )


def _spend_otwa_window(sandbox: Sandbox) -> None:
    """Freeze Otwa's clock and use up its window (100 per key) from outside the bridge."""
    requests.put(f"{sandbox.url}/_sandbox/clock", json={"timeScale": 0}, timeout=5)
    for _ in range(100):
        requests.get(
            f"{sandbox.api}/account",
            headers={"Authorization": "Bearer otwa_sandbox_default"},
            timeout=5,
        )


def _write_transactions(db_path: Path) -> int:
    db = store.connect(db_path)
    try:
        return int(db.execute("PRAGMA data_version").fetchone()[0])
    finally:
        db.close()


def test_with_the_budget_spent_creates_are_queued_without_an_inline_try(
    app, sandbox: Sandbox, db_path: Path
) -> None:
    client = app.test_client()
    # Learn the window: one create meets Otwa's answer that nothing is left.
    _spend_otwa_window(sandbox)
    first = k.post(client, k.envelope("create", id="b0"), msg_id="msg_b0")
    assert first.status_code == 202, first.json
    bridge = app.extensions["otwa_bridge"]
    key = bridge.settings.otwa_api_key.get_secret_value()
    until = bridge.budget.spent_until(key)
    assert until is not None and until > bridge.clock.now()

    requests_before = sandbox.state()["requests"]["total"]
    replies = [k.post(client, k.envelope("create", id=f"b{i}"), msg_id=f"msg_b{i}") for i in (1, 2)]
    assert sandbox.state()["requests"]["total"] == requests_before  # no Otwa call at all
    db = store.connect(db_path)
    for i, reply in zip((1, 2), replies, strict=True):
        assert reply.status_code == 202
        body = reply.json
        assert body["ok"] is True and body["result"]["queued"] is True
        assert "budget is used up" in body["result"]["reason"]
        (job,) = db.query(
            "SELECT j.* FROM jobs j JOIN operations o ON o.id = j.operation_id"
            " WHERE o.service_id = ?",
            [f"b{i}"],
        )
        assert job["attempts"] == 0 and job["lease_owner"] is None  # never tried inline
        assert job["run_after"] == pytest.approx(until)  # due when a slot frees
        (event,) = db.query(
            "SELECT status, reply FROM webhook_events WHERE webhook_id = ?", [f"msg_b{i}"]
        )
        assert event["status"] == 202 and event["reply"].encode() == reply.data  # kept at once
    db.close()
    # A replay gets the kept reply verbatim.
    again = k.post(client, k.envelope("create", id="b1"), msg_id="msg_b1")
    assert again.headers["Webhook-Replayed"] == "true" and again.data == replies[0].data


def test_a_create_behind_orders_waiting_for_the_worker_is_queued_behind_them(
    app, sandbox: Sandbox, db_path: Path
) -> None:
    """Outside a spent window, but with earlier orders due and not yet taken (a burst's
    backlog when a new window opens): the create queues behind them, first come first
    served, and the hook does not hold its panel through an Otwa call."""
    client = app.test_client()
    bridge = app.extensions["otwa_bridge"]
    adapter = bridge.panel("whmcs")
    earlier = adapter.to_command(
        k.envelope("create", id="w0"), webhook_id="msg_w0", request_id="req_w0"
    )
    db = store.connect(db_path)
    with store.write(db):  # an earlier order, recorded and handed to the worker, not taken
        earlier_op = intake.record(db, earlier, bridge)
        (waiting,) = db.query("SELECT id FROM jobs WHERE operation_id = ?", [earlier_op])
        jobs.hand_over(db, waiting["id"], now=bridge.clock.now())

    requests_before = sandbox.state()["requests"]["total"]
    reply = k.post(client, k.envelope("create", id="w1"), msg_id="msg_w1")
    assert reply.status_code == 202, reply.json
    assert reply.json["result"]["queued"] is True
    assert sandbox.state()["requests"]["total"] == requests_before  # no inline Otwa call
    (job,) = db.query(
        "SELECT j.* FROM jobs j JOIN operations o ON o.id = j.operation_id"
        " WHERE o.service_id = 'w1'"
    )
    assert job["attempts"] == 0 and job["lease_owner"] is None
    assert job["run_after"] <= bridge.clock.now()  # due now: the worker takes it next
    (op,) = db.query("SELECT last_error FROM operations WHERE service_id = 'w1'")
    assert op["last_error"] is None  # waiting its turn is not trouble

    # Once the worker has taken the backlog, a create is tried inline again.
    with store.write(db):
        db.execute("UPDATE jobs SET state = 'done' WHERE state = 'ready'")
    inline = k.post(client, k.envelope("create", id="w2"), msg_id="msg_w2")
    assert inline.status_code == 200, inline.json
    assert sandbox.state()["requests"]["total"] > requests_before
    db.close()
