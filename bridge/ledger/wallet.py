"""The Otwa wallet: deposits the journal books, and balances sampled from ``GET /account``.

A top-up debits ``Assets:Otwa:Wallet`` and credits ``Equity:Owner:WalletTopUps``; the
balance the wallet had when the ledger started is one ``Equity:Opening-Balances``
transaction per currency. Samples are observations, not money movements: they live in
``ledger_wallet_samples`` (append-only), and reconciliation compares them with the
journal (``bridge.ledger.reconcile``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import sqlite_utils

from bridge import store
from bridge.ledger import accounts, events, fields, journal
from bridge.ledger.journal import Booking, Draft, Posting
from bridge.ledger.money import exponent, to_decimal, to_minor


@dataclass(frozen=True)
class Sample:
    """The wallet balance Otwa reported at ``sampled_at``, in minor units."""

    id: int
    sampled_at: float
    currency: str
    balance: int


def book_topup(
    db: sqlite_utils.Database,
    *,
    reference: str,
    amount: str | Decimal,
    currency: str,
    occurred_at: float,
    note: str | None = None,
) -> Booking:
    """Book a deposit into the Otwa wallet. Event id ``topup:<reference>`` (the payment's
    reference, e.g. Otwa's invoice id or the operator's note id): booked once."""
    reference = fields.text(reference, "reference")
    minor = to_minor(amount, currency)
    fields.moment(occurred_at, "occurred_at")
    text = fields.optional_text(note, "note", max_len=500)
    if minor == 0:
        return Booking(events.topup(reference), "nothing_to_book", None)
    return journal.post(
        db,
        Draft(
            event_id=events.topup(reference),
            kind="topup",
            occurred_at=occurred_at,
            description=f"Otwa wallet top-up {reference}" + (f": {text}" if text else ""),
            postings=(
                Posting(accounts.WALLET, minor, currency),
                Posting(accounts.TOPUPS, -minor, currency),
            ),
        ),
    )


def book_opening_balance(
    db: sqlite_utils.Database, *, amount: str | Decimal, currency: str, occurred_at: float
) -> Booking:
    """Book the wallet's balance when the ledger started (once per currency: event id
    ``opening:<currency>``), so the journal's wallet matches Otwa's from then on."""
    minor = to_minor(amount, currency)
    fields.moment(occurred_at, "occurred_at")
    if minor == 0:
        return Booking(events.opening(currency), "nothing_to_book", None)
    return journal.post(
        db,
        Draft(
            event_id=events.opening(currency),
            kind="opening",
            occurred_at=occurred_at,
            description="Otwa wallet balance when the ledger started",
            postings=(
                Posting(accounts.WALLET, minor, currency),
                Posting(accounts.OPENING, -minor, currency),
            ),
        ),
    )


def book_opening_from_sample(db: sqlite_utils.Database, sample: Sample) -> Booking:
    """Book the opening balance that makes the journal's wallet equal ``sample`` at its
    moment (call it with the first sample the bridge takes). Once per currency: if an
    opening balance exists, ``already_booked`` and nothing is computed again. When the
    journal already shows at least the sample (charges were booked before, or the wallet
    was empty), ``nothing_to_book``: any difference is left to reconciliation to show."""
    event_id = events.opening(sample.currency)
    with store.write(db):
        known = journal.get(db, event_id)
        if known is not None:
            return Booking(event_id, "already_booked", known.id)
        missing = sample.balance - journal_balance(db, sample.currency, at=sample.sampled_at)
        if missing <= 0:
            return Booking(event_id, "nothing_to_book", None)
        return book_opening_balance(
            db,
            amount=to_decimal(missing, sample.currency),
            currency=sample.currency,
            occurred_at=sample.sampled_at,
        )


def record_sample(
    db: sqlite_utils.Database,
    *,
    balance: str | Decimal,
    currency: str,
    sampled_at: float,
    source: str = "GET /account",
) -> Sample:
    """Store one wallet balance Otwa reported (durably; samples are never changed)."""
    minor = to_minor(balance, currency, field="balance", signed=True)
    fields.moment(sampled_at, "sampled_at")
    source = fields.text(source, "source")
    with store.write(db):
        cursor = db.execute(
            "INSERT INTO ledger_wallet_samples (sampled_at, currency, balance, source)"
            " VALUES (?, ?, ?, ?)",
            [sampled_at, currency, minor, source],
        )
    return Sample(int(cursor.lastrowid or 0), sampled_at, currency, minor)


def samples(
    db: sqlite_utils.Database,
    currency: str,
    *,
    start: float = -math.inf,
    end: float = math.inf,
) -> list[Sample]:
    """Samples with ``start <= sampled_at <= end``, oldest first."""
    exponent(currency)
    rows = db.execute(
        "SELECT id, sampled_at, currency, balance FROM ledger_wallet_samples"
        " WHERE currency = ? AND sampled_at >= ? AND sampled_at <= ? ORDER BY sampled_at, id",
        [currency, max(start, -1e18), min(end, 1e18)],
    )
    return [Sample(int(i), float(t), str(c), int(b)) for i, t, c, b in rows]


def first_sample(db: sqlite_utils.Database, currency: str) -> Sample | None:
    """The oldest sample, or None."""
    rows = db.execute(
        "SELECT id, sampled_at, currency, balance FROM ledger_wallet_samples"
        " WHERE currency = ? ORDER BY sampled_at, id LIMIT 1",
        [currency],
    ).fetchall()
    return Sample(int(rows[0][0]), rows[0][1], rows[0][2], int(rows[0][3])) if rows else None


def latest_sample(
    db: sqlite_utils.Database, currency: str, *, at: float = math.inf
) -> Sample | None:
    """The last sample taken at or before ``at``, or None."""
    rows = db.execute(
        "SELECT id, sampled_at, currency, balance FROM ledger_wallet_samples"
        " WHERE currency = ? AND sampled_at <= ? ORDER BY sampled_at DESC, id DESC LIMIT 1",
        [currency, min(at, 1e18)],
    ).fetchall()
    return Sample(int(rows[0][0]), rows[0][1], rows[0][2], int(rows[0][3])) if rows else None


def journal_balance(db: sqlite_utils.Database, currency: str, *, at: float = math.inf) -> int:
    """The wallet's balance by the journal alone, over everything booked up to ``at``."""
    return journal.balance(db, accounts.WALLET, currency, until=at)


def expected_balance(db: sqlite_utils.Database, currency: str, *, at: float) -> int:
    """The best estimate of the wallet at ``at``: the last sample up to then plus what the
    journal moved since; the journal's balance alone when there is no sample."""
    sample = latest_sample(db, currency, at=at)
    if sample is None:
        return journal_balance(db, currency, at=at)
    moved = journal_balance(db, currency, at=at) - journal_balance(
        db, currency, at=sample.sampled_at
    )
    return sample.balance + moved
