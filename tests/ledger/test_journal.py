"""The journal's contract: balanced, once per event, durable, append-only, reversible."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from bridge import store
from bridge.ledger import journal
from bridge.ledger.errors import LedgerError
from bridge.ledger.journal import Attribution, Draft, Posting

T0 = 1_793_000_000.0  # 2026-10-26


def topup(event_id: str = "topup:1", amount: int = 50_000, currency: str = "USD") -> Draft:
    return Draft(
        event_id=event_id,
        kind="topup",
        occurred_at=T0,
        description="Wallet top-up",
        postings=(
            Posting("Assets:Otwa:Wallet", amount, currency),
            Posting("Equity:Owner:WalletTopUps", -amount, currency),
        ),
    )


def sale(event_id: str = "sale:whmcs:1:1", amount: int = 1250) -> Draft:
    return Draft(
        event_id=event_id,
        kind="sale",
        occurred_at=T0 + 60,
        description="Invoice 1 line 1",
        postings=(
            Posting("Assets:Receivable:Whmcs", amount, "USD"),
            Posting("Income:Sales:Whmcs:Starter", -amount, "USD"),
        ),
        who=Attribution(panel="whmcs", service_id="42", client_id="7", product="starter"),
        invoice_id="1",
        line_id="1",
    )


def counts(db: sqlite_utils.Database) -> tuple[int, int]:
    return (
        db.execute("SELECT COUNT(*) FROM ledger_transactions").fetchone()[0],
        db.execute("SELECT COUNT(*) FROM ledger_entries").fetchone()[0],
    )


def test_a_balanced_transaction_is_booked_with_its_columns_copied(
    db: sqlite_utils.Database,
) -> None:
    booking = journal.post(db, sale())

    assert booking.status == "booked" and booking.booked
    rows = db.execute(
        "SELECT account, currency, amount, role, month, panel, service_id, client_id, product"
        " FROM ledger_entries WHERE txn_id = ? ORDER BY id",
        [booking.txn_id],
    ).fetchall()
    assert rows == [
        ("Assets:Receivable:Whmcs", "USD", 1250, None, "2026-10", "whmcs", "42", "7", "starter"),
        (
            "Income:Sales:Whmcs:Starter",
            "USD",
            -1250,
            "revenue",
            "2026-10",
            "whmcs",
            "42",
            "7",
            "starter",
        ),
    ]
    txn = journal.get(db, "sale:whmcs:1:1")
    assert txn is not None and txn.kind == "sale" and txn.invoice_id == "1"
    assert txn.postings == sale().postings
    assert T0 < txn.booked_at  # the database's wall clock, for the audit trail


def test_a_replay_books_nothing_twice(db: sqlite_utils.Database) -> None:
    first = journal.post(db, sale())
    # Same event, later clock, other description: a replay after a crash.
    again = journal.post(
        db, Draft(**{**sale().__dict__, "occurred_at": T0 + 999, "description": "resent"})
    )

    assert again.status == "already_booked" and again.txn_id == first.txn_id
    assert counts(db) == (1, 2)


@pytest.mark.parametrize(
    "change",
    [
        {"postings": sale(amount=1300).postings},
        {"who": Attribution(panel="whmcs", service_id="43", client_id="7", product="starter")},
        {"line_id": "2"},
        {"kind": "refund"},
    ],
)
def test_the_same_event_with_other_content_is_a_conflict(
    db: sqlite_utils.Database, change: dict[str, object]
) -> None:
    journal.post(db, sale())
    with pytest.raises(LedgerError) as exc:
        journal.post(db, Draft(**{**sale().__dict__, **change}))  # type: ignore[arg-type]
    assert exc.value.code == "event_conflict" and exc.value.status == 409
    assert "reverse it" in exc.value.message
    assert counts(db) == (1, 2)


@pytest.mark.parametrize(
    ("postings", "code"),
    [
        (
            (
                Posting("Assets:Otwa:Wallet", 100, "USD"),
                Posting("Equity:Owner:WalletTopUps", -99, "USD"),
            ),
            "unbalanced",
        ),
        (
            (
                Posting("Assets:Otwa:Wallet", 100, "USD"),
                Posting("Equity:Owner:WalletTopUps", -100, "EUR"),
            ),
            "unbalanced",
        ),
        ((Posting("Assets:Otwa:Wallet", 100, "USD"),), "unbalanced"),
        (
            (
                Posting("Assets:Otwa:Wallet", 0, "USD"),
                Posting("Equity:Owner:WalletTopUps", 0, "USD"),
            ),
            "bad_amount",
        ),
        (
            (
                Posting("Assets:Otwa:Wallet", 1.5, "USD"),  # type: ignore[arg-type]
                Posting("Equity:Owner:WalletTopUps", -1.5, "USD"),  # type: ignore[arg-type]
            ),
            "bad_amount",
        ),
        (
            (
                Posting("assets:wallet", 100, "USD"),
                Posting("Equity:Owner:WalletTopUps", -100, "USD"),
            ),
            "bad_account",
        ),
        (
            (
                Posting("Assets:Otwa:Wallet", 100, "XXX"),
                Posting("Equity:Owner:WalletTopUps", -100, "XXX"),
            ),
            "unknown_currency",
        ),
    ],
)
def test_bad_transactions_are_refused_and_change_nothing(
    db: sqlite_utils.Database, postings: tuple[Posting, ...], code: str
) -> None:
    with pytest.raises(LedgerError) as exc:
        journal.post(db, Draft(**{**topup().__dict__, "postings": postings}))
    assert exc.value.code == code
    assert counts(db) == (0, 0)


def test_unbalanced_message_names_the_difference(db: sqlite_utils.Database) -> None:
    bad = (
        Posting("Assets:Otwa:Wallet", 100, "USD"),
        Posting("Equity:Owner:WalletTopUps", -1, "USD"),
    )
    with pytest.raises(LedgerError, match=r"off by 0.99 USD"):
        journal.post(db, Draft(**{**topup().__dict__, "postings": bad}))


def test_several_currencies_balance_each_on_its_own(db: sqlite_utils.Database) -> None:
    postings = (
        Posting("Assets:Otwa:Wallet", 100, "USD"),
        Posting("Equity:Owner:WalletTopUps", -100, "USD"),
        Posting("Assets:Otwa:Wallet", 900, "JPY"),
        Posting("Equity:Owner:WalletTopUps", -900, "JPY"),
    )
    assert journal.post(db, Draft(**{**topup().__dict__, "postings": postings})).booked
    assert journal.balance(db, "Assets:Otwa:Wallet", "JPY") == 900
    assert journal.unbalanced(db) == []


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_entries SET amount = amount + 1",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_transactions SET description = 'edited'",
        "DELETE FROM ledger_transactions",
    ],
)
def test_the_journal_is_append_only(db: sqlite_utils.Database, sql: str) -> None:
    journal.post(db, topup())
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        with store.write(db):
            db.execute(sql)
    assert counts(db) == (1, 2)
    assert journal.balance(db, "Assets:Otwa:Wallet", "USD") == 50_000


def test_sqlite_itself_refuses_a_float_or_zero_amount(db: sqlite_utils.Database) -> None:
    txn_id = journal.post(db, topup()).txn_id
    for amount in (1.5, 0):
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            with store.write(db):
                db.execute(
                    "INSERT INTO ledger_entries (txn_id, account, currency, amount, occurred_at,"
                    " month) VALUES (?, 'Assets:Otwa:Wallet', 'USD', ?, 0, '1970-01')",
                    [txn_id, amount],
                )


def test_reverse_books_the_mirror_image_once(db: sqlite_utils.Database) -> None:
    journal.post(db, sale())
    rev = journal.reverse(
        db,
        "sale:whmcs:1:1",
        reason="booked twice by hand",
        new_event_id="fix:1",
        occurred_at=T0 + 120,
    )

    assert rev.booked
    txn = journal.get(db, "fix:1")
    assert txn is not None and txn.kind == "reversal"
    assert [p.amount for p in txn.postings] == [-1250, 1250]
    assert txn.who.service_id == "42" and txn.invoice_id == "1"  # attribution carried over
    assert journal.balance(db, "Income:Sales:Whmcs:Starter", "USD") == 0
    assert journal.balance(db, "Assets:Receivable:Whmcs", "USD") == 0
    # A replay of the same correction is idempotent...
    again = journal.reverse(
        db, "sale:whmcs:1:1", reason="x", new_event_id="fix:1", occurred_at=T0 + 500
    )
    assert again.status == "already_booked"
    # ...a second, different correction is refused, naming the first.
    with pytest.raises(LedgerError) as exc:
        journal.reverse(db, "sale:whmcs:1:1", reason="x", new_event_id="fix:2", occurred_at=T0)
    assert exc.value.code == "already_reversed" and exc.value.details == {"reversed_by": "fix:1"}
    assert counts(db) == (2, 4)


def test_reverse_refusals(db: sqlite_utils.Database) -> None:
    journal.post(db, sale())
    journal.reverse(db, "sale:whmcs:1:1", reason="r", new_event_id="fix:1", occurred_at=T0)
    cases = [
        ("nope", "fix:9", "unknown_event"),
        ("fix:1", "fix:9", "not_reversible"),
        ("sale:whmcs:1:1", "", "bad_field"),
    ]
    for event_id, new_id, code in cases:
        with pytest.raises(LedgerError) as exc:
            journal.reverse(db, event_id, reason="r", new_event_id=new_id, occurred_at=T0)
        assert exc.value.code == code
    # Re-using an unrelated event id for a reversal is a conflict, not a silent success.
    journal.post(db, topup())
    journal.post(db, sale("sale:whmcs:2:1"))
    with pytest.raises(LedgerError) as exc:
        journal.reverse(db, "sale:whmcs:2:1", reason="r", new_event_id="topup:1", occurred_at=T0)
    assert exc.value.code == "event_conflict"
    assert counts(db) == (4, 8)


def test_post_all_is_all_or_nothing(db: sqlite_utils.Database) -> None:
    journal.post(db, sale("sale:whmcs:1:2", amount=500))
    drafts = [sale("sale:whmcs:1:1"), sale("sale:whmcs:1:2", amount=999)]  # 2nd conflicts
    with pytest.raises(LedgerError, match="event_conflict|other amounts"):
        journal.post_all(db, drafts)
    assert journal.get(db, "sale:whmcs:1:1") is None
    assert counts(db) == (1, 2)


def test_bookings_are_durable_writes(db: sqlite_utils.Database, tmp_path: Path) -> None:
    # Inside a non-durable transaction a money write refuses to join (store.write's guard)...
    with pytest.raises(RuntimeError, match="durable"):
        with store.write(db, durable=False):
            journal.post(db, topup())
    assert counts(db) == (0, 0)
    # ...and a booking is its own BEGIN IMMEDIATE ... COMMIT at synchronous=FULL, visible
    # to another connection when the call returns.
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    journal.post(db, topup())
    db.conn.set_trace_callback(None)
    assert "BEGIN IMMEDIATE" in statements and statements[-1] == "COMMIT"
    assert not any("synchronous" in s for s in statements)
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    other = store.connect(tmp_path / "ledger.sqlite")
    assert journal.balance(other, "Assets:Otwa:Wallet", "USD") == 50_000
    other.close()


def test_a_booking_joins_the_callers_transaction(db: sqlite_utils.Database) -> None:
    with pytest.raises(ZeroDivisionError):
        with store.write(db):
            journal.post(db, topup())
            1 / 0  # noqa: B018 - the caller fails after booking: all rolls back
    assert counts(db) == (0, 0)


def test_transactions_filter_by_time_and_account(db: sqlite_utils.Database) -> None:
    journal.post(db, topup())
    journal.post(db, sale())
    assert [t.event_id for t in journal.transactions(db)] == ["topup:1", "sale:whmcs:1:1"]
    assert [t.event_id for t in journal.transactions(db, start=T0 + 1)] == ["sale:whmcs:1:1"]
    assert [t.event_id for t in journal.transactions(db, end=T0 + 1)] == ["topup:1"]
    wallet = journal.transactions(db, account="Assets:Otwa:Wallet")
    assert [t.event_id for t in wallet] == ["topup:1"]
    assert journal.balances(db)[("Income:Sales:Whmcs:Starter", "USD")] == -1250
