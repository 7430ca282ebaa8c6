"""Reconciliation: does the Otwa wallet move the way the journal says it should?

Between two ``GET /account`` samples the wallet should change by exactly what the journal
booked on ``Assets:Otwa:Wallet`` in between (charges out, top-ups in). The difference is
**drift**: a charge the bridge never saw (a renewal, an add-on bought in Otwa's
dashboard), a top-up nobody booked, a price that changed, a booking of a charge Otwa never
made. :func:`reconcile` walks the samples of a period and reports the total drift and each
step between consecutive samples where it appeared, with the wallet transactions booked
around it so a person can see what is missing. :func:`wallet_drift` is the cheap number
for a gauge.

A charge booked a little before or after the sample that saw it shows up as drift in one
step and its opposite in the next: ``context`` widens the transactions listed per step,
and ``tolerance`` (minor units) hides steps whose drift is within it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from bridge.ledger import accounts, fields, wallet
from bridge.ledger.errors import LedgerError
from bridge.ledger.money import exponent, format_minor
from bridge.ledger.periods import iso
from bridge.ledger.wallet import Sample


@dataclass(frozen=True)
class WalletMove:
    """One booked movement of the wallet (minor units, + in, - out)."""

    event_id: str
    kind: str
    occurred_at: float
    amount: int
    description: str


@dataclass(frozen=True)
class Step:
    """Two consecutive samples: what the journal expected the wallet to do between them,
    what Otwa's balance did, and the wallet moves booked around them."""

    start: Sample
    end: Sample
    expected: int
    observed: int
    moves: tuple[WalletMove, ...]

    @property
    def drift(self) -> int:
        """Observed minus expected: negative when Otwa took more than was booked."""
        return self.observed - self.expected


@dataclass(frozen=True)
class Reconciliation:
    """The period's samples against the journal. ``first``/``last``: the samples
    compared (the last one at or before the period's start is the baseline when there is
    one); ``steps``: the steps whose drift exceeds ``tolerance``."""

    currency: str
    start: float
    end: float
    first: Sample | None
    last: Sample | None
    expected: int
    observed: int
    steps: tuple[Step, ...]
    tolerance: int

    @property
    def drift(self) -> int:
        return self.observed - self.expected

    @property
    def enough_samples(self) -> bool:
        """False when fewer than two samples cover the period: nothing to compare."""
        return self.first is not None and self.last is not None and self.first != self.last

    @property
    def ok(self) -> bool:
        return self.enough_samples and abs(self.drift) <= self.tolerance

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, decimal strings."""
        c = self.currency

        def sample(s: Sample | None) -> dict[str, str] | None:
            return None if s is None else {"at": iso(s.sampled_at), "balance": _fmt(s.balance, c)}

        return {
            "currency": c,
            "period": {"from": iso(self.start), "to": iso(self.end)},
            "first_sample": sample(self.first),
            "last_sample": sample(self.last),
            "enough_samples": self.enough_samples,
            "expected": _fmt(self.expected, c),
            "observed": _fmt(self.observed, c),
            "drift": _fmt(self.drift, c),
            "tolerance": _fmt(self.tolerance, c),
            "ok": self.ok,
            "steps": [
                {
                    "from": sample(s.start),
                    "to": sample(s.end),
                    "expected": _fmt(s.expected, c),
                    "observed": _fmt(s.observed, c),
                    "drift": _fmt(s.drift, c),
                    "transactions": [
                        {
                            "event_id": m.event_id,
                            "kind": m.kind,
                            "at": iso(m.occurred_at),
                            "amount": _fmt(m.amount, c),
                            "description": m.description,
                        }
                        for m in s.moves
                    ],
                }
                for s in self.steps
            ],
        }


def _fmt(minor: int, currency: str) -> str:
    return format_minor(minor, currency)


def reconcile(
    db: sqlite_utils.Database,
    currency: str,
    *,
    start: float,
    end: float,
    tolerance: int = 0,
    context: float = 3600.0,
) -> Reconciliation:
    """Compare the wallet samples of ``[start, end]`` with the journal's wallet moves.

    ``tolerance`` (minor units, >= 0) is the drift a step may show without being listed;
    ``context`` (seconds) widens each listed step's transactions on both sides.
    """
    exponent(currency)
    fields.moment(start, "start")
    fields.moment(end, "end")
    if end <= start:
        raise LedgerError("bad_date", "the period must end after it starts")
    if tolerance < 0 or context < 0:
        raise LedgerError("bad_amount", "tolerance and context must not be negative")
    base = wallet.latest_sample(db, currency, at=start)
    taken = wallet.samples(db, currency, start=start, end=end)
    series = ([base] if base is not None else []) + [s for s in taken if s != base]
    if len(series) < 2:
        only = series[0] if series else None
        return Reconciliation(currency, start, end, only, only, 0, 0, (), tolerance)
    first, last = series[0], series[-1]
    moves = _moves(db, currency, first.sampled_at - context, last.sampled_at + context)
    steps = []
    for a, b in zip(series, series[1:], strict=False):
        expected = sum(m.amount for m in moves if a.sampled_at < m.occurred_at <= b.sampled_at)
        step = Step(a, b, expected, b.balance - a.balance, ())
        if abs(step.drift) > tolerance:
            near = tuple(
                m for m in moves if a.sampled_at - context < m.occurred_at <= b.sampled_at + context
            )
            steps.append(Step(a, b, expected, step.observed, near))
    expected = sum(m.amount for m in moves if first.sampled_at < m.occurred_at <= last.sampled_at)
    observed = last.balance - first.balance
    return Reconciliation(
        currency, start, end, first, last, expected, observed, tuple(steps), tolerance
    )


def _moves(
    db: sqlite_utils.Database, currency: str, after: float, until: float
) -> list[WalletMove]:
    rows = db.execute(
        """
        SELECT t.event_id, t.kind, e.occurred_at, e.amount, t.description
        FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.txn_id
        WHERE e.account = ? AND e.currency = ? AND e.occurred_at > ? AND e.occurred_at <= ?
        ORDER BY e.occurred_at, e.id
        """,
        [accounts.WALLET, currency, after, until],
    )
    return [WalletMove(str(a), str(k), float(t), int(m), str(d)) for a, k, t, m, d in rows]


def wallet_drift(db: sqlite_utils.Database, currency: str) -> int | None:
    """Drift accumulated from the first sample ever to the latest (two indexed sums: cheap
    enough for a gauge after every sample); None with fewer than two samples."""
    first = wallet.first_sample(db, currency)
    last = wallet.latest_sample(db, currency)
    if first is None or last is None or first == last:
        return None
    expected = wallet.journal_balance(db, currency, at=last.sampled_at) - wallet.journal_balance(
        db, currency, at=first.sampled_at
    )
    return (last.balance - first.balance) - expected
