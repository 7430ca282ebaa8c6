"""The reseller's books: a double-entry journal of what each sale earned and what Otwa
charged, with margin reports, a Beancount export, wallet runway and reconciliation.

Every function takes its database (``bridge.store.connect``) and plain values (epoch
seconds, dates, decimal strings); nothing here reads settings or the clock. Modules:

=============== ==============================================================
``journal``     post / post_all / reverse: balanced, once per event id, durable,
                append-only; get, transactions, balance(s), unbalanced
``revenue``     book_invoice_paid, book_refund, invoice_lines
``costs``       book_server_created, book_addon_attached, book_renewal,
                mark_server_ended
``wallet``      book_topup, book_opening_balance, book_opening_from_sample,
                record_sample, samples, expected_balance
``report``      report(db, start, end, by=product|client|service|panel|month)
``render``      render_table / render_csv / render_json, render_runway,
                render_reconciliation
``export``      export_beancount
``runway``      runway (pure), active_servers, runway_from_journal
``reconcile``   reconcile, wallet_drift
``charts``      margin_chart_svg (imports pygal: import it where it is drawn)
``accounts``    the chart of accounts; ``events``: event ids; ``money``: minor
                units <-> decimal strings; ``migrations``: apply_migrations
=============== ==============================================================

docs/ledger.md is the guide.
"""

from __future__ import annotations

from bridge.ledger.costs import (
    book_addon_attached,
    book_renewal,
    book_server_created,
    mark_server_ended,
)
from bridge.ledger.errors import LedgerError
from bridge.ledger.export import export_beancount
from bridge.ledger.journal import Booking, reverse
from bridge.ledger.migrations import apply_migrations
from bridge.ledger.reconcile import reconcile, wallet_drift
from bridge.ledger.report import By, RateTable, report
from bridge.ledger.revenue import InvoiceLine, RefundLine, book_invoice_paid, book_refund
from bridge.ledger.runway import Renewing, runway, runway_from_journal
from bridge.ledger.wallet import book_opening_balance, book_topup, record_sample

__all__ = [
    "Booking",
    "By",
    "InvoiceLine",
    "LedgerError",
    "RateTable",
    "RefundLine",
    "Renewing",
    "apply_migrations",
    "book_addon_attached",
    "book_invoice_paid",
    "book_opening_balance",
    "book_refund",
    "book_renewal",
    "book_server_created",
    "book_topup",
    "export_beancount",
    "mark_server_ended",
    "reconcile",
    "record_sample",
    "report",
    "reverse",
    "runway",
    "runway_from_journal",
    "wallet_drift",
]
