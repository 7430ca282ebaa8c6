"""/metrics: not public, parsed by Prometheus's own parsers, and read from counters that
triggers keep in the same transaction as the change they count."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bridge import create_app, store

TOKEN = "metrics-canary-token-5f1e"


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


def _app(db_path: Path, tmp_path: Path, **settings):
    return create_app(
        {
            "DATABASE": str(db_path),
            "OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
            **settings,
        }
    )


def _scrape(client) -> str:
    r = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_data(as_text=True)


def test_metrics_expose_operations_jobs_and_lag(db_path: Path, tmp_path: Path) -> None:
    _seed(db_path)
    client = _app(db_path, tmp_path, METRICS_TOKEN=TOKEN).test_client()
    r = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.mimetype == "text/plain" and r.headers["Cache-Control"] == "no-store"
    families = {f.name: f for f in text_string_to_metric_families(r.get_data(as_text=True))}
    ops = {tuple(s.labels.values()): s.value for s in families["bridge_operations"].samples}
    assert ops[("create", "done")] == 1 and ops[("suspend", "dead")] == 1
    jobs = {tuple(s.labels.values()): s.value for s in families["bridge_jobs"].samples}
    assert jobs[("run", "ready")] == 1
    assert families["bridge_jobs"].type == "gauge"
    finished = families["bridge_operations_finished"]
    assert finished.type == "counter"
    totals = {tuple(s.labels.values()): s.value for s in finished.samples}
    assert totals[("create", "done")] == 1
    lag = families["bridge_oldest_due_job_seconds"].samples[0].value
    assert 29 <= lag < 120
    assert families["bridge_info"].samples[0].labels["version"]
    assert families["bridge_otwa_budget_limit"].samples[0].value == 90


def test_metrics_are_not_public_without_a_token_or_a_bind(db_path: Path, tmp_path: Path) -> None:
    client = _app(db_path, tmp_path).test_client()
    r = client.get("/metrics")
    assert r.status_code == 403 and r.json["error"]["code"] == "metrics_not_configured"
    assert "BRIDGE_METRICS_TOKEN" in r.json["error"]["message"]


@pytest.mark.parametrize(
    "header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"]
)
def test_metrics_need_the_bearer_token(db_path: Path, tmp_path: Path, header) -> None:
    client = _app(db_path, tmp_path, METRICS_TOKEN=TOKEN).test_client()
    r = client.get("/metrics", headers={"Authorization": header} if header else {})
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
    assert TOKEN not in r.get_data(as_text=True)


def test_any_token_of_a_rotation_is_accepted(db_path: Path, tmp_path: Path) -> None:
    client = _app(db_path, tmp_path, METRICS_TOKEN=f"new-token-1234,{TOKEN}").test_client()
    for token in ("new-token-1234", TOKEN):
        assert (
            client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        )


def test_with_a_metrics_bind_the_public_listener_has_no_metrics(
    db_path: Path, tmp_path: Path
) -> None:
    client = _app(
        db_path, tmp_path, METRICS_BIND="127.0.0.1:9700", METRICS_TOKEN=TOKEN
    ).test_client()
    r = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 404 and "BRIDGE_METRICS_BIND" in r.json["error"]["message"]


def test_counters_follow_every_change_and_pruning_keeps_the_totals(
    db_path: Path, tmp_path: Path
) -> None:
    _seed(db_path)
    db = store.connect(db_path)
    with store.write(db):
        db.execute("UPDATE operations SET state = 'done' WHERE id = 'o2'")
        db.execute("UPDATE jobs SET state = 'done'")
        db.execute("DELETE FROM jobs")
        db.execute("DELETE FROM operations WHERE id = 'o1'")
    counted = {
        (a, b): n
        for a, b, n in db.execute("SELECT a, b, value FROM counters WHERE family = 'operations'")
    }
    actual = dict(
        ((a, s), n)
        for a, s, n in db.execute("SELECT action, state, count(*) FROM operations GROUP BY 1, 2")
    )
    db.close()
    assert {k: v for k, v in counted.items() if v} == actual
    text = _scrape(_app(db_path, tmp_path, METRICS_TOKEN=TOKEN).test_client())
    families = {f.name: f for f in text_string_to_metric_families(text)}
    totals = {
        tuple(s.labels.values()): s.value for s in families["bridge_operations_finished"].samples
    }
    assert totals[("create", "done")] == 2  # o1 was deleted: the total keeps it


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian: prometheus) absent")
def test_promtool_accepts_the_exposition(db_path: Path, tmp_path: Path) -> None:
    _seed(db_path)
    text = _scrape(_app(db_path, tmp_path, METRICS_TOKEN=TOKEN).test_client())
    checked = subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
