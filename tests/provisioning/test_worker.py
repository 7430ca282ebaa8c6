"""The worker: leases, batch polling, backoff and dead-letter, write-back retries, adoption
past the replay window, several workers at once, and the ops CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import requests

from bridge.clock import ManualClock
from tests.support.fake_whmcs import FakeWhmcs
from tests.support.processes import ROOT, Sandbox
from tests.support.stack import BridgeEnv


def _ops_cli(env: BridgeEnv, *args: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "bridge", "ops", *args],
        env={**os.environ, **env.env()},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _routes(sandbox: Sandbox) -> dict[str, int]:
    return dict(sandbox.state()["requests"]["byRoute"])


def test_builds_are_polled_in_batches_only_once_they_can_have_finished(
    tmp_path: Path, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    env = BridgeEnv(tmp_path, sandbox, whmcs, {"BUILD_MIN_SECONDS": 1.0})
    ops = [env.submit(env.command("create", f"b{n}"))[0] for n in range(5)]
    started = time.monotonic()
    with env.worker():
        for op_id in ops:
            env.wait_state(op_id, "done")
    assert time.monotonic() - started >= 0.9  # nobody polled before a build could finish
    routes = _routes(sandbox)
    assert routes.get("GET /api/v1/servers", 0) <= 3, routes
    assert routes.get("GET /api/v1/servers/:id", 0) == 0, routes
    assert routes.get("GET /api/v1/servers/:id/credentials") == 5
    assert len(whmcs.calls("UpdateClientProduct")) == 5


def test_a_worker_killed_mid_job_is_replaced_after_its_lease(
    tmp_path: Path, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    env = BridgeEnv(tmp_path, sandbox, whmcs, {"JOB_LEASE_SECONDS": 2.0, "OTWA_TIMEOUT": 10})
    op_id = env.record(env.command("create", "k1"))  # queued, never tried inline
    sandbox.set_latency(60, ["POST /api/v1/servers"])  # Otwa holds the order
    first = env.worker_process("doomed").start()
    env.wait_for(lambda: env.jobs(op_id)[0]["state"] == "leased", what="job leased")
    sandbox.wait_in_flight(1, route="POST /api/v1/servers")  # the POST is held now
    first.kill()  # SIGKILL: no clean-up, the lease stays
    killed_at = time.monotonic()
    sandbox.set_latency(0)  # Otwa finishes the order nobody is waiting for
    job = env.jobs(op_id)[0]
    assert job["state"] == "leased" and job["attempts"] == 1
    with env.worker("rescuer"):
        env.wait_state(op_id, "done")
        finished = time.monotonic()
    assert finished - killed_at >= 1.0  # waited for the lease to lapse
    assert env.jobs(op_id)[0]["attempts"] == 2
    assert len(env.servers("whmcs-k1-")) == 1


def test_attempt_cap_dead_letters_notifies_admins_and_ops_retry_recovers(
    tmp_path: Path, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    env = BridgeEnv(tmp_path, sandbox, whmcs, {"JOB_MAX_ATTEMPTS": 3})
    sandbox.faults(1.0, ["500"], methods=["POST"], paths=["/servers"])
    op_id, out = env.submit(env.command("create", "d1"))
    assert out.status == 202
    env.drain()
    op = env.op(op_id)
    assert op["state"] == "dead" and op["error_code"] == "gave_up"
    assert env.jobs(op_id)[0]["attempts"] == 3
    mails = whmcs.calls("SendAdminEmail")
    assert len(mails) == 1 and mails[0]["type"] == "system"
    assert "d1" in mails[0]["customsubject"] and op_id in mails[0]["custommessage"]
    assert env.outcome(op_id).status == 503

    listed = _ops_cli(env, "list", "--state", "dead", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["id"], r["state"], r["attempts"]) for r in rows] == [(op_id, "dead", 3)]
    assert "500" in rows[0]["error"] or "server error" in rows[0]["error"]
    table = _ops_cli(env, "list")
    assert op_id in table.stdout and "dead" in table.stdout

    sandbox.clear_faults()
    retried = _ops_cli(env, "retry", op_id)
    assert retried.returncode == 0, retried.stderr
    env.drain()
    assert env.op(op_id)["state"] == "done"
    assert len(env.servers("whmcs-d1-")) == 1

    # Every state it went through is kept, with when and why.
    shown = _ops_cli(env, "show", op_id, "--json")
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    steps = [(h["from_state"], h["to_state"]) for h in record["history"]]
    assert steps == [
        (None, "queued"),
        ("queued", "dead"),
        ("dead", "queued"),
        ("queued", "building"),
        ("building", "writeback"),
        ("writeback", "done"),
    ], steps
    reasons = [h["reason"] for h in record["history"]]
    assert reasons[0] == "recorded" and reasons[2] == "retry requested"
    assert [h["at"] for h in record["history"]] == sorted(h["at"] for h in record["history"])
    assert [j["kind"] for j in record["jobs"]] == ["run", "notify", "run", "writeback"]
    text = _ops_cli(env, "show", op_id)
    assert "dead -> queued" in " ".join(text.stdout.split())
    assert _ops_cli(env, "show", "op_nope").returncode == 1


def test_a_server_deleted_mid_build_fails_as_server_gone_and_notifies(
    env: BridgeEnv, whmcs: FakeWhmcs
) -> None:
    op_id, out = env.submit(env.command("create", "g1"))
    assert out.status == 200 and env.op(op_id)["state"] == "building"
    requests.delete(
        f"{env.sandbox.api}/servers/{env.op(op_id)['server_id']}",
        headers={"Authorization": "Bearer otwa_sandbox_destroy"},
        timeout=5,
    ).raise_for_status()
    env.drain()
    op = env.op(op_id)
    assert op["state"] == "failed" and op["error_code"] == "server_gone"
    mails = whmcs.calls("SendAdminEmail")
    assert len(mails) == 1 and "(server_gone)" in mails[0]["customsubject"]
    assert not whmcs.calls("UpdateClientProduct")


def test_writeback_is_retried_and_refetches_credentials(env: BridgeEnv, whmcs: FakeWhmcs) -> None:
    whmcs.fail(2, "500")
    op_id, _ = env.submit(env.command("create", "w1"))
    env.drain()
    assert env.op(op_id)["state"] == "done"
    calls = whmcs.calls("UpdateClientProduct")
    assert [c.get("_failed") for c in calls] == ["500", "500", None]
    assert env.rows("SELECT attempts FROM jobs WHERE kind = 'writeback'") == [{"attempts": 3}]
    routes = _routes(env.sandbox)
    assert routes["GET /api/v1/servers/:id/credentials"] == 3  # fetched on every try


def test_a_refused_writeback_fails_visibly_and_notifies(env: BridgeEnv, whmcs: FakeWhmcs) -> None:
    whmcs.fail(1, "error")
    op_id, _ = env.submit(env.command("create", "w2"))
    env.drain()
    op = env.op(op_id)
    assert op["state"] == "failed" and op["error_code"] == "writeback_failed"
    assert "Simulated failure" in op["error_message"]
    assert len(whmcs.calls("SendAdminEmail")) == 1
    listed = _ops_cli(env, "list", "--state", "failed")
    assert op_id in listed.stdout and "writeback_failed" in listed.stdout
    assert _ops_cli(env, "retry", op_id).returncode == 0
    env.drain()
    assert env.op(op_id)["state"] == "done"


def _a_day_later(sandbox: Sandbox) -> ManualClock:
    """The bridge's clock 25 sandbox hours from now (past Otwa's 24 h replay window)."""
    return ManualClock.following_system(25 * 3600 / sandbox.time_scale)


def _unfinished_create(
    tmp_path: Path, sandbox: Sandbox, whmcs: FakeWhmcs, service: str, fault: str
) -> tuple[BridgeEnv, str]:
    """A create whose one POST /servers met ``fault`` (left queued); the bridge's replay
    window matches the sandbox's 24 h at its time scale."""
    env = BridgeEnv(tmp_path, sandbox, whmcs, {"OTWA_REPLAY_WINDOW": 86400 / sandbox.time_scale})
    sandbox.faults(1.0, [fault], methods=["POST"], paths=["/servers"], limit=1)
    op_id, out = env.submit(env.command("create", service))
    assert out.status == 202
    sandbox.clear_faults()
    return env, op_id


def test_past_the_replay_window_an_unfinished_create_adopts_its_server(
    tmp_path: Path, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    env, op_id = _unfinished_create(tmp_path, sandbox, whmcs, "r1", "lost-response")
    sandbox.advance(25 * 3600)  # Otwa forgets the key: re-sending it would order again
    env.drain_here(_a_day_later(sandbox))
    op = env.op(op_id)
    assert op["state"] == "done", op
    assert op["result"]["adopted"] is True
    assert len(env.servers("whmcs-r1-")) == 1


def test_past_the_replay_window_two_servers_with_its_label_wait_for_a_human(
    tmp_path: Path, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    env, op_id = _unfinished_create(tmp_path, sandbox, whmcs, "r3", "lost-response")
    (first,) = env.servers("whmcs-r3-")
    # Someone ordered a second server under the same label by hand.
    twin = requests.post(
        f"{sandbox.api}/servers",
        headers={"Authorization": "Bearer otwa_sandbox_default"},
        json={
            "productId": first["productId"],
            "os": "ubuntu-24.04",
            "osTemplate": "ubuntu-24.04",
            "label": first["label"],
        },
        timeout=10,
    )
    assert twin.status_code == 201
    sandbox.advance(25 * 3600)
    env.drain_here(_a_day_later(sandbox))
    op = env.op(op_id)
    assert (op["state"], op["error_code"]) == ("failed", "adoption_ambiguous"), op
    assert first["id"] in op["error_message"] and twin.json()["id"] in op["error_message"]
    assert len(env.servers("whmcs-r3-")) == 2  # nothing ordered, nothing adopted
    assert env.service("r3")["server_id"] is None
    assert whmcs.calls("SendAdminEmail"), "admins are told"


def test_past_the_replay_window_with_nothing_to_adopt_it_orders(
    tmp_path: Path, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    env, op_id = _unfinished_create(tmp_path, sandbox, whmcs, "r2", "reset")
    env.drain_here(_a_day_later(sandbox))  # Otwa never saw the key; the bridge is past it
    assert env.op(op_id)["state"] == "done"
    assert env.op(op_id)["result"].get("adopted") is None
    assert len(env.servers("whmcs-r2-")) == 1


def test_several_workers_share_the_queue_without_duplicates(
    env: BridgeEnv, whmcs: FakeWhmcs
) -> None:
    ops = [env.record(env.command("create", f"m{n}")) for n in range(8)]
    with env.worker("w-a"), env.worker("w-b"), env.worker("w-c"):
        for op_id in ops:
            env.wait_state(op_id, "done")
    for n in range(8):
        assert len(env.servers(f"whmcs-m{n}-")) == 1
    assert len(whmcs.calls("UpdateClientProduct")) == 8
    assert env.sandbox.state()["requests"]["rateLimited"] == 0  # the shared budget held
    logs = "".join((env.tmp / f"{w}.log").read_text() for w in ("w-a", "w-b", "w-c"))
    for server in env.servers():
        assert env.credentials(server["id"])["password"] not in logs


def test_ops_cancel_stops_a_queued_operation(env: BridgeEnv) -> None:
    op_id = env.record(env.command("create", "c1"))
    result = _ops_cli(env, "cancel", op_id)
    assert result.returncode == 0, result.stderr
    env.drain()
    assert env.op(op_id)["state"] == "cancelled"
    assert env.servers() == []
    refused = _ops_cli(env, "cancel", op_id)
    assert refused.returncode == 1 and "cancelled" in refused.stderr


def test_one_worker_process_runs_jobs_on_several_threads(env: BridgeEnv, whmcs: FakeWhmcs) -> None:
    from tests.support.processes import Process, bridge_cmd

    ops = [env.record(env.command("create", f"t{n}")) for n in range(8)]
    proc = Process(
        bridge_cmd("worker", "--threads", "3"), env.tmp / "threads.log", env=env.env()
    ).start()
    try:
        for op_id in ops:
            env.wait_state(op_id, "done")
    finally:
        proc.stop()
    for n in range(8):
        assert len(env.servers(f"whmcs-t{n}-")) == 1
    assert len(whmcs.calls("UpdateClientProduct")) == 8
    log = proc.log()
    owners = {
        json.loads(line)["owner"]
        for line in log.splitlines()
        if line.startswith("{") and json.loads(line).get("msg") == "worker started"
    }
    assert len(owners) == 3, log
    assert log.count('"worker stopped"') == 3  # SIGTERM reached every thread's loop


def test_in_a_burst_orders_go_before_write_backs_and_polls(
    tmp_path: Path, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    from bridge import store
    from bridge.provisioning import jobs
    from bridge.provisioning import worker as provisioning_worker

    env = BridgeEnv(tmp_path, sandbox, whmcs)
    older = env.record(env.command("create", "o1"))
    newer = env.record(env.command("create", "o2"))
    db = store.connect(env.db_path)
    now = env.bridge.clock.now()
    with store.write(db):
        # An older write-back, due before both orders' run jobs.
        op = dict(env.op(older))
        jobs.enqueue(db, op, "writeback", now=now - 60, max_attempts=3)
        db.execute("UPDATE operations SET state = 'building', build_ready_at = 0")
    with store.write(db):
        first = jobs.claim(db, "t", 10.0, now=now)
        second = jobs.claim(db, "t", 10.0, now=now)
    assert first and second and {first["kind"], second["kind"]} == {"run"}
    assert {first["operation_id"], second["operation_id"]} == {older, newer}
    # While an order is due and untaken, nobody spends a slot on the batch poll.
    with store.write(db):
        db.execute("UPDATE jobs SET state = 'ready', lease_owner = NULL WHERE kind = 'run'")
    routes_before = sandbox.state()["requests"]["byRoute"].get("GET /api/v1/servers", 0)
    assert provisioning_worker.poll_builds(env.bridge, db) is False
    assert sandbox.state()["requests"]["byRoute"].get("GET /api/v1/servers", 0) == routes_before
    with store.write(db):
        db.execute("UPDATE jobs SET state = 'done' WHERE kind = 'run'")
    assert provisioning_worker.poll_builds(env.bridge, db) is True  # then it polls
    db.close()
