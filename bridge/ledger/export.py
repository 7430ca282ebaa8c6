"""The journal as a Beancount file: plain-text accounting that accountants and Fava read.

``export_beancount(db)`` writes every transaction with its postings (decimal amounts in
each currency's precision), its event id, kind and attribution as metadata, and an
``open`` directive per account dated on its first use. With ``start``, everything before
it becomes one "carried forward" transaction on ``start`` (the balances it leaves, which
sum to zero per currency because every transaction does), so the file balances the same
as the ledger. Dates are UTC days. ``bean-check`` accepts the output (tests/ledger).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlite_utils

from bridge.ledger import journal
from bridge.ledger.journal import Posting, Transaction
from bridge.ledger.money import format_minor
from bridge.ledger.periods import day_of, epoch

_PAYEES = {
    "server": "Otwa",
    "addon": "Otwa",
    "renewal": "Otwa",
    "topup": "Owner",
    "opening": "Owner",
    "reversal": "Correction",
}  # sales and refunds: the panel
_META = (
    ("panel", "panel"),
    ("service", "service_id"),
    ("client", "client_id"),
    ("product", "product"),
    ("server", "server_id"),
)


def export_beancount(
    db: sqlite_utils.Database,
    *,
    start: date | None = None,
    end: date | None = None,
    title: str = "otwa-bridge ledger",
) -> str:
    """Beancount text of the transactions in ``[start, end)`` (UTC days; both optional)."""
    txns = journal.transactions(
        db, start=epoch(start) if start else None, end=epoch(end) if end else None
    )
    carried = _carried_forward(db, start) if start else []
    dated: list[tuple[date, tuple[Posting, ...]]] = [(start, tuple(carried))] if start else []
    dated += [(day_of(t.occurred_at), t.postings) for t in txns]
    first_use: dict[str, date] = {}
    currencies: set[str] = set()
    for day, postings in dated:
        for p in postings:
            first_use.setdefault(p.account, day)
            currencies.add(p.currency)
    lines = [
        "; Exported by otwa-bridge from its ledger: amounts as booked, dates in UTC.",
        f"option {_q('title')} {_q(title)}",
        *(f"option {_q('operating_currency')} {_q(c)}" for c in sorted(currencies)),
        "",
    ]
    lines += [f"{d.isoformat()} open {a}" for a, d in sorted(first_use.items())]
    if carried and start:
        lines += ["", f"{start.isoformat()} * {_q('Balances carried forward')}"]
        lines += _postings(carried)
    for t in txns:
        lines += ["", *_transaction(t)]
    return "\n".join(lines) + "\n"


def _carried_forward(db: sqlite_utils.Database, start: date) -> list[Posting]:
    """Every account's balance before ``start`` (zero balances left out)."""
    rows = db.execute(
        "SELECT account, currency, SUM(amount) FROM ledger_entries WHERE occurred_at < ?"
        " GROUP BY account, currency HAVING SUM(amount) != 0 ORDER BY account, currency",
        [epoch(start)],
    )
    return [Posting(a, int(s), c) for a, c, s in rows]


def _transaction(t: Transaction) -> list[str]:
    payee = _PAYEES.get(t.kind) or t.who.panel or "Panel"
    out = [f"{day_of(t.occurred_at).isoformat()} * {_q(payee)} {_q(t.description)}"]
    meta: list[tuple[str, object]] = [("event_id", t.event_id), ("kind", t.kind)]
    meta += [(key, getattr(t.who, attr)) for key, attr in _META]
    meta += [("invoice", t.invoice_id), ("line", t.line_id)]
    meta += [("period_start", t.period_start), ("period_end", t.period_end)]
    if t.reverses is not None:
        meta.append(("reverses", t.metadata.get("reverses_event_id")))
    out += [f"  {k}: {_q(str(v))}" for k, v in meta if v is not None]
    return out + _postings(t.postings)


def _postings(postings: Iterable[Posting]) -> list[str]:
    rows = [(p.account, format_minor(p.amount, p.currency), p.currency) for p in postings]
    width = max(len(a) for a, _, _ in rows)
    digits = max(len(n) for _, n, _ in rows)
    return [f"  {a.ljust(width)}  {n.rjust(digits)} {c}" for a, n, c in rows]


def _q(text: str) -> str:
    """A Beancount string literal (quotes and backslashes escaped, one line)."""
    flat = " ".join(text.split())
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'
