"""The renderers, byte for byte, on the scenario month."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import sqlite_utils

from bridge.ledger.reconcile import reconcile
from bridge.ledger.render import (
    render_csv,
    render_json,
    render_reconciliation,
    render_runway,
    render_table,
)
from bridge.ledger.report import RateTable, report
from bridge.ledger.runway import runway_from_journal
from bridge.ledger.wallet import record_sample
from tests.ledger.scenario import at, book_month

NOV = (date(2026, 11, 1), date(2026, 12, 1))

TABLE = """\
Margin by product, 2026-11-01 to 2026-11-30 (UTC)

panel    product  currency  revenue   cost  margin  margin %
generic  starter  EUR         20.00   0.00   20.00    100.00
whmcs    pro      USD         25.00  22.65    2.35      9.40
whmcs    starter  USD         10.00   9.99    0.01      0.10
(none)   (none)   USD          0.00   3.00   -3.00       n/a
         TOTAL    EUR         20.00   0.00   20.00    100.00
         TOTAL    USD         35.00  35.64   -0.64     -1.83

All currencies converted into USD at the rates given: EUR=1.085: revenue 56.70, cost 35.64,\
 margin 21.06 USD, margin % 37.14
"""

CSV = """\
panel,product,currency,revenue,cost,margin,margin_pct
generic,starter,EUR,20.00,0.00,20.00,100.00
whmcs,pro,USD,25.00,22.65,2.35,9.40
whmcs,starter,USD,10.00,9.99,0.01,0.10
,,USD,0.00,3.00,-3.00,
,TOTAL,EUR,20.00,0.00,20.00,100.00
,TOTAL,USD,35.00,35.64,-0.64,-1.83
,TOTAL (converted into USD at the rates given: EUR=1.085),USD,56.70,35.64,21.06,37.14
"""


def test_table_and_csv_bytes(db: sqlite_utils.Database) -> None:
    book_month(db)
    rep = report(db, *NOV, rates=RateTable("USD", {"EUR": "1.085"}))
    assert render_table(rep) == TABLE
    assert render_csv(rep) == CSV


def test_json_carries_decimal_strings_and_null_percentages(db: sqlite_utils.Database) -> None:
    book_month(db)
    data = json.loads(render_json(report(db, *NOV, by="service")))

    assert data["period"] == {"from": "2026-11-01", "to": "2026-11-30"}
    assert data["rows"][-1] == {
        "panel": None,
        "service": None,
        "currency": "USD",
        "revenue": "0.00",
        "cost": "3.00",
        "margin": "-3.00",
        "margin_pct": None,
    }
    assert data["converted"] is None

    def no_floats(value: object) -> None:
        assert not isinstance(value, float)
        for child in (
            value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
        ):
            no_floats(child)

    no_floats(data)


def test_month_rows_without_panel_column(db: sqlite_utils.Database) -> None:
    book_month(db)
    rows = list(csv.reader(io.StringIO(render_csv(report(db, *NOV, by="month")))))
    assert rows[0] == ["month", "currency", "revenue", "cost", "margin", "margin_pct"]
    assert rows[1:] == [
        ["2026-11", "EUR", "20.00", "0.00", "20.00", "100.00"],
        ["2026-11", "USD", "35.00", "35.64", "-0.64", "-1.83"],
        ["TOTAL", "EUR", "20.00", "0.00", "20.00", "100.00"],
        ["TOTAL", "USD", "35.00", "35.64", "-0.64", "-1.83"],
    ]


def test_an_empty_report_says_so(db: sqlite_utils.Database) -> None:
    text = render_table(report(db, *NOV))
    assert text.endswith("No revenue or cost booked in this period.\n")


def test_runway_text(db: sqlite_utils.Database) -> None:
    book_month(db)
    way = runway_from_journal(db, "USD", now=at(30, 23) + 60)
    assert render_runway(way, 100) == (
        "Otwa wallet: 114.36 USD (as of 2026-11-30T23:01:00Z)\n"
        "Renewing: 3 servers, 36.98 USD per 30 days\n"
        "Runway: 91 days; the first renewal it cannot pay is server srv-a on"
        " 2027-03-02T12:00:00Z\n"
        "Top-up for the next 100 days: 30.56 USD (renewals due: 144.92 USD)\n"
    )
    assert render_runway(way, 30).endswith(
        "The next 30 days are covered (renewals due: 36.98 USD).\n"
    )


def test_reconciliation_text(db: sqlite_utils.Database) -> None:
    book_month(db)
    record_sample(db, balance="104.37", currency="USD", sampled_at=at(3, month=12))
    rec = reconcile(db, "USD", start=at(1), end=at(4, month=12), context=5 * 86400)
    assert render_reconciliation(rec) == (
        "Wallet reconciliation 2026-11-01T12:00:00Z to 2026-12-04T12:00:00Z (USD)\n"
        "Samples: 100.00 at 2026-11-01T01:00:00Z -> 104.37 at 2026-12-03T12:00:00Z\n"
        "Expected movement 14.36, observed 4.37: drift -9.99 USD\n"
        "\n"
        "  2026-11-30T23:00:00Z -> 2026-12-03T12:00:00Z: expected 0.00, observed -9.99,"
        " drift -9.99\n"
        "    2026-11-28T12:00:00Z        50.00  topup:dep-1: Otwa wallet top-up dep-1\n"
    )
    assert "need two" in render_reconciliation(reconcile(db, "EUR", start=at(1), end=at(2)))
