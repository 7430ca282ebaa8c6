"""The renderers, byte for byte, on the scenario month."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import sqlite_utils

from bridge.ledger.render import render_csv, render_json, render_table
from bridge.ledger.report import RateTable, report
from tests.ledger.scenario import book_month

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
