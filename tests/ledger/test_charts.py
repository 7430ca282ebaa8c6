"""The margin chart: a self-contained SVG that parses and carries the exact numbers."""

from __future__ import annotations

import importlib
import re
import sys
import warnings
import xml.etree.ElementTree as ET
from datetime import date

import pytest
import sqlite_utils

from bridge.ledger.charts import margin_chart_svg
from bridge.ledger.errors import LedgerError
from bridge.ledger.report import report
from bridge.ledger.revenue import InvoiceLine, book_invoice_paid
from tests.ledger.scenario import at, book_month

SVG = "{http://www.w3.org/2000/svg}"


def months(db: sqlite_utils.Database) -> object:
    book_month(db)
    book_invoice_paid(
        db,
        panel="whmcs",
        invoice_id="1101",
        client_id="7",
        currency="USD",
        paid_at=at(3, month=12),
        lines=[InvoiceLine("1", "42", "starter", "12.00")],
    )
    return report(db, date(2026, 11, 1), date(2027, 1, 1), by="month")


def test_the_svg_parses_and_carries_every_number(db: sqlite_utils.Database) -> None:
    svg = margin_chart_svg(months(db), "USD")  # type: ignore[arg-type]

    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag == f"{SVG}svg"
    values = [d.text for d in root.iter(f"{SVG}desc") if d.get("class") == "value"]
    # Nov: revenue 35.00, cost 35.64, margin -0.64; Dec: 12.00, 0.00, 12.00 (series order).
    assert values == ["35.00", "12.00", "35.64", "0.00", "-0.64", "12.00"]
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"2026-11", "2026-12", "Revenue", "Cost", "Margin"} <= texts
    assert {"35.00", "35.64", "-0.64"} <= texts  # printed on the bars, not only in tooltips


def test_nothing_is_loaded_from_elsewhere(db: sqlite_utils.Database) -> None:
    svg = margin_chart_svg(months(db), "USD")  # type: ignore[arg-type]
    assert "<script" not in svg
    urls = set(re.findall(r"(?:href|src)=\"([^\"]+)\"", svg))
    assert all(u.startswith("#") for u in urls), urls


def test_one_currency_per_chart(db: sqlite_utils.Database) -> None:
    svg = margin_chart_svg(months(db), "EUR")  # type: ignore[arg-type]
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    values = [d.text for d in root.iter(f"{SVG}desc") if d.get("class") == "value"]
    assert values == ["20.00", "0.00", "20.00"]  # November only, in EUR
    assert "(EUR)" in svg


def test_a_chart_needs_months(db: sqlite_utils.Database) -> None:
    with pytest.raises(LedgerError) as exc:
        margin_chart_svg(report(db, date(2026, 11, 1), date(2026, 12, 1), by="product"), "USD")
    assert exc.value.code == "bad_dimension"
    empty = margin_chart_svg(report(db, date(2026, 11, 1), date(2026, 12, 1), by="month"), "USD")
    assert "No revenue or cost in USD" in empty


def test_pygal_leaves_the_import_system_as_it_found_it() -> None:
    import bridge.ledger.charts  # noqa: F401 - imported for its side effect on sys.meta_path

    assert not [f for f in sys.meta_path if type(f).__module__.startswith("pygal")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module("pygal.no_such_module")
