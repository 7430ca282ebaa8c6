"""The golden month (tests/support/golden.py): its CSV margin report is checked in and
compared byte for byte, through the generic envelope and through the WHMCS adapter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from bridge import store
from bridge.ledger import report
from bridge.ledger.render import render_csv
from tests.support.golden import GOLDEN_CSV, Golden
from tests.support.processes import Sandbox

NOVEMBER = (date(2026, 11, 1), date(2026, 12, 1))


@pytest.fixture(params=["generic", "whmcs"])
def month(request: pytest.FixtureRequest, tmp_path, sandbox: Sandbox) -> Iterator[Golden]:
    golden = Golden(tmp_path, sandbox, request.param)
    golden.run()
    yield golden


def test_the_report_is_the_checked_in_bytes(month: Golden) -> None:
    db = store.connect(month.env.db_path)
    try:
        csv = render_csv(report(db, *NOVEMBER, "product"))
    finally:
        db.close()
    assert csv == GOLDEN_CSV.read_text(), csv
    out = month.cli("ledger", "report", "--period", "2026-11", "--format", "csv")
    assert (out.returncode, out.stdout) == (0, GOLDEN_CSV.read_text()), out.stderr


def test_costs_are_what_otwa_charged_and_the_wallet_reconciles(month: Golden) -> None:
    charged = [
        c for c in month.sandbox.state()["charges"]
        if c["account"] == "demo" and c["createdAt"] >= "2026"  # every charge of the run
    ]  # fmt: skip
    otwa_total = sum(int(Decimal(c["amount"]) * 100) for c in charged)
    booked = month.env.rows(
        "SELECT -SUM(amount) AS n FROM ledger_entries WHERE account = 'Assets:Otwa:Wallet'"
        " AND txn_id IN (SELECT id FROM ledger_transactions"
        "                WHERE kind IN ('server', 'addon', 'renewal'))"
    )[0]["n"]
    assert booked == otwa_total
    out = month.cli("ledger", "reconcile", "--period", "2026-11")
    assert out.returncode == 0, out.stdout + out.stderr  # drift 0.00 over the month
    assert "drift 0.00 USD" in out.stdout


def test_every_transaction_balances_and_replays_book_nothing(month: Golden) -> None:
    unbalanced = month.env.rows(
        "SELECT txn_id, currency, SUM(amount) AS s FROM ledger_entries"
        " GROUP BY txn_id, currency HAVING s != 0"
    )
    assert unbalanced == []
    before = month.env.rows("SELECT count(*) AS n FROM ledger_entries")[0]["n"]
    remembered = {r["webhook_id"] for r in month.env.rows("SELECT webhook_id FROM webhook_events")}
    invoices = [r for r in month.replies if "invoice" in str(r["raw"].get("params"))]
    assert len(invoices) >= 5  # 4 invoices and a refund (WHMCS: one hook per line)
    with month.served():
        for sent in invoices:
            again = month.hook(sent["raw"], webhook_id=sent["webhook_id"])  # a replay
            if sent["webhook_id"] in remembered:
                assert again["body"] == sent["body"]  # the first reply, verbatim
            else:  # forgotten after HOOK_DEDUPE_SECONDS: answered afresh, booking nothing
                assert again["body"]["result"]["booked"] == 0
            anew = month.hook(sent["raw"])  # a re-send under a new webhook-id
            assert anew["body"]["result"]["booked"] == 0
    assert month.env.rows("SELECT count(*) AS n FROM ledger_entries")[0]["n"] == before
