"""``otwa-bridge ledger`` as a real process: report, reconcile, runway, export, topup; bad
usage is one line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge import store
from bridge.ledger import InvoiceLine, book_invoice_paid, book_server_created, record_sample
from bridge.ledger.migrations import apply_migrations
from bridge.ledger.wallet import book_opening_from_sample
from tests.support.processes import ROOT

NOV = datetime(2026, 11, 3, 10, tzinfo=UTC).timestamp()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "bridge.sqlite"
    db = store.connect(path, migrate=True)
    apply_migrations(db)
    sample = record_sample(db, balance="100.00", currency="USD", sampled_at=NOV - 60)
    book_opening_from_sample(db, sample)
    book_server_created(db, server_id="srv-1", plan_price="4.79", currency="USD",
                        charged_at=NOV, panel="whmcs", service_id="42", client_id="7",
                        product="1")  # fmt: skip
    book_invoice_paid(db, panel="whmcs", invoice_id="5012", client_id="7", currency="USD",
                      paid_at=NOV, lines=[InvoiceLine("1", "42", "1", "12.00")])  # fmt: skip
    record_sample(db, balance="95.21", currency="USD", sampled_at=NOV + 60)
    eur = [InvoiceLine("1", "9", "1", "20.00")]
    book_invoice_paid(db, panel="generic", invoice_id="e1", client_id="8", currency="EUR",
                      paid_at=NOV + 30 * 86400, lines=eur)  # fmt: skip
    db.close()
    return {
        "BRIDGE_DATABASE": str(path),
        "BRIDGE_CONFIG": str(ROOT / "config" / "bridge.toml"),
        "BRIDGE_OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
        "BRIDGE_OTWA_BASE_URL": "http://127.0.0.1:9/api/v1",
    }


def ledger(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge", "ledger", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_report_in_every_format(env: dict[str, str]) -> None:
    table = ledger(env, "report", "--period", "2026-11")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0] == "Margin by product, 2026-11-01 to 2026-11-30 (UTC)"
    assert "whmcs 1 USD 12.00 4.79 7.21 60.08" in " ".join(table.stdout.split())
    csv = ledger(env, "report", "--period", "2026-10", "--to", "2026-11", "--by", "month",
                 "--format", "csv")  # fmt: skip
    assert csv.stdout == (
        "month,currency,revenue,cost,margin,margin_pct\n"
        "2026-11,USD,12.00,4.79,7.21,60.08\n"
        "TOTAL,USD,12.00,4.79,7.21,60.08\n"
    )
    data = json.loads(ledger(env, "report", "--period", "2026-11", "--format", "json").stdout)
    assert data["totals"] == [
        {"currency": "USD", "revenue": "12.00", "cost": "4.79", "margin": "7.21",
         "margin_pct": "60.08"}
    ]  # fmt: skip


def test_converted_totals_only_with_rates_and_they_say_so(env: dict[str, str]) -> None:
    out = ledger(env, "report", "--period", "2026-12", "--rates", "EUR=1.085")
    assert "All currencies converted into USD at the rates given: EUR=1.085: revenue 21.70" in (
        out.stdout
    )
    plain = ledger(env, "report", "--period", "2026-12")
    assert "converted" not in plain.stdout and "EUR" in plain.stdout


def test_reconcile_runway_export_and_topup(env: dict[str, str]) -> None:
    rec = ledger(env, "reconcile", "--period", "2026-11")
    assert rec.returncode == 0 and "drift 0.00 USD (ok)" in rec.stdout, rec.stdout
    way = json.loads(ledger(env, "runway", "--offline", "--format", "json").stdout)
    assert way["runway"]["servers"] == 1 and way["drift"] == "0.00"
    assert way["runway"]["balance"] == "95.21" and way["reseller"] is None
    text = ledger(env, "runway", "--offline")
    assert "Otwa wallet: 95.21 USD" in text.stdout and "Drift against Otwa" in text.stdout
    beans = ledger(env, "export", "--format", "beancount")
    assert (
        "Income:Sales:Whmcs:1" in beans.stdout and 'event_id: "sale:whmcs:5012:1"' in beans.stdout
    )
    top = ledger(env, "topup", "50.00", "--reference", "dep-1", "--at", "2026-11-03T10:00:30Z")
    assert top.stdout == "topup:dep-1: booked\n"
    again = ledger(env, "topup", "50.00", "--reference", "dep-1")
    assert again.stdout == "topup:dep-1: already booked\n"
    drift = ledger(env, "reconcile", "--period", "2026-11")
    assert drift.returncode == 1  # booked a deposit Otwa's samples never saw: drift shows


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["report", "--period", "2026-13"], "period must be a month such as 2026-11"),
        (["report", "--period", "2026-11", "--to", "2026-10"], "before --period"),
        (["report", "--period", "2026-11", "--by", "colour"], "Invalid value for '--by'"),
        (["report"], "Missing option '--period'"),
        (["report", "--period", "2026-11", "--rates", "EUR:1"], "write CUR=rate pairs"),
        (["topup", "1.005", "--reference", "x"], "amount_precision"),
        (["topup", "5.00", "--reference", "x", "--at", "yesterday"], "bad_date"),
        (["export", "--to", "2026-11"], "--to needs --period"),
        (["reconcile", "--period", "2026-11", "--tolerance", "-1"], "bad_amount"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(env: dict[str, str], args: list[str], says: str) -> None:
    out = ledger(env, *args)
    assert out.returncode == 2, out
    assert out.stdout == "" and len(out.stderr.splitlines()) == 1, out.stderr
    assert out.stderr.startswith("error: ") and says in out.stderr


def test_runway_shows_the_reseller_tier(env: dict[str, str], sandbox) -> None:  # noqa: ANN001
    live = {**env, "BRIDGE_OTWA_BASE_URL": sandbox.api}
    out = ledger(live, "runway")
    assert out.returncode == 0, out.stderr
    assert (
        "Reseller tier: Starter, discount 20.00 %, 30-day volume 0.00; next: Growth (15.00 %)"
        " at 500.00, 500.00 to go." in out.stdout
    ), out.stdout
    data = json.loads(ledger(live, "runway", "--format", "json").stdout)
    assert data["reseller"]["next_tier"]["volume_remaining"] == "500.00"
    down = ledger(env, "runway")  # Otwa unreachable: the books still answer
    assert down.returncode == 0 and "Reseller tier: unavailable" in down.stdout
