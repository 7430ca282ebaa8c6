"""The hook's fast path: one durable commit, a reused connection per thread, and no hold on
a job that nobody is trying inline."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
import requests

from bridge import store
from bridge.provisioning import claim_inline, run_inline, runner
from tests.support.fake_whmcs import FakeWhmcs
from tests.support.processes import Sandbox
from tests.support.stack import BridgeEnv


def _synchronous(db: object) -> int:
    return int(db.execute("PRAGMA synchronous").fetchone()[0])  # type: ignore[attr-defined]


def test_non_durable_write_skips_fsync_for_that_transaction_only(tmp_path: Path) -> None:
    db = store.connect(tmp_path / "x.sqlite")
    db.execute("CREATE TABLE t (x)")
    with store.write(db, durable=False):
        db.execute("INSERT INTO t VALUES (1)")
        assert _synchronous(db) == 1  # NORMAL
        with pytest.raises(RuntimeError, match="durable write cannot join"):
            with store.write(db):
                pass
    assert _synchronous(db) == 2  # FULL again
    with store.write(db):
        assert _synchronous(db) == 2
        with store.write(db, durable=False):  # joining a durable one is fine: it stays durable
            db.execute("INSERT INTO t VALUES (2)")
    assert [r[0] for r in db.execute("SELECT x FROM t ORDER BY x")] == [1, 2]


def test_thread_db_is_one_connection_per_thread(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite"
    mine = store.thread_db(path)
    assert store.thread_db(path) is mine
    other: list[object] = []
    t = threading.Thread(target=lambda: other.append(store.thread_db(path)))
    t.start()
    t.join()
    assert other and other[0] is not mine
    mine.conn.execute("BEGIN IMMEDIATE")  # an aborted request left a transaction open
    again = store.thread_db(path)
    assert again is mine and not again.conn.in_transaction


def test_budget_exhausted_create_waits_for_the_slot_not_the_hold(
    tmp_path: Path, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    env = BridgeEnv(
        tmp_path,
        sandbox,
        whmcs,
        {"OTWA_RATE_LIMIT": 1, "INLINE_HOLD_SECONDS": 30.0, "JOB_BACKOFF_BASE": 0.01},
    )
    window = env.bridge.settings.otwa_rate_window
    # The budget spends what Otwa says is left: leave Otwa 3 in a window frozen in place.
    requests.put(f"{sandbox.url}/_sandbox/clock", json={"timeScale": 0}, timeout=5)
    for _ in range(97):
        requests.get(
            f"{sandbox.api}/account",
            headers={"Authorization": "Bearer otwa_sandbox_default"},
            timeout=5,
        )
    outcomes = [env.submit(env.command("create", f"b{i}")) for i in range(3)]
    queued = [(op_id, o) for op_id, o in outcomes if o.status == 202]
    assert queued, outcomes  # one slot per window: not every create got through
    for op_id, outcome in queued:
        assert outcome.body["result"]["queued"] is True
        (job,) = env.jobs(op_id)
        assert job["state"] == "ready" and job["lease_owner"] is None
        # Due when the budget frees a slot (within one window), not after the 30 s hold.
        assert job["run_after"] - time.time() <= window + 0.1, job
        assert env.op(op_id)["first_sent_at"] is not None  # committed with the lease


def test_a_job_the_hook_cannot_take_loses_its_hold(
    tmp_path: Path, sandbox: Sandbox, whmcs: FakeWhmcs
) -> None:
    env = BridgeEnv(tmp_path, sandbox, whmcs, {"INLINE_HOLD_SECONDS": 30.0})
    env.record(env.command("create", "h1"))  # its run job is first in the service's line
    rename = env.record(env.command("rename", "h1", params={"label": "x"}))
    (job,) = env.jobs(rename)
    assert job["run_after"] > time.time() + 20  # held for the hook
    db = store.connect(env.db_path)
    try:
        with store.write(db):
            assert claim_inline(db, env.bridge, rename) is None  # behind the create
    finally:
        db.close()
    (job,) = env.jobs(rename)
    assert job["state"] == "ready" and job["run_after"] <= time.time()


def test_a_broken_inline_attempt_hands_the_job_to_the_worker_at_once(
    tmp_path: Path, sandbox: Sandbox, whmcs: FakeWhmcs, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = BridgeEnv(tmp_path, sandbox, whmcs, {"INLINE_HOLD_SECONDS": 30.0})

    def broken(*_: object) -> None:  # recording the result fails after Otwa accepted
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(runner, "_apply", broken)
    op_id = env.record(env.command("create", "k1"))
    with pytest.raises(sqlite3.OperationalError):
        run_inline(env.bridge, op_id)
    (job,) = env.jobs(op_id)
    assert job["state"] == "ready" and job["lease_owner"] is None
    assert job["run_after"] <= time.time()  # not after the lease (5 s) or the hold (30 s)
    monkeypatch.undo()
    env.drain()
    assert env.op(op_id)["state"] == "done"
    assert len(env.servers(label_prefix=env.op(op_id)["result"]["label"])) == 1  # same key
