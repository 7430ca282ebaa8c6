"""The load and fault proofs of bench/edge_load.py, short (seconds, a few dozen orders):
signed creates, terminates, SSO clicks and admin page views through nginx -> gunicorn ->
worker -> the sandbox. The
full runs (5 minutes) are `python -m bench.edge_load`; their numbers are in the README's
"Reliability" section."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.edge_load import FAULT_KINDS, LoadConfig, run, summary
from tests.edge.conftest import require_nginx

pytestmark = pytest.mark.slow


def test_load_through_nginx_loses_nothing(tmp_path: Path) -> None:
    require_nginx()
    got = run(
        LoadConfig(
            duration=12,
            rate=6,
            sso_share=0.3,
            admin_share=0.1,
            time_scale=600,
            workdir=tmp_path,
            drain_timeout=90,
            senders=16,
        ),
        progress=lambda _: None,
    )
    assert got["passed"], summary(got)
    assert got["five_xx"] == 0 and got["no_reply"] == 0
    assert got["orders"] >= 15 and got["clicks"]["count"] >= 3, summary(got)
    assert got["terminated"] >= 3 and got["admin_views"]["count"] >= 1, summary(got)
    assert set(got["admin_views"]["statuses"]) == {"200"}
    assert got["clicks"]["statuses"] == {"302": got["clicks"]["count"]}
    assert got["otwa_rate_limited"] == 0  # the shared budget kept under Otwa's limit
    assert got["written_back"] == got["orders"] and got["duplicate_servers"] == 0


def test_faults_and_worker_kills_during_load(tmp_path: Path) -> None:
    """20 % of Otwa requests fail (every kind) and the worker is SIGKILLed every 3 s:
    every order still ends with exactly one server, written back."""
    require_nginx()
    got = run(
        LoadConfig(
            duration=12,
            rate=3,
            sso_share=0.2,
            time_scale=600,
            faults=0.2,
            kill_worker_every=3,
            workdir=tmp_path,
            drain_timeout=120,
            senders=16,
        ),  # fmt: skip
        progress=lambda _: None,
    )
    assert got["passed"], summary(got)
    assert got["worker_kills"] >= 3
    assert set(got["faults_injected"]) == set(FAULT_KINDS), got["faults_injected"]
    assert got["one_server_each"] and got["duplicate_servers"] == 0
    assert got["dead_jobs"] == 0 and got["hook_5xx"] == 0
