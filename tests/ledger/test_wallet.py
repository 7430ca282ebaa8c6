"""The wallet: top-ups and opening balance in the journal, samples beside it."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from bridge import store
from bridge.ledger import wallet
from bridge.ledger.costs import book_server_created
from bridge.ledger.errors import LedgerError

T0 = 1_793_500_000.0


def test_topups_and_opening_balance_book_once(db: sqlite_utils.Database) -> None:
    assert wallet.book_opening_balance(db, amount="500.00", currency="USD", occurred_at=T0).booked
    again = wallet.book_opening_balance(db, amount="500.00", currency="USD", occurred_at=T0 + 9)
    assert again.status == "already_booked"
    top = wallet.book_topup(
        db, reference="otwa-inv-77", amount="100.00", currency="USD", occurred_at=T0 + 60
    )
    assert top.event_id == "topup:otwa-inv-77" and top.booked
    assert wallet.journal_balance(db, "USD") == 60000
    assert wallet.journal_balance(db, "USD", at=T0 + 59) == 50000
    with pytest.raises(LedgerError) as exc:
        wallet.book_topup(
            db, reference="otwa-inv-77", amount="200.00", currency="USD", occurred_at=T0
        )
    assert exc.value.code == "event_conflict"


def test_samples_are_stored_exactly_and_never_changed(db: sqlite_utils.Database) -> None:
    wallet.record_sample(db, balance="500.00", currency="USD", sampled_at=T0)
    s2 = wallet.record_sample(db, balance="490.01", currency="USD", sampled_at=T0 + 600)
    wallet.record_sample(db, balance="1000", currency="JPY", sampled_at=T0 + 600)

    assert s2.balance == 49001
    assert [s.balance for s in wallet.samples(db, "USD")] == [50000, 49001]
    assert wallet.latest_sample(db, "USD", at=T0 + 599).balance == 50000  # type: ignore[union-attr]
    assert wallet.latest_sample(db, "EUR") is None
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        with store.write(db):
            db.execute("UPDATE ledger_wallet_samples SET balance = 0")
    with pytest.raises(LedgerError) as exc:
        wallet.record_sample(db, balance="4.999", currency="USD", sampled_at=T0)
    assert exc.value.code == "amount_precision"


def test_expected_balance_is_the_last_sample_plus_what_was_booked_since(
    db: sqlite_utils.Database,
) -> None:
    wallet.book_opening_balance(db, amount="400.00", currency="USD", occurred_at=T0 - 10)
    wallet.record_sample(db, balance="500.00", currency="USD", sampled_at=T0)  # Otwa knows more
    book_server_created(db, server_id="s1", plan_price="9.99", currency="USD", charged_at=T0 + 5)

    assert wallet.expected_balance(db, "USD", at=T0 + 10) == 50000 - 999
    assert wallet.expected_balance(db, "USD", at=T0 - 5) == 40000  # before any sample: journal


def test_the_first_sample_opens_the_wallet_once(db: sqlite_utils.Database) -> None:
    book_server_created(db, server_id="s1", plan_price="9.99", currency="USD", charged_at=T0)
    first = wallet.record_sample(db, balance="490.01", currency="USD", sampled_at=T0 + 60)

    opened = wallet.book_opening_from_sample(db, first)
    assert opened.booked and opened.event_id == "opening:USD"
    # The wallet held 500.00 before the create took 9.99: the journal now agrees.
    assert wallet.journal_balance(db, "USD", at=T0 + 60) == 49001
    later = wallet.record_sample(db, balance="10.00", currency="USD", sampled_at=T0 + 600)
    assert wallet.book_opening_from_sample(db, later).status == "already_booked"
    assert wallet.journal_balance(db, "USD") == 49001
    empty = wallet.record_sample(db, balance="0.00", currency="EUR", sampled_at=T0)
    assert wallet.book_opening_from_sample(db, empty).status == "nothing_to_book"
