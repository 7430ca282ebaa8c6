"""The Beancount export: beancount's own checker accepts it, and its balances are the
ledger's and the report's."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlite_utils
from beancount import loader
from beancount.core import data

from bridge.ledger import journal
from bridge.ledger.export import export_beancount
from bridge.ledger.money import to_decimal
from bridge.ledger.report import report
from bridge.ledger.revenue import InvoiceLine, book_invoice_paid
from bridge.ledger.wallet import book_topup
from tests.ledger.scenario import at, book_month

BEAN_CHECK = Path(sys.executable).with_name("bean-check")


def load(text: str) -> dict[tuple[str, str], Decimal]:
    """Balances per (account, currency) as beancount computes them; fails on any error."""
    entries, errors, _options = loader.load_string(text)
    assert errors == [], [e.message for e in errors]
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                assert posting.units is not None and posting.units.number is not None
                sums[(posting.account, posting.units.currency)] += posting.units.number
    return {k: v for k, v in sums.items() if v}


def ledger_balances(db: sqlite_utils.Database) -> dict[tuple[str, str], Decimal]:
    return {(a, c): to_decimal(v, c) for (a, c), v in journal.balances(db).items() if v}


@pytest.fixture
def month(db: sqlite_utils.Database) -> sqlite_utils.Database:
    book_month(db)
    journal.reverse(
        db,
        "topup:dep-1",
        reason='typed "50" twice \\ oops',
        new_event_id="fix:1",
        occurred_at=at(29),
    )
    return db


def test_bean_check_accepts_the_export(month: sqlite_utils.Database, tmp_path: Path) -> None:
    path = tmp_path / "ledger.beancount"
    path.write_text(export_beancount(month))
    result = subprocess.run(
        [str(BEAN_CHECK), str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_beancount_balances_are_the_ledgers_and_the_reports(month: sqlite_utils.Database) -> None:
    balances = load(export_beancount(month))

    assert balances == ledger_balances(month)
    rep = report(month, date(2026, 11, 1), date(2026, 12, 1))
    for total in rep.totals:
        c = total.currency
        income = sum(v for (a, cur), v in balances.items() if a.startswith("Income:") and cur == c)
        cost = sum(v for (a, cur), v in balances.items() if a.startswith("Expenses:") and cur == c)
        assert (-income, cost) == (to_decimal(total.revenue, c), to_decimal(total.cost, c))


def test_a_later_start_carries_earlier_balances_forward(month: sqlite_utils.Database) -> None:
    text = export_beancount(month, start=date(2026, 11, 15))
    assert '2026-11-15 * "Balances carried forward"' in text
    assert '"server:srv-a"' not in text  # booked on the 2nd: only in the carried balances
    assert load(text) == ledger_balances(month)
    upto = export_beancount(month, end=date(2026, 11, 15))
    assert '"topup:dep-1"' not in upto and '"server:srv-a"' in upto
    load(upto)


def test_metadata_and_odd_currencies(db: sqlite_utils.Database) -> None:
    book_invoice_paid(
        db,
        panel="whmcs",
        invoice_id='7"1',
        client_id="c",
        currency="JPY",
        paid_at=at(3),
        lines=[InvoiceLine("1", "s", "vps.jp", "1200", description='Tokyo "Pro"')],
    )
    book_topup(db, reference="k1", amount="10.125", currency="KWD", occurred_at=at(4))
    text = export_beancount(db)
    assert 'invoice: "7\\"1"' in text and '"Invoice 7\\"1 line 1: Tokyo \\"Pro\\""' in text
    assert "Income:Sales:Whmcs:Vps-jp  -1200 JPY" in text
    assert load(text) == {
        ("Assets:Receivable:Whmcs", "JPY"): Decimal(1200),
        ("Income:Sales:Whmcs:Vps-jp", "JPY"): Decimal(-1200),
        ("Assets:Otwa:Wallet", "KWD"): Decimal("10.125"),
        ("Equity:Owner:WalletTopUps", "KWD"): Decimal("-10.125"),
    }


def test_an_empty_ledger_exports_a_valid_file(db: sqlite_utils.Database) -> None:
    assert load(export_beancount(db)) == {}
