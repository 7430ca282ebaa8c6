"""/metrics renders provisioning state read from SQLite in Prometheus text format."""

from __future__ import annotations

import time
from pathlib import Path

from bridge import create_app, store


def _seed(db_path: Path) -> None:
    db = store.connect(db_path, migrate=True)
    now = time.time()
    with store.write(db):
        for op_id, action, state in [
            ("o1", "create", "done"),
            ("o2", "create", "queued"),
            ("o3", "suspend", "dead"),
        ]:
            db.execute(
                "INSERT INTO operations (id, panel, service_id, generation, action, state,"
                " created_at, updated_at) VALUES (?, 'whmcs', ?, 1, ?, ?, ?, ?)",
                [op_id, op_id, action, state, now, now],
            )
        db.execute(
            "INSERT INTO jobs (operation_id, panel, service_id, kind, state, max_attempts,"
            " run_after, created_at, updated_at) VALUES ('o2', 'whmcs', 'o2', 'run', 'ready',"
            " 10, ?, ?, ?)",
            [now - 30, now, now],
        )
    db.close()


def test_metrics_expose_operations_jobs_and_lag(db_path: Path) -> None:
    _seed(db_path)
    client = create_app({"DATABASE": str(db_path)}).test_client()
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.mimetype == "text/plain"
    text = r.get_data(as_text=True)
    assert 'bridge_operations{action="create",state="done"} 1' in text
    assert 'bridge_operations{action="suspend",state="dead"} 1' in text
    assert 'bridge_jobs{kind="run",state="ready"} 1' in text
    lag = next(line for line in text.splitlines() if line.startswith("bridge_oldest_due_job"))
    assert 29 <= float(lag.split()[-1]) < 120
    assert "# TYPE bridge_jobs gauge" in text
