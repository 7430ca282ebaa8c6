"""The margin report: exact per group and currency, never mixing, converting only when told."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlite_utils

from bridge.ledger import journal
from bridge.ledger.errors import LedgerError
from bridge.ledger.report import By, RateTable, report
from bridge.ledger.revenue import InvoiceLine, book_invoice_paid
from tests.ledger.scenario import at, book_month

NOV = (date(2026, 11, 1), date(2026, 12, 1))


def cells(r: object) -> tuple[object, ...]:
    return (r.panel, r.key, r.currency, r.revenue, r.cost, r.margin, r.margin_pct)  # type: ignore[attr-defined]


def test_by_product_per_currency(db: sqlite_utils.Database) -> None:
    book_month(db)
    rep = report(db, *NOV, by="product")

    assert [cells(r) for r in rep.rows] == [
        ("generic", "starter", "EUR", 2000, 0, 2000, Decimal("100.00")),
        ("whmcs", "pro", "USD", 2500, 2265, 235, Decimal("9.40")),
        ("whmcs", "starter", "USD", 1000, 999, 1, Decimal("0.10")),
        (None, None, "USD", 0, 300, -300, None),
    ]
    assert [cells(t) for t in rep.totals] == [
        (None, None, "EUR", 2000, 0, 2000, Decimal("100.00")),
        (None, None, "USD", 3500, 3564, -64, Decimal("-1.83")),
    ]
    assert rep.converted is None


def test_margin_percent_is_an_exact_decimal(db: sqlite_utils.Database) -> None:
    book_month(db)
    pcts = [str(r.margin_pct) for r in report(db, *NOV).rows]
    assert pcts == ["100.00", "9.40", "0.10", "None"]


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        (
            "panel",
            [
                (None, "generic", "EUR", 2000, 0),
                (None, "whmcs", "USD", 3500, 3264),
                (None, None, "USD", 0, 300),
            ],
        ),
        (
            "client",
            [
                ("generic", "c-1", "EUR", 2000, 0),
                ("whmcs", "7", "USD", 1000, 999),
                ("whmcs", "8", "USD", 2500, 2265),
                (None, None, "USD", 0, 300),
            ],
        ),
        (
            "service",
            [
                ("generic", "s-1", "EUR", 2000, 0),
                ("whmcs", "42", "USD", 1000, 999),
                ("whmcs", "43", "USD", 2500, 2265),
                (None, None, "USD", 0, 300),
            ],
        ),
        ("month", [(None, "2026-11", "EUR", 2000, 0), (None, "2026-11", "USD", 3500, 3564)]),
    ],
)
def test_every_dimension(
    db: sqlite_utils.Database, by: str, expected: list[tuple[object, ...]]
) -> None:
    book_month(db)
    rows = report(db, *NOV, by=by).rows
    assert [(r.panel, r.key, r.currency, r.revenue, r.cost) for r in rows] == expected


def test_totals_equal_the_journal(db: sqlite_utils.Database) -> None:
    book_month(db)
    balances = journal.balances(db)
    for total in report(db, *NOV).totals:
        c = total.currency
        income = sum(v for (a, cur), v in balances.items() if a.startswith("Income:") and cur == c)
        costs = sum(v for (a, cur), v in balances.items() if a.startswith("Expenses:") and cur == c)
        assert (total.revenue, total.cost) == (-income, costs)


def test_the_range_is_half_open_in_utc(db: sqlite_utils.Database) -> None:
    book_month(db)
    book_invoice_paid(
        db,
        panel="whmcs",
        invoice_id="edge",
        client_id="7",
        currency="USD",
        paid_at=at(1, 0, month=12),
        lines=[InvoiceLine("1", "42", "starter", "1.00")],
    )
    assert report(db, *NOV).totals[1].revenue == 3500  # Dec 1st 00:00 is not November
    dec = report(db, date(2026, 12, 1), date(2027, 1, 1))
    assert [(t.currency, t.revenue) for t in dec.totals] == [("USD", 100)]
    assert report(db, date(2026, 11, 2), date(2026, 11, 3)).totals[0].cost == 999


def test_a_reversal_nets_out_of_its_own_row(db: sqlite_utils.Database) -> None:
    book_month(db)
    journal.reverse(
        db, "server:srv-a", reason="test order", new_event_id="fix:1", occurred_at=at(21)
    )
    rows = {(r.panel, r.key): r for r in report(db, *NOV).rows}
    assert rows[("whmcs", "starter")].cost == 0


def test_converted_totals_only_with_rates_and_saying_so(db: sqlite_utils.Database) -> None:
    book_month(db)
    rep = report(db, *NOV, rates=RateTable("USD", {"EUR": "1.085"}))
    assert rep.converted is not None
    assert (rep.converted.revenue, rep.converted.cost) == (3500 + 2170, 3564)
    assert rep.to_dict()["converted"]["rates"] == {"EUR": "1.085"}
    assert "at the rates given" in rep.to_dict()["converted"]["note"]
    with pytest.raises(LedgerError) as exc:
        report(db, *NOV, rates=RateTable("EUR", {"GBP": "1.2"}))
    assert exc.value.code == "missing_rate" and "USD" in exc.value.message
    with pytest.raises(LedgerError) as exc:
        report(db, *NOV, rates=RateTable("USD", {"EUR": "-1"}))
    assert exc.value.code == "bad_amount"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((date(2026, 12, 1), date(2026, 11, 1), "product"), "bad_date"),
        ((date(2026, 11, 1), date(2026, 11, 1), "product"), "bad_date"),
        ((date(2026, 11, 1), date(2026, 12, 1), "server"), "bad_dimension"),
    ],
)
def test_bad_report_requests(
    db: sqlite_utils.Database, args: tuple[object, ...], code: str
) -> None:
    with pytest.raises(LedgerError) as exc:
        report(db, *args)  # type: ignore[arg-type]
    assert exc.value.code == code


def test_an_empty_period(db: sqlite_utils.Database) -> None:
    rep = report(db, *NOV, by=By.MONTH)
    assert rep.rows == () and rep.totals == ()
