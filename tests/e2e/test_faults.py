"""Proof 2, faults: 200 orders through the signed hook while the sandbox fails 20 % of all
Otwa requests (500, 502, timeout, 429, connection reset, and lost-response: executed, then
the connection dropped) -> 200 servers, no label twice, every order has its server, and
every service's IP and credentials are written back to WHMCS (which itself drops a few
calls). The first run of every hook is also checked: none is a 5xx.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from tests.e2e.conftest import StackFactory
from tests.support.e2e import E2EStack, Sent, assert_converged, duplicates, label, whmcs_body
from tests.support.fake_whmcs import FakeWhmcs
from tests.support.processes import Sandbox

ORDERS = 200
FAULT_RATE = 0.2
FAULT_KINDS = ["500", "502", "timeout", "429", "reset", "lost-response"]
FAULT_SEED = 20240
FIRST_SID = 10_000

SETTINGS = {
    "OTWA_TIMEOUT": 0.5,  # the timeout fault holds 1 s: the client gives up first
    "INLINE_DEADLINE": 0.5,
    "JOB_LEASE_SECONDS": 3.0,
    "JOB_MAX_ATTEMPTS": 40,  # 0.2**40: no job may dead-letter by bad luck
    "JOB_BACKOFF_BASE": 0.05,
    "JOB_BACKOFF_CAP": 0.4,
    "BUILD_POLL_INTERVAL": 0.25,
    "WORKER_IDLE_SECONDS": 0.05,
}


def _send_until_answered(stack: E2EStack, sid: int) -> tuple[Sent, int]:
    """Deliver the order like a panel: re-send the same event until the bridge answers."""
    body = whmcs_body("CreateAccount", sid)
    first = stack.send(body, expect_reply=False, timeout=30)
    tries = 1
    sent = first
    while sent.response is None and tries < 5:
        sent = stack.resend(first, expect_reply=False, timeout=30)
        tries += 1
    return sent, tries


def test_200_orders_under_20_percent_faults_make_200_servers(
    make_stack: StackFactory, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    started = time.monotonic()
    stack = make_stack(SETTINGS, gunicorn_workers=2)
    stack.start(workers=2)
    sandbox.set_balance("otwa_sandbox_default", "5000.00")
    sandbox.faults(FAULT_RATE, FAULT_KINDS, seed=FAULT_SEED, delay=1.0)
    whmcs.fail(5, "drop")  # the first write-backs meet a panel that drops the connection

    sids = list(range(FIRST_SID, FIRST_SID + ORDERS))
    with ThreadPoolExecutor(max_workers=8) as pool:
        delivered = list(pool.map(lambda sid: _send_until_answered(stack, sid), sids))
    statuses = [sent.status for sent, _ in delivered]
    assert None not in statuses, "the bridge never answered some hooks"
    assert all(s in (200, 202) for s in statuses), sorted(set(statuses))  # type: ignore[arg-type]
    assert all(sent.json()["ok"] is True for sent, _ in delivered)

    stack.wait_for(
        lambda: (
            stack.rows(
                "SELECT count(*) AS n FROM operations WHERE action = 'create' AND state = 'done'"
            )[0]["n"]
            == ORDERS
        ),
        90,
        "every create done",
    )
    state = sandbox.state()
    injected = dict(state["requests"]["faults"])
    sandbox.clear_faults()

    servers = assert_converged(stack, whmcs, sids, timeout=30)
    assert len(servers) == ORDERS
    all_servers = sandbox.state()["servers"]
    assert duplicates(all_servers) == {}
    assert sorted(s["label"] for s in all_servers) == sorted(label(sid) for sid in sids)
    assert {r["state"] for r in stack.rows("SELECT state FROM operations")} == {"done"}
    dead = stack.rows("SELECT id, kind, last_error FROM jobs WHERE state = 'dead'")
    assert dead == []
    # The faults were really there, of every kind.
    assert set(injected) == set(FAULT_KINDS), injected
    assert sum(injected.values()) >= 0.1 * state["requests"]["total"], (injected, state["requests"])
    print(
        f"\n{ORDERS} orders, fault rate {FAULT_RATE}, seed {FAULT_SEED}: "
        f"{state['requests']['total']} Otwa requests, faults injected {injected}, "
        f"hook statuses 200={statuses.count(200)} 202={statuses.count(202)}, "
        f"hook re-sends {sum(t - 1 for _, t in delivered)}, duplicates 0, "
        f"{time.monotonic() - started:.1f} s"
    )
