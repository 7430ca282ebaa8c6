"""``otwa-bridge serve --metrics-bind``: a real gunicorn with two listeners; /metrics
answers only on the second, which answers nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support.processes import Process, bridge_cmd, free_port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    port, metrics_port = free_port(), free_port()
    env = {
        "BRIDGE_DATABASE": str(tmp_path / "bridge.sqlite"),
        "BRIDGE_OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
    }
    args = bridge_cmd(
        "serve",
        "--bind",
        f"127.0.0.1:{port}",
        "--metrics-bind",
        f"127.0.0.1:{metrics_port}",
        "--workers",
        "1",
    )
    proc = Process(args, tmp_path / "gunicorn.log", env=env).start()
    try:
        public, metrics = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{metrics_port}"
        proc.wait_http(f"{public}/healthz", ok_only=True)
        proc.wait_http(f"{metrics}/metrics", ok_only=True)
        yield public, metrics
    finally:
        proc.stop()


def test_metrics_answer_only_on_their_own_listener(served: tuple[str, str]) -> None:
    public, metrics = served
    r = requests.get(f"{metrics}/metrics", timeout=10)
    assert r.status_code == 200
    names = {f.name for f in text_string_to_metric_families(r.text)}
    assert {"bridge_operations", "bridge_jobs", "bridge_otwa_budget_used"} <= names

    r = requests.get(f"{public}/metrics", timeout=10)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    # A Host header naming the metrics port changes nothing: the socket decides.
    port = metrics.rsplit(":", 1)[1]
    r = requests.get(f"{public}/metrics", headers={"Host": f"127.0.0.1:{port}"}, timeout=10)
    assert r.status_code == 404

    for path in ("/healthz", "/admin", "/v1/hooks/whmcs"):
        r = requests.get(f"{metrics}{path}", timeout=10)
        assert r.status_code == 404, path
        assert "serves only /metrics" in r.json()["error"]["message"]
    assert requests.get(f"{public}/healthz", timeout=10).ok
