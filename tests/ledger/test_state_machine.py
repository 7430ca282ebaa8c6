"""A Hypothesis state machine over the ledger's public functions, on a real SQLite file.

Random sequences of paid invoices (with discount lines, in USD, EUR or JPY), refunds by
line or by amount, creates with add-ons, add-ons, renewals, top-ups, samples, reversals
and replays of any earlier call. A simple model keeps what each currency's revenue, cost
and wallet must be. After every step:

* every transaction sums to zero per currency (``journal.unbalanced`` is empty);
* the report's totals equal the journal's income and expense balances, the sum of its own
  rows, and the model;
* the wallet's balance equals the model;

and in the replay rule: a replayed call books nothing (``already_booked``), changes no
row count and no balance. At the end of each example, beancount loads the export without
an error and its balances equal the journal's.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from beancount import loader
from beancount.core import data
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from bridge import store
from bridge.ledger import journal
from bridge.ledger.costs import book_addon_attached, book_renewal, book_server_created
from bridge.ledger.errors import LedgerError
from bridge.ledger.export import export_beancount
from bridge.ledger.journal import Booking
from bridge.ledger.migrations import apply_migrations
from bridge.ledger.money import format_minor, to_decimal
from bridge.ledger.report import report
from bridge.ledger.revenue import InvoiceLine, RefundLine, book_invoice_paid, book_refund
from bridge.ledger.wallet import book_topup, record_sample

T0 = 1_793_500_000.0  # 2026-11-01
EVER = (date(2000, 1, 1), date(2999, 1, 1))
PRODUCTS = ("starter", "pro", "vps.jp")
CURRENCIES = ("USD", "EUR", "JPY")
ADDONS = ("backup", "extra-ip")
ids = itertools.count()

Call = Callable[[], list[Booking]]


class LedgerMachine(RuleBasedStateMachine):
    invoices = Bundle("invoices")
    servers = Bundle("servers")

    @initialize()
    def open_ledger(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="ledger-sm-"))
        self.db = store.connect(self.dir / "ledger.sqlite")
        apply_migrations(self.db)
        self.revenue: dict[str, int] = defaultdict(int)
        self.cost: dict[str, int] = defaultdict(int)
        self.wallet: dict[str, int] = defaultdict(int)
        self.effects: dict[str, tuple[str, int, int, int]] = {}  # event -> ccy, rev, cost, wallet
        self.calls: list[Call] = []
        self.clock = T0

    def teardown(self) -> None:
        if hasattr(self, "db"):
            entries, errors, _ = loader.load_string(export_beancount(self.db))
            assert errors == [], [e.message for e in errors]
            sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
            for entry in entries:
                if isinstance(entry, data.Transaction):
                    for p in entry.postings:
                        assert p.units is not None and p.units.number is not None
                        sums[(p.account, p.units.currency)] += p.units.number
            expected = {k: to_decimal(v, k[1]) for k, v in journal.balances(self.db).items() if v}
            assert {k: v for k, v in sums.items() if v} == expected
            self.db.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- helpers ------------------------------------------------------------------------

    def tick(self) -> float:
        self.clock += 3600
        return self.clock

    def run(self, call: Call) -> list[Booking]:
        """Make a booking call; remember its effects and the call itself for replays."""
        bookings = call()
        for b in bookings:
            if b.booked:
                self.remember(b.event_id)
        self.calls.append(call)
        return bookings

    def remember(self, event_id: str, sign: int = 1, as_id: str | None = None) -> None:
        txn = journal.get(self.db, as_id or event_id)
        assert txn is not None
        ccy = txn.postings[0].currency
        rev = -sum(p.amount for p in txn.postings if p.account.startswith("Income:"))
        cost = sum(p.amount for p in txn.postings if p.account.startswith("Expenses:"))
        wal = sum(p.amount for p in txn.postings if p.account == "Assets:Otwa:Wallet")
        self.revenue[ccy] += rev
        self.cost[ccy] += cost
        self.wallet[ccy] += wal
        self.effects[as_id or event_id] = (ccy, rev, cost, wal)

    def counts(self) -> tuple[int, int]:
        return (
            self.db.execute("SELECT COUNT(*) FROM ledger_transactions").fetchone()[0],
            self.db.execute("SELECT COUNT(*) FROM ledger_entries").fetchone()[0],
        )

    # -- rules --------------------------------------------------------------------------

    @rule(
        target=invoices,
        currency=st.sampled_from(CURRENCIES),
        lines=st.lists(
            st.tuples(st.sampled_from(PRODUCTS), st.integers(min_value=-500, max_value=20_000)),
            min_size=1,
            max_size=4,
        ),
    )
    def pay_invoice(self, currency: str, lines: list[tuple[str, int]]) -> tuple[str, str]:
        invoice = f"inv-{next(ids)}"
        items = [
            InvoiceLine(str(i), f"svc-{i}", product, format_minor(minor, currency))
            for i, (product, minor) in enumerate(lines)
        ]
        at = self.tick()
        self.run(
            lambda: book_invoice_paid(
                self.db,
                panel="whmcs",
                invoice_id=invoice,
                client_id="c1",
                currency=currency,
                paid_at=at,
                lines=items,
            )
        )
        return invoice, currency

    @rule(invoice=invoices, minor=st.integers(min_value=1, max_value=30_000))
    def refund_amount(self, invoice: tuple[str, str], minor: int) -> None:
        invoice_id, currency = invoice
        refund_id = f"r-{next(ids)}"
        at = self.tick()

        def call() -> list[Booking]:
            return book_refund(
                self.db,
                panel="whmcs",
                refund_id=refund_id,
                invoice_id=invoice_id,
                currency=currency,
                refunded_at=at,
                amount=format_minor(minor, currency),
            )

        before = self.counts()
        try:
            self.run(call)
        except LedgerError as exc:
            assert exc.code in ("refund_exceeds_paid", "unknown_invoice")
            assert self.counts() == before

    @rule(invoice=invoices, line=st.integers(min_value=0, max_value=3))
    def refund_line(self, invoice: tuple[str, str], line: int) -> None:
        invoice_id, currency = invoice
        refund_id = f"r-{next(ids)}"
        at = self.tick()
        before = self.counts()
        try:
            self.run(
                lambda: book_refund(
                    self.db,
                    panel="whmcs",
                    refund_id=refund_id,
                    invoice_id=invoice_id,
                    currency=currency,
                    refunded_at=at,
                    lines=[RefundLine(str(line))],
                )
            )
        except LedgerError as exc:
            assert exc.code in ("refund_exceeds_paid", "unknown_invoice")
            assert self.counts() == before

    @rule(
        target=servers,
        plan=st.integers(min_value=0, max_value=5000),
        addons=st.dictionaries(st.sampled_from(ADDONS), st.integers(0, 900), max_size=2),
    )
    def create_server(self, plan: int, addons: dict[str, int]) -> str:
        server = f"srv-{next(ids)}"
        at = self.tick()
        self.run(
            lambda: [
                book_server_created(
                    self.db,
                    server_id=server,
                    plan_price=format_minor(plan, "USD"),
                    addons={t: format_minor(p, "USD") for t, p in addons.items()},
                    currency="USD",
                    charged_at=at,
                    panel="whmcs",
                    service_id=server,
                    client_id="c1",
                    product="starter",
                )
            ]
        )
        return server

    @rule(server=servers, charged=st.integers(min_value=0, max_value=900))
    def attach_addon(self, server: str, charged: int) -> None:
        op = f"op-{next(ids)}"
        at = self.tick()
        self.run(
            lambda: [
                book_addon_attached(
                    self.db,
                    server_id=server,
                    addon_type="backup",
                    charged=format_minor(charged, "USD"),
                    monthly_price="9.00",
                    currency="USD",
                    charged_at=at,
                    operation_id=op,
                )
            ]
        )

    @rule(server=servers, period=st.integers(min_value=1, max_value=12))
    def renew(self, server: str, period: int) -> None:
        start = T0 + period * 30 * 86400.0
        at = self.tick()
        before = self.counts()
        try:
            self.run(
                lambda: [
                    book_renewal(
                        self.db,
                        server_id=server,
                        period_start=start,
                        plan_price="5.00",
                        currency="USD",
                        charged_at=at,
                    )
                ]
            )
        except LedgerError as exc:  # the same period again, now with another price: no
            assert exc.code == "event_conflict"
            assert self.counts() == before

    @rule(currency=st.sampled_from(CURRENCIES), minor=st.integers(min_value=0, max_value=10**6))
    def top_up(self, currency: str, minor: int) -> None:
        ref = f"t-{next(ids)}"
        at = self.tick()
        self.run(
            lambda: [
                book_topup(
                    self.db,
                    reference=ref,
                    amount=format_minor(minor, currency),
                    currency=currency,
                    occurred_at=at,
                )
            ]
        )

    @rule(minor=st.integers(min_value=-1000, max_value=10**6))
    def sample(self, minor: int) -> None:
        before = self.counts()
        record_sample(
            self.db, balance=format_minor(minor, "USD"), currency="USD", sampled_at=self.tick()
        )
        assert self.counts() == before  # observations are not transactions

    @precondition(lambda self: bool(self.effects))
    @rule(data=st.data())
    def reverse_one(self, data: st.DataObject) -> None:
        event_id = data.draw(st.sampled_from(sorted(self.effects)))
        new_id = f"fix-{next(ids)}"
        before = self.counts()
        try:
            booking = journal.reverse(
                self.db, event_id, reason="test", new_event_id=new_id, occurred_at=self.tick()
            )
        except LedgerError as exc:
            assert exc.code in ("already_reversed", "not_reversible")
            assert self.counts() == before
            return
        assert booking.booked
        self.remember(new_id)

    @precondition(lambda self: bool(self.calls))
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        call = data.draw(st.sampled_from(self.calls))
        before = (self.counts(), journal.balances(self.db))
        bookings = call()
        assert all(b.status in ("already_booked", "nothing_to_book") for b in bookings)
        assert (self.counts(), journal.balances(self.db)) == before

    # -- invariants ---------------------------------------------------------------------

    @invariant()
    def every_transaction_balances(self) -> None:
        if hasattr(self, "db"):
            assert journal.unbalanced(self.db) == []

    @invariant()
    def the_report_is_the_journal_and_the_model(self) -> None:
        if not hasattr(self, "db"):
            return
        rep = report(self.db, *EVER, by="product")
        balances = journal.balances(self.db)
        for total in rep.totals:
            c = total.currency
            rows = [r for r in rep.rows if r.currency == c]
            assert (total.revenue, total.cost) == (
                sum(r.revenue for r in rows),
                sum(r.cost for r in rows),
            )
            income = sum(v for (a, k), v in balances.items() if a.startswith("Income:") and k == c)
            cost = sum(v for (a, k), v in balances.items() if a.startswith("Expenses:") and k == c)
            assert (total.revenue, total.cost) == (-income, cost)
        reported = {t.currency: (t.revenue, t.cost) for t in rep.totals}
        for c in CURRENCIES:
            assert reported.get(c, (0, 0)) == (self.revenue[c], self.cost[c])
            assert journal.balance(self.db, "Assets:Otwa:Wallet", c) == self.wallet[c]


LedgerMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLedgerMachine = LedgerMachine.TestCase
