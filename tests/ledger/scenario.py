"""A small, fixed month of a reseller's business, booked through the public functions.

November 2026 (UTC): two WHMCS services on Otwa (USD), one service sold in EUR through the
generic panel, an add-on, a renewal, a refund, and an adopted server nobody sold. Tests
assert exact numbers against it; keep it small enough to check by hand:

===================  ==========  ==========  ================================
group                revenue     cost        how
===================  ==========  ==========  ================================
whmcs / starter      10.00 USD   9.99 USD    12.00 - 2.00 promo; 7.99 + 2.00 backup
whmcs / pro          25.00 USD   22.65 USD   30.00 - 5.00 refund; 19.99 + 2.66 extra-ip
generic / starter    20.00 EUR   0.00 EUR    sold in EUR (Otwa charges in USD)
(none)               0.00 USD    3.00 USD    renewal of an adopted server
===================  ==========  ==========  ================================
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils

from bridge.ledger.costs import book_addon_attached, book_renewal, book_server_created
from bridge.ledger.revenue import InvoiceLine, RefundLine, book_invoice_paid, book_refund
from bridge.ledger.wallet import book_opening_balance, book_topup, record_sample


def at(day: int, hour: int = 12, month: int = 11) -> float:
    return datetime(2026, month, day, hour, tzinfo=UTC).timestamp()


def book_month(db: sqlite_utils.Database) -> None:
    """Book the scenario (idempotent: running it twice books nothing more)."""
    book_opening_balance(db, amount="100.00", currency="USD", occurred_at=at(1, 0))
    record_sample(db, balance="100.00", currency="USD", sampled_at=at(1, 1))
    book_server_created(
        db,
        server_id="srv-a",
        plan_price="7.99",
        addons={"backup": "2.00"},
        currency="USD",
        charged_at=at(2),
        plan="Starter",
        panel="whmcs",
        service_id="42",
        client_id="7",
        product="starter",
    )
    book_server_created(
        db,
        server_id="srv-b",
        plan_price="19.99",
        currency="USD",
        charged_at=at(3),
        plan="Pro",
        panel="whmcs",
        service_id="43",
        client_id="8",
        product="pro",
    )
    book_addon_attached(
        db,
        server_id="srv-b",
        addon_type="extra-ip",
        charged="2.66",
        monthly_price="4.00",
        currency="USD",
        charged_at=at(10),
        operation_id="op-1",
    )
    book_invoice_paid(
        db,
        panel="whmcs",
        invoice_id="1001",
        client_id="7",
        currency="USD",
        paid_at=at(2, 13),
        lines=[
            InvoiceLine("1", "42", "starter", "12.00", "2026-11-02", "2026-12-01"),
            InvoiceLine("2", "42", "starter", "-2.00", description="Promo"),
        ],
        webhook_id="msg_1",
    )
    book_invoice_paid(
        db,
        panel="whmcs",
        invoice_id="1002",
        client_id="8",
        currency="USD",
        paid_at=at(3, 13),
        lines=[InvoiceLine("1", "43", "pro", "30.00")],
    )
    book_invoice_paid(
        db,
        panel="generic",
        invoice_id="G-1",
        client_id="c-1",
        currency="EUR",
        paid_at=at(5),
        lines=[InvoiceLine("1", "s-1", "starter", "20.00")],
    )
    book_refund(
        db,
        panel="whmcs",
        refund_id="cn-1",
        invoice_id="1002",
        currency="USD",
        refunded_at=at(20),
        lines=[RefundLine("1", "5.00")],
        reason="downtime credit",
    )
    record_sample(db, balance="67.36", currency="USD", sampled_at=at(15))
    book_renewal(
        db,
        server_id="adopted-1",
        period_start=at(25),
        plan_price="3.00",
        currency="USD",
        charged_at=at(25),
    )
    book_topup(db, reference="dep-1", amount="50.00", currency="USD", occurred_at=at(28))
    record_sample(db, balance="114.36", currency="USD", sampled_at=at(30, 23))
