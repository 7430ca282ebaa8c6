"""Crash safety: a worker SIGKILLs itself at each named crash point; a clean worker started
afterwards converges every service to exactly one running server, written back."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.provisioning import crashpoints
from tests.support.fake_whmcs import FakeWhmcs
from tests.support.processes import Sandbox
from tests.support.stack import BridgeEnv

FAST = {"JOB_LEASE_SECONDS": 1.0, "OTWA_TIMEOUT": 0.9}
CREATE_POINTS = [
    "create.before_call",
    "create.after_response",
    "create.before_local_commit",
    "poll.before_commit",
    "writeback.before_call",
    "writeback.after_call",
]


def _crash(env: BridgeEnv, point: str) -> None:
    proc = env.worker_process(f"crash-{point}", BRIDGE_CRASH_AT=point).start()
    assert proc.popen is not None
    code = proc.popen.wait(timeout=30)
    assert code == -9, f"worker did not die at {point}:\n{proc.log()}"
    assert point in proc.log()


def _converged(env: BridgeEnv, whmcs: FakeWhmcs, op_id: str, service_id: str) -> None:
    op = env.op(op_id)
    assert op["state"] == "done", op
    live = env.servers(f"whmcs-{service_id}-")
    assert len(live) == 1, live
    assert live[0]["status"] == "running" and live[0]["id"] == op["server_id"]
    creds = env.credentials(op["server_id"])
    last = [c for c in whmcs.calls("UpdateClientProduct") if c["serviceid"] == service_id][-1]
    assert last["servicepassword"] == creds["password"]
    assert last["dedicatedip"] == creds["ip"]


def test_every_crash_point_is_named_and_tested() -> None:
    assert set(CREATE_POINTS) | {"destroy.after_call"} == set(crashpoints.NAMES)


@pytest.mark.parametrize("point", CREATE_POINTS)
def test_create_converges_after_a_crash_at(
    point: str, tmp_path: Path, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    env = BridgeEnv(tmp_path, sandbox, whmcs, FAST)
    op_id = env.record(env.command("create", "x1"))
    _crash(env, point)
    env.drain()
    _converged(env, whmcs, op_id, "x1")
    if point == "writeback.after_call":
        assert len(whmcs.calls("UpdateClientProduct")) == 2  # repeated, harmlessly


def test_terminate_converges_after_a_crash_after_destroy(
    tmp_path: Path, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    env = BridgeEnv(tmp_path, sandbox, whmcs, FAST)
    server_id = env.running_service("x2")
    op_id = env.record(env.command("terminate", "x2"))
    _crash(env, "destroy.after_call")
    env.drain()
    assert env.op(op_id)["state"] == "done"
    assert env.op(op_id)["result"]["already_gone"] is True  # the retry found it gone
    assert env.servers("whmcs-x2-") == []
    assert env.service("x2")["state"] == "terminated"
    assert [s["status"] for s in env.sandbox.state()["servers"] if s["id"] == server_id] == [
        "terminated"
    ]


def test_crash_points_are_inert_without_the_variable(env: BridgeEnv, whmcs: FakeWhmcs) -> None:
    op_id = env.record(env.command("create", "x3"))
    env.drain()
    _converged(env, whmcs, op_id, "x3")
