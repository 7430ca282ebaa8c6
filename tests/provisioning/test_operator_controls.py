"""``ops cancel`` and ``ops retry`` of a terminate in its grace period (issue 10, item 9):
cancelling starts the server again (or says it stays stopped), and retrying never
destroys at once."""

from __future__ import annotations

import pytest

from bridge import store
from bridge.clock import ManualClock
from bridge.errors import BridgeError
from bridge.provisioning import admin, jobs
from bridge.provisioning import worker as provisioning_worker
from tests.support.stack import BridgeEnv


def _status(env: BridgeEnv, server_id: str) -> str:
    return next(s for s in env.sandbox.state()["servers"] if s["id"] == server_id)["status"]


def _scheduled_terminate(env: BridgeEnv, service_id: str, grace: float = 600) -> str:
    op_id, out = env.submit(env.command("terminate", service_id, params={"grace_seconds": grace}))
    assert out.status == 202 and out.body["operation"]["state"] == "scheduled", out
    return op_id


def _run_due_jobs(env: BridgeEnv) -> None:
    """The real worker step, in process, until no job is due now (a destroy scheduled for
    later stays where it is)."""
    db = store.connect(env.db_path)
    try:
        owner = jobs.owner_id("test")
        while provisioning_worker.work_once(env.bridge, db, owner):
            pass
    finally:
        db.close()


def test_cancel_of_a_scheduled_terminate_starts_the_server_again(env: BridgeEnv) -> None:
    server_id = env.running_service("90")
    op_id = _scheduled_terminate(env, "90")
    assert _status(env, server_id) == "stopped"

    said = admin.cancel(env.bridge.db(), op_id, env.bridge)
    assert "started again" in said
    started = said.rsplit("operation ", 1)[1].rstrip(")")
    assert env.op(op_id)["state"] == "cancelled"
    assert env.service("90")["state"] == "active"
    _run_due_jobs(env)
    assert env.op(started)["action"] == "power" and env.op(started)["state"] == "done"
    assert _status(env, server_id) == "running"


def test_cancel_while_suspended_says_the_server_stays_stopped(env: BridgeEnv) -> None:
    server_id = env.running_service("91")
    env.submit(env.command("suspend", "91"))
    op_id = _scheduled_terminate(env, "91")

    said = admin.cancel(env.bridge.db(), op_id, env.bridge)
    assert "stays stopped" in said and "unsuspend" in said
    _run_due_jobs(env)
    assert _status(env, server_id) == "stopped"
    powers = env.rows("SELECT id FROM operations WHERE service_id = '91' AND action = 'power'")
    assert powers == []


def test_retry_of_a_cancelled_terminate_waits_out_the_rest_of_its_grace(env: BridgeEnv) -> None:
    server_id = env.running_service("92")
    op_id = _scheduled_terminate(env, "92", grace=600)
    destroy_at = env.op(op_id)["result"]["destroy_at"]
    admin.cancel(env.bridge.db(), op_id, env.bridge)
    _run_due_jobs(env)  # started again
    assert _status(env, server_id) == "running"

    assert admin.retry(env.bridge.db(), op_id, env.bridge) == "queued"
    _run_due_jobs(env)
    assert _status(env, server_id) == "stopped"  # stopped again, not destroyed
    op = env.op(op_id)
    assert op["state"] == "scheduled"
    destroy = [j for j in env.jobs(op_id) if j["kind"] == "destroy" and j["state"] == "ready"]
    assert len(destroy) == 1
    assert destroy[0]["run_after"] == pytest.approx(destroy_at, abs=5)


def test_retry_after_the_grace_ran_out_is_refused_and_changes_nothing(env: BridgeEnv) -> None:
    server_id = env.running_service("93")
    op_id = _scheduled_terminate(env, "93", grace=60)
    admin.cancel(env.bridge.db(), op_id, env.bridge)
    _run_due_jobs(env)
    before = (env.op(op_id), env.jobs(op_id))

    clock = ManualClock.following_system(offset=120)  # the grace ended while cancelled
    env.bridge = env.build_bridge(clock)
    with pytest.raises(BridgeError) as info:
        admin.retry(env.bridge.db(), op_id, env.bridge)
    assert (info.value.status, info.value.code) == (409, "grace_period_over")
    assert "send a new terminate" in info.value.message
    assert (env.op(op_id), env.jobs(op_id)) == before
    assert _status(env, server_id) == "running"
