"""Revenue: paid invoice lines and refunds, once each, all or nothing, attributed."""

from __future__ import annotations

import itertools

import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.ledger import journal
from bridge.ledger.errors import LedgerError
from bridge.ledger.revenue import (
    InvoiceLine,
    RefundLine,
    book_invoice_paid,
    book_refund,
    invoice_lines,
)

PAID = 1_793_500_000.0  # 2026-11-01
INVOICES = itertools.count()


def usd(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def pay(db: sqlite_utils.Database, **kw: object) -> list[journal.Booking]:
    args: dict[str, object] = {
        "panel": "whmcs",
        "invoice_id": "1042",
        "client_id": "7",
        "currency": "USD",
        "paid_at": PAID,
        "lines": [
            InvoiceLine("1", "42", "starter", "12.00", "2026-11-01", "2026-11-30"),
            InvoiceLine("2", "43", "pro", "30.00"),
            InvoiceLine("3", "42", "starter", "-2.00", description="Promo SAVE2"),
        ],
        "webhook_id": "msg_1",
    }
    args.update(kw)
    return book_invoice_paid(db, **args)  # type: ignore[arg-type]


def revenue_of(db: sqlite_utils.Database) -> dict[str, int]:
    return {a: -s for (a, _c), s in journal.balances(db).items() if a.startswith("Income:")}


def test_a_paid_invoice_books_one_attributed_sale_per_line(db: sqlite_utils.Database) -> None:
    bookings = pay(db)

    assert [b.event_id for b in bookings] == [
        "sale:whmcs:1042:1",
        "sale:whmcs:1042:2",
        "sale:whmcs:1042:3",
    ]
    assert all(b.booked for b in bookings)
    assert revenue_of(db) == {"Income:Sales:Whmcs:Starter": 1000, "Income:Sales:Whmcs:Pro": 3000}
    assert journal.balance(db, "Assets:Receivable:Whmcs", "USD") == 4000
    line1 = journal.get(db, "sale:whmcs:1042:1")
    assert line1 is not None
    assert (line1.who.service_id, line1.who.client_id, line1.who.product) == ("42", "7", "starter")
    assert (line1.period_start, line1.period_end) == ("2026-11-01", "2026-11-30")
    assert line1.metadata == {"webhook_id": "msg_1"}
    assert "Promo SAVE2" in journal.get(db, "sale:whmcs:1042:3").description  # type: ignore[union-attr]


def test_a_resent_invoice_books_nothing_twice(db: sqlite_utils.Database) -> None:
    pay(db)
    again = pay(db, webhook_id="msg_2", paid_at=PAID + 3600)  # another webhook-id, later
    assert [b.status for b in again] == ["already_booked"] * 3
    assert db.execute("SELECT COUNT(*) FROM ledger_transactions").fetchone()[0] == 3


def test_a_zero_line_books_nothing(db: sqlite_utils.Database) -> None:
    bookings = pay(
        db,
        lines=[
            InvoiceLine("1", "42", "starter", "0.00"),
            InvoiceLine("2", "42", "starter", "5.00"),
        ],
    )
    assert [b.status for b in bookings] == ["nothing_to_book", "booked"]
    assert bookings[0].txn_id is None


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"lines": [InvoiceLine("1", "42", "s", "1200.5")], "currency": "JPY"}, "amount_precision"),
        ({"lines": []}, "bad_field"),
        ({"lines": [InvoiceLine("1", "42", "starter", "1.00")] * 2}, "bad_field"),
        ({"lines": [InvoiceLine("1", "42", "starter", "1.001")]}, "amount_precision"),
        ({"lines": [InvoiceLine("1", "", "starter", "1.00")]}, "bad_field"),
        ({"lines": [InvoiceLine("1", "42", "starter", 1.0)]}, "bad_amount"),  # type: ignore[arg-type]
        ({"lines": [InvoiceLine("1", "42", "starter", "1.00", "Nov 1st")]}, "bad_date"),
        ({"client_id": None}, "bad_field"),
        ({"paid_at": 1_793_500_000_000}, "bad_date"),  # milliseconds
        ({"currency": "US"}, "unknown_currency"),
    ],
)
def test_bad_invoices_are_refused_and_change_nothing(
    db: sqlite_utils.Database, change: dict[str, object], code: str
) -> None:
    with pytest.raises(LedgerError) as exc:
        pay(db, **change)
    assert exc.value.code == code
    assert db.execute("SELECT COUNT(*) FROM ledger_transactions").fetchone()[0] == 0


def test_a_line_refund_books_against_the_lines_product(db: sqlite_utils.Database) -> None:
    pay(db)
    bookings = book_refund(
        db,
        panel="whmcs",
        refund_id="r1",
        invoice_id="1042",
        currency="USD",
        refunded_at=PAID + 86400,
        lines=[RefundLine("2", "10.00"), RefundLine("1")],
        reason="downtime credit",
    )

    assert [b.event_id for b in bookings] == ["refund:whmcs:r1:2", "refund:whmcs:r1:1"]
    assert journal.balance(db, "Income:Refunds:Whmcs:Pro", "USD") == 1000
    assert journal.balance(db, "Income:Refunds:Whmcs:Starter", "USD") == 1200
    assert journal.balance(db, "Assets:Receivable:Whmcs", "USD") == 4000 - 2200
    refund = journal.get(db, "refund:whmcs:r1:1")
    assert refund is not None and refund.who.service_id == "42" and refund.line_id == "1"
    left = {s.line_id: (s.paid, s.left) for s in invoice_lines(db, "whmcs", "1042")}
    assert left == {"1": (1200, 0), "2": (3000, 2000), "3": (-200, -200)}


def test_an_amount_refund_is_spread_exactly_over_what_is_left(db: sqlite_utils.Database) -> None:
    pay(db)  # lines left: 12.00, 30.00 (the -2.00 promo line takes no share)
    bookings = book_refund(
        db,
        panel="whmcs",
        refund_id="r1",
        invoice_id="1042",
        currency="USD",
        refunded_at=PAID,
        amount="10.00",
    )
    shares = {b.event_id: journal.get(db, b.event_id) for b in bookings}
    amounts = {
        e: next(p.amount for p in t.postings if p.account.startswith("Income:"))  # type: ignore[union-attr]
        for e, t in shares.items()
    }
    assert amounts == {"refund:whmcs:r1:1": 286, "refund:whmcs:r1:2": 714}  # 10 x 12/42, 30/42

    # The same refund again is a replay, even though what is left has changed since.
    again = book_refund(
        db,
        panel="whmcs",
        refund_id="r1",
        invoice_id="1042",
        currency="USD",
        refunded_at=PAID + 5,
        amount="10.00",
    )
    assert [b.status for b in again] == ["already_booked", "already_booked"]
    with pytest.raises(LedgerError) as exc:
        book_refund(
            db,
            panel="whmcs",
            refund_id="r1",
            invoice_id="1042",
            currency="USD",
            refunded_at=PAID,
            amount="11.00",
        )
    assert exc.value.code == "event_conflict"


def test_a_whole_line_refund_replays_as_booked(db: sqlite_utils.Database) -> None:
    pay(db)

    def refund_line_1() -> journal.Booking:
        return book_refund(
            db,
            panel="whmcs",
            refund_id="r1",
            invoice_id="1042",
            currency="USD",
            refunded_at=PAID,
            lines=[RefundLine("1")],
        )[0]

    assert refund_line_1().booked
    assert refund_line_1().status == "already_booked"


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"invoice_id": "999", "amount": "1.00"}, "unknown_invoice"),
        ({"lines": [RefundLine("9")]}, "unknown_invoice"),
        ({"amount": "40.01"}, "refund_exceeds_paid"),  # 42.00 left on positive lines
        ({"lines": [RefundLine("1", "12.01")]}, "refund_exceeds_paid"),
        ({"lines": [RefundLine("3")]}, "refund_exceeds_paid"),  # nothing left on a promo line
        ({"lines": [RefundLine("1", "1.00"), RefundLine("1", "1.00")]}, "bad_field"),
        ({"amount": "1.00", "currency": "EUR"}, "currency_mismatch"),
        ({"amount": "1.00", "lines": [RefundLine("1")]}, "bad_field"),
        ({}, "bad_field"),
        ({"amount": "0.00"}, "bad_amount"),
    ],
)
def test_bad_refunds_are_refused_and_change_nothing(
    db: sqlite_utils.Database, kw: dict[str, object], code: str
) -> None:
    pay(db)
    args: dict[str, object] = {
        "panel": "whmcs",
        "refund_id": "r1",
        "invoice_id": "1042",
        "currency": "USD",
        "refunded_at": PAID,
        **kw,
    }
    if code == "refund_exceeds_paid" and "amount" in kw:
        args["amount"] = "42.01"
    with pytest.raises(LedgerError) as exc:
        book_refund(db, **args)  # type: ignore[arg-type]
    assert exc.value.code == code
    assert db.execute("SELECT COUNT(*) FROM ledger_transactions").fetchone()[0] == 3


def test_a_reversed_sale_leaves_nothing_to_refund(db: sqlite_utils.Database) -> None:
    pay(db)
    journal.reverse(
        db, "sale:whmcs:1042:2", reason="wrong invoice", new_event_id="fix:1", occurred_at=PAID
    )
    with pytest.raises(LedgerError) as exc:
        book_refund(
            db,
            panel="whmcs",
            refund_id="r1",
            invoice_id="1042",
            currency="USD",
            refunded_at=PAID,
            lines=[RefundLine("2", "1.00")],
        )
    assert exc.value.code == "refund_exceeds_paid"


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(st.integers(min_value=1, max_value=100_000), min_size=1, max_size=6),
    refunds=st.lists(st.integers(min_value=1, max_value=50_000), max_size=5),
)
def test_refunds_never_exceed_and_always_sum(
    db: sqlite_utils.Database, lines: list[int], refunds: list[int]
) -> None:
    invoice = f"inv-{next(INVOICES)}"  # one database across examples: fresh ids
    pay(
        db,
        invoice_id=invoice,
        lines=[InvoiceLine(str(i), "s", "p", usd(a)) for i, a in enumerate(lines)],
    )
    refunded = 0
    for n, r in enumerate(refunds):
        try:
            book_refund(
                db,
                panel="whmcs",
                refund_id=f"{invoice}-r{n}",
                invoice_id=invoice,
                currency="USD",
                refunded_at=PAID,
                amount=usd(r),
            )
            refunded += r
        except LedgerError as exc:
            assert exc.code == "refund_exceeds_paid" and refunded + r > sum(lines)
    state = invoice_lines(db, "whmcs", invoice)
    assert sum(s.paid for s in state) == sum(lines)
    assert sum(s.paid - s.left for s in state) == refunded
    assert all(0 <= s.left <= s.paid for s in state)
    assert journal.unbalanced(db) == []
