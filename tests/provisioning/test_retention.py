"""Pruning finished operations keeps what replays, creates and other tables need."""

from __future__ import annotations

from pathlib import Path

from bridge import runtime, store
from bridge.clock import ManualClock
from bridge.provisioning import gauges, retention
from bridge.provisioning import worker as provisioning_worker

DAY = 86400.0
NOW = 1_800_000_000.0
OLD = NOW - 100 * DAY


def _op(db, op_id: str, *, action="suspend", state="done", at=OLD, service="s1", gen=1) -> None:
    db.execute(
        "INSERT INTO operations (id, panel, service_id, generation, action, state, created_at,"
        " updated_at) VALUES (?, 'whmcs', ?, ?, ?, ?, ?, ?)",
        [op_id, service, gen, action, state, at, at],
    )
    db.execute(
        "INSERT INTO operation_transitions (operation_id, at, to_state) VALUES (?, ?, ?)",
        [op_id, at, state],
    )


def _job(db, op_id: str, state: str = "done", kind: str = "run") -> None:
    db.execute(
        "INSERT INTO jobs (operation_id, panel, service_id, kind, state, max_attempts, run_after,"
        " created_at, updated_at) VALUES (?, 'whmcs', 's1', ?, ?, 1, ?, ?, ?)",
        [op_id, kind, state, OLD, OLD, OLD],
    )


def _seed(db_path: Path) -> None:
    db = store.connect(db_path, migrate=True)
    with store.write(db):
        db.execute(
            "INSERT INTO services (panel, service_id, generation, state, created_at, updated_at)"
            " VALUES ('whmcs', 's1', 2, 'active', ?, ?)",
            [OLD, OLD],
        )
        _op(db, "gone_done")
        _job(db, "gone_done")
        _op(db, "gone_failed", state="failed")
        _op(db, "gone_old_create", action="create", gen=1)  # an earlier generation's create
        _op(db, "keep_current_create", action="create", gen=2)
        _op(db, "keep_open", state="queued")
        _op(db, "keep_notice", state="failed")
        _job(db, "keep_notice", state="ready", kind="notify")
        _op(db, "keep_replayable")
        db.execute(
            "INSERT INTO webhook_events (panel, webhook_id, received_at, operation_id)"
            " VALUES ('whmcs', 'msg_1', ?, 'keep_replayable')",
            [NOW],
        )
        _op(db, "keep_recent", at=NOW - DAY)
        db.execute("CREATE TABLE books_of_record (id INTEGER PRIMARY KEY, operation_id TEXT)")
        _op(db, "keep_booked")
        db.execute("INSERT INTO books_of_record (operation_id) VALUES ('keep_booked')")
    db.close()


def _ids(db) -> set[str]:
    return {r[0] for r in db.execute("SELECT id FROM operations")}


def test_prune_removes_only_finished_unneeded_operations(db_path: Path) -> None:
    _seed(db_path)
    db = store.connect(db_path)
    before = gauges.read(db, NOW)
    assert retention.prune(db, before=NOW - 90 * DAY, batch=2) == 3
    assert _ids(db) == {
        "keep_current_create",
        "keep_open",
        "keep_notice",
        "keep_replayable",
        "keep_recent",
        "keep_booked",
    }
    for table in ("jobs", "operation_transitions"):
        orphans = db.execute(
            f"SELECT count(*) FROM {table} WHERE operation_id NOT IN"  # noqa: S608
            " (SELECT id FROM operations)"
        ).fetchone()[0]
        assert orphans == 0
    after = gauges.read(db, NOW)
    assert after.operations[("suspend", "done")] == before.operations[("suspend", "done")] - 1
    assert after.operations_finished == before.operations_finished  # totals never go down
    assert retention.prune(db, before=NOW - 90 * DAY) == 0
    db.close()


def test_the_worker_prunes_on_its_hourly_schedule(db_path: Path, tmp_path: Path) -> None:
    _seed(db_path)
    clock = ManualClock(NOW)
    bridge = runtime.build(
        {
            "DATABASE": str(db_path),
            "OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
            "PRUNE_AFTER_DAYS": 90,
        },
        env={},
        clock=clock,
    )
    bridge.migrate()  # every area's tables (the worker prunes SSO links too)
    db = bridge.connect()
    assert provisioning_worker.prune_if_due(bridge, db) == 3  # the hook is recent: kept
    assert "gone_done" not in _ids(db) and "keep_replayable" in _ids(db)
    _op_later(db)
    assert provisioning_worker.prune_if_due(bridge, db) == 0  # not again within the hour
    clock.advance(3601)
    assert provisioning_worker.prune_if_due(bridge, db) == 1
    db.close()


def _op_later(db) -> None:
    with store.write(db):
        _op(db, "gone_next_hour")
