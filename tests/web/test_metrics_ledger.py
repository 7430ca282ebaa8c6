"""/metrics carries the ledger's wallet gauges: balance, drift, runway, the alert, the
top-up; Prometheus's parser reads them; switched off, they are absent."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bridge import create_app, runtime, store
from bridge.clock import ManualClock
from bridge.ledger import book_server_created, record_sample
from bridge.ledger.wallet import book_opening_from_sample

TOKEN = "metrics-canary-token-ledger"
NOW = 1_800_000_000.0


def _samples(text: str) -> dict[str, float]:
    return {
        s.name: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("bridge_ledger_")
    }


def _scrape(tmp_path: Path, **settings: object) -> str:
    values = {
        "DATABASE": str(tmp_path / "bridge.sqlite"),
        "OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
        "METRICS_TOKEN": TOKEN,
        **settings,
    }
    bridge = runtime.build(values, env={}, clock=ManualClock(NOW))
    client = create_app(bridge=bridge).test_client()
    r = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_data(as_text=True)


def test_the_wallet_gauges(tmp_path: Path) -> None:
    runtime.build({"DATABASE": str(tmp_path / "bridge.sqlite")}, env={}).migrate()
    db = store.connect(tmp_path / "bridge.sqlite")
    first = record_sample(db, balance="10.00", currency="USD", sampled_at=NOW - 3600)
    book_opening_from_sample(db, first)
    book_server_created(db, server_id="s1", plan_price="4.79", currency="USD",
                        charged_at=NOW - 1800)  # fmt: skip
    record_sample(db, balance="5.00", currency="USD", sampled_at=NOW - 60)  # Otwa took 0.21 more
    db.close()
    got = _samples(_scrape(tmp_path, LEDGER_RUNWAY_ALERT_DAYS=61))
    assert got["bridge_ledger_wallet_balance"] == 5.0
    assert round(got["bridge_ledger_wallet_drift"], 2) == -0.21
    # 5.00 pays the first renewal (4.79), not the second: 60 days after the create.
    assert got["bridge_ledger_runway_seconds"] == 60 * 86400 - 1800
    assert got["bridge_ledger_runway_alert"] == 1.0
    assert round(got["bridge_ledger_topup_needed"], 2) == 0.0  # the next 30 days are paid
    assert got["bridge_ledger_sample_age_seconds"] == 60.0


def test_nothing_renewing_is_an_infinite_runway_and_off_is_absent(tmp_path: Path) -> None:
    got = _samples(_scrape(tmp_path))
    assert got["bridge_ledger_runway_seconds"] == float("inf")
    assert "bridge_ledger_wallet_drift" not in got  # fewer than two samples
    assert _samples(_scrape(tmp_path, LEDGER_ENABLED=False)) == {}
