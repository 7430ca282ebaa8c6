"""Proof 3, a Hypothesis state machine driving random hook sequences against the real stack
(gunicorn bridge + worker + sandbox + fake WHMCS): create, suspend, unsuspend, terminate
(now or after a grace period), reinstall, power, rename, and re-sends of earlier
webhook-ids, in any order, over a few services. Out-of-order sequences (suspend before
create, terminate twice, unsuspend after terminate...) come up by construction.

After every step the worker is given time to drain, then the invariants are checked:

* no hook reply is a 5xx;
* at most one non-terminated Otwa server per (service, generation) label;
* a terminated service, and every earlier generation of a service, has no live server;
* a re-sent accepted hook gets the first reply byte-for-byte (Webhook-Replayed) and changes
  nothing (no webhook row, no operation, no server);
* every accepted operation is terminal (done/failed/dead/cancelled) or visibly pending:
  building (the poll follows it) or queued/writeback/scheduled with an open job.

Each example uses fresh service ids on one long-lived stack (the sandbox is not reset
between examples), so invariants look only at the example's own services. Derandomized:
the same examples run on every machine.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any, ClassVar

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bridge.provisioning import keys
from tests.e2e.conftest import StackFactory
from tests.support.e2e import E2EStack, Sent, label, whmcs_body
from tests.support.fake_whmcs import FakeWhmcs
from tests.support.processes import Sandbox

SERVICES = 3
MAX_EXAMPLES = 40
STEPS = 20
FINAL = ("done", "failed", "dead", "cancelled")
PENDING_WITH_JOB = ("queued", "writeback", "scheduled")
SETTINGS = {
    "INLINE_DEADLINE": 1.0,
    "JOB_LEASE_SECONDS": 3.0,
    "BUILD_POLL_INTERVAL": 0.05,
    "JOB_BACKOFF_BASE": 0.05,
    "JOB_BACKOFF_CAP": 0.3,
}
STATS: Counter[str] = Counter()


class HookSequences(RuleBasedStateMachine):
    stack: ClassVar[E2EStack]
    examples: ClassVar[int] = 0

    def __init__(self) -> None:
        super().__init__()
        HookSequences.examples += 1
        base = 30_000 + 10 * HookSequences.examples
        self.sids = [str(base + n) for n in range(SERVICES)]
        self.accepted: list[tuple[Sent, int, bytes]] = []  # first delivery, its reply
        self.refused: list[Sent] = []  # refused before recording: no row, may be re-sent

    # -- sending ------------------------------------------------------------------------------

    def _deliver(self, action: str, i: int, /, **params: Any) -> Sent:
        sent = self.stack.send(whmcs_body(action, int(self.sids[i]), **params))
        self._check_reply(sent)
        STATS[f"{action} {sent.status}"] += 1
        row = self.stack.rows(
            "SELECT 1 FROM webhook_events WHERE webhook_id = ?", [sent.webhook_id]
        )
        if row:
            assert sent.response is not None
            self.accepted.append((sent, sent.status or 0, sent.response.content))
        else:
            assert sent.status is not None and 400 <= sent.status < 500, sent.status
            self.refused.append(sent)
        self._settle()
        return sent

    @staticmethod
    def _check_reply(sent: Sent) -> None:
        assert sent.response is not None
        assert sent.status is not None and sent.status < 500, sent.response.text
        body = sent.json()
        if body["ok"] is False:
            assert {"code", "message"} <= set(body["error"]), body

    def _settle(self) -> None:
        """Let the worker finish what is due (backoffs and grace periods may remain)."""
        try:
            self.stack.quiesce(timeout=8)
        except AssertionError:
            STATS["settle timed out"] += 1  # the pending-work invariant still applies

    # -- rules --------------------------------------------------------------------------------

    @initialize()
    def first_service_exists(self) -> None:
        """Start every example with one live server so actions on it come up often; the
        other services start unknown (out-of-order hooks)."""
        self._deliver("CreateAccount", 0)

    @rule(i=st.integers(0, SERVICES - 1))
    def create(self, i: int) -> None:
        self._deliver("CreateAccount", i)

    @rule(i=st.integers(0, SERVICES - 1))
    def suspend(self, i: int) -> None:
        self._deliver("SuspendAccount", i)

    @rule(i=st.integers(0, SERVICES - 1))
    def unsuspend(self, i: int) -> None:
        self._deliver("UnsuspendAccount", i)

    @rule(i=st.integers(0, SERVICES - 1), grace=st.sampled_from([0, 0, 1]))
    def terminate(self, i: int, grace: int) -> None:
        self._deliver("TerminateAccount", i, grace_seconds=grace)

    @rule(i=st.integers(0, SERVICES - 1), os=st.sampled_from(["Debian 12", "Ubuntu 24.04"]))
    def reinstall(self, i: int, os: str) -> None:
        self._deliver("reinstall", i, os=os)

    @rule(i=st.integers(0, SERVICES - 1), action=st.sampled_from(["start", "stop", "reboot"]))
    def power(self, i: int, action: str) -> None:
        self._deliver("power", i, action=action)

    @rule(i=st.integers(0, SERVICES - 1), name=st.sampled_from(["web", "db 1", "-x"]))
    def rename(self, i: int, name: str) -> None:
        self._deliver("rename", i, label=name)

    @precondition(lambda self: self.accepted)
    @rule(data=st.data())
    def replay_accepted(self, data: st.DataObject) -> None:
        sent, status, first = data.draw(st.sampled_from(self.accepted), label="replayed")
        before = self._footprint()
        again = self.stack.resend(sent)
        STATS["replay of an accepted hook"] += 1
        assert again.response is not None
        assert again.status == status
        assert again.response.content == first, (first, again.response.content)
        assert again.response.headers.get("Webhook-Replayed") == "true"
        assert self._footprint() == before

    @precondition(lambda self: self.refused)
    @rule(data=st.data())
    def replay_refused(self, data: st.DataObject) -> None:
        """A refused hook left no trace: its re-send is judged afresh (maybe accepted now)."""
        sent = data.draw(st.sampled_from(self.refused), label="re-sent")
        again = self.stack.resend(sent)
        self._check_reply(again)
        STATS[f"re-send of a refused hook {again.status}"] += 1
        if self.stack.rows("SELECT 1 FROM webhook_events WHERE webhook_id = ?", [sent.webhook_id]):
            assert again.response is not None
            self.refused.remove(sent)
            self.accepted.append((again, again.status or 0, again.response.content))
        self._settle()

    # -- invariants ---------------------------------------------------------------------------

    def _footprint(self) -> tuple[Any, ...]:
        counts = self.stack.table_counts()
        servers = sorted(s["id"] for s in self.stack.all_servers())
        return counts["webhook_events"], counts["operations"], servers

    def _mine(self, server: dict[str, Any]) -> tuple[str, int] | None:
        for sid in self.sids:
            for generation in range(1, 20):
                if keys.label_matches(server.get("label"), label(sid, generation)):
                    return sid, generation
        return None

    @invariant()
    def one_live_server_per_label(self) -> None:
        live: Counter[tuple[str, int]] = Counter()
        for server in self.stack.all_servers():
            owner = self._mine(server)
            if owner is not None and server["status"] != "terminated":
                live[owner] += 1
        assert all(n == 1 for n in live.values()), live
        services = {
            r["service_id"]: r
            for r in self.stack.rows(
                "SELECT service_id, generation, state FROM services WHERE panel = 'whmcs'"
                " AND service_id IN (?, ?, ?)",
                self.sids,
            )
        }
        for (sid, generation), _ in live.items():
            svc = services.get(sid)
            assert svc is not None, (sid, "a live server the bridge does not know")
            assert generation <= svc["generation"], (sid, generation, svc)
            # A terminated service, or an earlier generation, has no live server.
            assert generation == svc["generation"] and svc["state"] != "terminated", (
                sid,
                generation,
                svc,
            )

    @invariant()
    def suspended_service_is_not_running(self) -> None:
        rows = self.stack.rows(
            "SELECT service_id, generation, server_id FROM services WHERE suspended = 1"
            " AND state = 'active' AND service_id IN (?, ?, ?) AND NOT EXISTS (SELECT 1 FROM"
            " operations o WHERE o.service_id = services.service_id"
            " AND o.state NOT IN ('done', 'failed', 'dead', 'cancelled'))",
            self.sids,
        )
        for r in rows:
            server = next((s for s in self.stack.all_servers() if s["id"] == r["server_id"]), None)
            assert server is None or server["status"] != "running", (r, server)

    @invariant()
    def every_operation_terminal_or_visibly_pending(self) -> None:
        ops = self.stack.rows(
            "SELECT o.id, o.action, o.state,"
            " (SELECT count(*) FROM jobs j WHERE j.operation_id = o.id"
            "  AND j.state IN ('ready', 'leased')) AS open_jobs"
            " FROM operations o WHERE o.service_id IN (?, ?, ?)",
            self.sids,
        )
        for op in ops:
            if op["state"] in FINAL or op["state"] == "building":
                continue
            assert op["state"] in PENDING_WITH_JOB and op["open_jobs"] > 0, op


def test_random_hook_sequences_keep_the_invariants(
    make_stack: StackFactory, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    started = time.monotonic()
    stack = make_stack(SETTINGS)
    stack.start(workers=1)
    sandbox.set_balance("otwa_sandbox_default", "100000.00")
    HookSequences.stack = stack
    HookSequences.examples = 0
    STATS.clear()
    run_state_machine_as_test(
        HookSequences,
        settings=settings(
            max_examples=MAX_EXAMPLES,
            stateful_step_count=STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )
    servers = stack.all_servers()
    print(
        f"\n{HookSequences.examples} examples x up to {STEPS} steps in "
        f"{time.monotonic() - started:.1f} s; {len(servers)} servers "
        f"({sum(s['status'] != 'terminated' for s in servers)} live); "
        + ", ".join(f"{k}: {n}" for k, n in sorted(STATS.items()))
    )
    # The run reached every action's success path, refusals and replays (not only 404s).
    for seen in (
        "CreateAccount 200",
        "SuspendAccount 200",
        "UnsuspendAccount 200",
        "TerminateAccount 200",
        "reinstall 200",
        "reinstall 409",
        "power 200",
        "rename 200",
        "SuspendAccount 404",
        "replay of an accepted hook",
    ):
        assert STATS[seen] > 0, (seen, STATS)


def test_reinstall_of_a_suspended_service_is_refused_and_the_server_stays_off(
    make_stack: StackFactory, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    """Found by the state machine: suspend, then reinstall, started the server again."""
    stack = make_stack(SETTINGS)
    stack.start(workers=1)
    stack.send(whmcs_body("CreateAccount", 4100))
    stack.quiesce()
    suspended = stack.send(whmcs_body("SuspendAccount", 4100))
    assert suspended.status == 200, suspended.response.text  # type: ignore[union-attr]
    stack.quiesce()
    refused = stack.send(whmcs_body("reinstall", 4100, os="Debian 12"))
    assert refused.status == 409, refused.response.text  # type: ignore[union-attr]
    assert refused.json()["error"]["code"] == "service_suspended"
    stack.quiesce()
    assert [s["status"] for s in stack.all_servers()] == ["stopped"]
    assert stack.rows("SELECT 1 FROM operations WHERE action = 'reinstall'") == []
