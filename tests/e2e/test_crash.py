"""Proof 1, crash safety: SIGKILL the bridge (gunicorn) or the worker at every named crash
point of create (and of terminate's destroy), restart what was killed, and every service
still ends with exactly one Otwa server, running, its IP and credentials written back to
WHMCS. The panel's retry of the same hook and a new hook for the same service, sent right
after the crash, change nothing.

Crash points are armed with ``BRIDGE_CRASH_AT`` (bridge/provisioning/crashpoints.py): the
process SIGKILLs itself there, so no ``finally`` or rollback handler of ours runs. A
separate case SIGKILLs the whole web tier from outside while Otwa is executing the order.
"""

from __future__ import annotations

import signal
import threading

import pytest

from tests.e2e.conftest import StackFactory
from tests.support.e2e import E2EStack, Sent, assert_converged, label, whmcs_body
from tests.support.fake_whmcs import FakeWhmcs
from tests.support.processes import Process, Sandbox

# Short leases so a dead claimer's job comes back quickly. The hook's own lease is
# 3 * INLINE_DEADLINE + 5 s (bridge/provisioning/runner.py), so inline cases wait ~6.5 s.
FAST = {
    "INLINE_DEADLINE": 0.5,
    "JOB_LEASE_SECONDS": 1.5,
    "OTWA_TIMEOUT": 1.0,
    "BUILD_POLL_INTERVAL": 0.05,
}
CREATE_POINTS = ("create.before_call", "create.after_response", "create.before_local_commit")
# Where each crash point can be reached: the hook's inline attempt runs only the Otwa call
# of the operation; polling and write-back only ever run in the worker.
CASES = [
    *[(point, "inline") for point in CREATE_POINTS],
    *[(point, "worker") for point in CREATE_POINTS],
    ("poll.before_commit", "worker"),
    ("writeback.before_call", "worker"),
    ("writeback.after_call", "worker"),
]
SID = 4242


def _crashed_at(proc_log: str, point: str) -> bool:
    return f'"crash_point": "{point}"' in proc_log


def _wait_killed(proc: Process, point: str) -> None:
    assert proc.popen is not None
    try:
        proc.popen.wait(timeout=30)
    except Exception:  # noqa: BLE001 - report the log
        raise AssertionError(f"{point} was never reached:\n{proc.log()[-3000:]}") from None
    assert proc.popen.returncode == -signal.SIGKILL, proc.popen.returncode
    assert _crashed_at(proc.log(), point), proc.log()[-3000:]


def _assert_accepted(sent: Sent, *, replayed: bool) -> dict:
    assert sent.response is not None
    assert sent.status in (200, 202), sent.response.text
    body = sent.json()
    assert body["ok"] is True, body
    assert (sent.response.headers.get("Webhook-Replayed") == "true") is replayed
    return body


def _panel_retries(stack: E2EStack, first: Sent) -> None:
    """The panel re-sends the event (same id) and sends a new one for the same service."""
    again = _assert_accepted(stack.resend(first), replayed=True)
    fresh = _assert_accepted(stack.send(whmcs_body("CreateAccount", SID)), replayed=False)
    assert again["operation"]["id"] == fresh["operation"]["id"]


def _assert_exactly_one(stack: E2EStack, sandbox: Sandbox) -> None:
    servers = sandbox.state()["servers"]
    assert [s["label"] for s in servers] == [label(SID)], servers
    creates = stack.rows("SELECT id, state FROM operations WHERE action = 'create'")
    assert len(creates) == 1 and creates[0]["state"] == "done", creates


@pytest.mark.parametrize(("point", "path"), CASES, ids=[f"{p}-{w}" for p, w in CASES])
def test_create_converges_after_sigkill_at(
    point: str, path: str, make_stack: StackFactory, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    stack = make_stack(FAST)
    armed = {"BRIDGE_CRASH_AT": point}
    if path == "inline":
        stack.start_web(**armed)
        stack.add_worker("worker")
    else:
        stack.start_web()
        doomed = stack.add_worker("doomed", **armed)
        if point.startswith("create."):
            # The hook's inline try meets a 500 and queues, so the worker does the order.
            sandbox.faults(1.0, ["500"], methods=["POST"], paths=["/servers"], limit=1)

    first = stack.send(whmcs_body("CreateAccount", SID), expect_reply=path == "worker")
    if path == "inline":
        assert first.response is None, "the bridge was SIGKILLed before it could reply"
        assert stack.web is not None and _crashed_at(stack.web.log(), point)
        stack.restart_web()  # the whole web tier, now unarmed
    else:
        _assert_accepted(first, replayed=False)
        _wait_killed(doomed, point)
        stack.add_worker("restarted")

    _panel_retries(stack, first)
    assert_converged(stack, whmcs, [SID], timeout=45)
    _assert_exactly_one(stack, sandbox)
    if point == "writeback.after_call":
        # The panel was updated before the crash and again by the restarted worker.
        assert len(whmcs.calls("UpdateClientProduct")) >= 2

    # Once it has converged, more retries still change nothing.
    _panel_retries(stack, first)
    stack.quiesce()
    _assert_exactly_one(stack, sandbox)


@pytest.mark.parametrize("path", ["inline", "worker"])
def test_terminate_converges_after_sigkill_after_destroy(
    path: str, make_stack: StackFactory, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    point = "destroy.after_call"
    stack = make_stack(FAST)
    stack.start_web()
    first_worker = stack.add_worker("worker")
    stack.send(whmcs_body("CreateAccount", SID))
    assert_converged(stack, whmcs, [SID])
    terminate = whmcs_body("TerminateAccount", SID, grace_seconds=0)

    if path == "inline":
        stack.restart_web(BRIDGE_CRASH_AT=point)
        first = stack.send(terminate, expect_reply=False)
        assert first.response is None
        assert stack.web is not None and _crashed_at(stack.web.log(), point)
        stack.restart_web()
    else:
        first_worker.stop()
        doomed = stack.add_worker("doomed", BRIDGE_CRASH_AT=point)
        sandbox.faults(1.0, ["500"], methods=["DELETE"], paths=["/servers/*"], limit=1)
        first = stack.send(terminate)
        _assert_accepted(first, replayed=False)
        _wait_killed(doomed, point)
        stack.add_worker("restarted")

    # Otwa already deleted the server; the bridge has not recorded it yet.
    assert [s["status"] for s in sandbox.state()["servers"]] == ["terminated"]
    _assert_accepted(stack.resend(first), replayed=True)
    _assert_accepted(stack.send(terminate), replayed=False)
    stack.wait_for(
        lambda: {r["state"] for r in stack.rows("SELECT state FROM operations")} == {"done"},
        30,
        "every operation done",
    )
    assert stack.service(str(SID))["state"] == "terminated"
    servers = sandbox.state()["servers"]
    assert [(s["label"], s["status"]) for s in servers] == [(label(SID), "terminated")]


def test_external_sigkill_of_the_bridge_while_otwa_executes_the_order(
    make_stack: StackFactory, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    """No crash point: the whole web tier is SIGKILLed from outside mid-request, while
    Otwa holds the POST /servers (latency) and goes on to create the server."""
    stack = make_stack({**FAST, "INLINE_DEADLINE": 1.0})
    stack.start_web()
    stack.add_worker("worker")
    sandbox.set_latency(60, ["POST /api/v1/servers"])  # the order is held until lifted
    result: dict[str, Sent] = {}
    sender = threading.Thread(
        target=lambda: result.setdefault(
            "first", stack.send(whmcs_body("CreateAccount", SID), expect_reply=False)
        )
    )
    sender.start()
    sandbox.wait_in_flight(1, route="POST /api/v1/servers")  # the order is being held
    assert sandbox.state()["servers"] == []
    stack.kill_web()
    sender.join(10)
    assert result["first"].response is None
    sandbox.set_latency(0)  # Otwa finishes executing the order nobody is waiting for
    stack.wait_for(lambda: sandbox.state()["servers"], 10, "the order executed")
    assert [s["label"] for s in sandbox.state()["servers"]] == [label(SID)]
    stack.start_web()
    _panel_retries(stack, result["first"])
    assert_converged(stack, whmcs, [SID], timeout=45)
    _assert_exactly_one(stack, sandbox)
