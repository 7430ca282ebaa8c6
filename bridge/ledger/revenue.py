"""Revenue: paid invoice lines and their refunds (credit notes), as the panel reports them.

A paid line debits ``Assets:Receivable:<Panel>`` (the panel collected it) and credits
``Income:Sales:<Panel>:<Product>``; a refund debits ``Income:Refunds:<Panel>:<Product>``
and credits the receivable. One transaction per line, so each carries its service, client
and product. Amounts are decimal strings in the invoice's currency; a negative line (a
promotion or discount line) books a negative sale. A zero line books nothing.

Both functions are idempotent by event id (``bridge.ledger.events``) and all or nothing:
every line of the call is booked, or none is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import sqlite_utils

from bridge import store
from bridge.ledger import accounts, events, fields, journal
from bridge.ledger.errors import LedgerError
from bridge.ledger.journal import Attribution, Booking, Draft, Posting
from bridge.ledger.money import allocate, format_minor, to_minor
from bridge.ledger.periods import parse_period_bound


@dataclass(frozen=True)
class InvoiceLine:
    """One paid invoice line that belongs to an Otwa service."""

    line_id: str
    service_id: str
    product: str
    amount: str | Decimal  # decimal string; negative for a discount line
    period_start: str | None = None  # ISO date (or date-time) the line pays from
    period_end: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class RefundLine:
    """One invoice line a refund covers; ``amount`` None refunds what is left of it."""

    line_id: str
    amount: str | Decimal | None = None


@dataclass(frozen=True)
class LineState:
    """An invoice line as booked: what was paid, what is left after refunds and reversals."""

    line_id: str
    currency: str
    paid: int
    left: int
    who: Attribution
    period_start: str | None
    period_end: str | None


def book_invoice_paid(
    db: sqlite_utils.Database,
    *,
    panel: str,
    invoice_id: str,
    client_id: str,
    currency: str,
    paid_at: float,
    lines: Sequence[InvoiceLine],
    webhook_id: str | None = None,
) -> list[Booking]:
    """Book the revenue of a paid invoice's Otwa lines; one :class:`Booking` per line, in
    order. Event id ``sale:<panel>:<invoice>:<line>``: a re-sent hook books nothing twice.
    ``webhook_id`` is kept in the metadata for the audit trail."""
    panel = fields.text(panel, "panel")
    invoice_id = fields.text(invoice_id, "invoice_id")
    client_id = fields.text(client_id, "client_id")
    fields.moment(paid_at, "paid_at")
    if not lines:
        raise LedgerError("bad_field", "lines must list the invoice's Otwa lines (none given)")
    seen: set[str] = set()
    drafts: list[Draft] = []
    skipped: dict[int, str] = {}
    for i, line in enumerate(lines):
        line_id = fields.text(line.line_id, f"lines[{i}].line_id")
        if line_id in seen:
            raise LedgerError("bad_field", f"line id {line_id!r} appears twice in one invoice")
        seen.add(line_id)
        amount = to_minor(line.amount, currency, field=f"lines[{i}].amount", signed=True)
        product = fields.text(line.product, f"lines[{i}].product")
        who = Attribution(
            panel=panel,
            service_id=fields.text(line.service_id, f"lines[{i}].service_id"),
            client_id=client_id,
            product=product,
        )
        event_id = events.sale(panel, invoice_id, line_id)
        label = fields.optional_text(line.description, f"lines[{i}].description", max_len=500)
        if amount == 0:
            skipped[i] = event_id
            continue
        drafts.append(
            Draft(
                event_id=event_id,
                kind="sale",
                occurred_at=paid_at,
                description=f"Invoice {invoice_id} line {line_id}: {label or product}",
                postings=(
                    Posting(accounts.receivable(panel), amount, currency),
                    Posting(accounts.sales(panel, product), -amount, currency),
                ),
                who=who,
                invoice_id=invoice_id,
                line_id=line_id,
                period_start=parse_period_bound(line.period_start, field="period_start"),
                period_end=parse_period_bound(line.period_end, field="period_end"),
                metadata={"webhook_id": webhook_id} if webhook_id else {},
            )
        )
    booked = iter(journal.post_all(db, drafts))
    return [
        Booking(skipped[i], "nothing_to_book", None) if i in skipped else next(booked)
        for i in range(len(lines))
    ]


def book_refund(
    db: sqlite_utils.Database,
    *,
    panel: str,
    refund_id: str,
    invoice_id: str,
    currency: str,
    refunded_at: float,
    lines: Sequence[RefundLine] | None = None,
    amount: str | Decimal | None = None,
    reason: str | None = None,
    webhook_id: str | None = None,
) -> list[Booking]:
    """Book a refund or credit note against a paid invoice the ledger booked.

    Give either ``lines`` (each line's amount, or None for all that is left of it) or one
    ``amount``, which is spread over the lines in proportion to what is left of each
    (largest remainder, exact). Event ids ``refund:<panel>:<refund_id>:<line>``; a replay
    of the same refund is ``already_booked`` (for an ``amount``: the same total), another
    total under the same ``refund_id`` is ``event_conflict``.

    Refused, changing nothing: an invoice (or line) never booked (``unknown_invoice``),
    another currency than the invoice's (``currency_mismatch``), more than is left
    (``refund_exceeds_paid``), both or neither of ``lines`` and ``amount`` (``bad_field``).
    """
    panel = fields.text(panel, "panel")
    refund_id = fields.text(refund_id, "refund_id")
    invoice_id = fields.text(invoice_id, "invoice_id")
    fields.moment(refunded_at, "refunded_at")
    note = fields.optional_text(reason, "reason", max_len=500)
    if (lines is None) == (amount is None):
        raise LedgerError(
            "bad_field", "send either lines (line_id and optional amount) or one amount"
        )
    wanted = None if amount is None else to_minor(amount, currency, field="amount")
    if wanted == 0:
        raise LedgerError("bad_amount", "a refund amount must be more than zero")
    with store.write(db):
        state = {s.line_id: s for s in invoice_lines(db, panel, invoice_id)}
        if not state:
            raise LedgerError(
                "unknown_invoice",
                f"invoice {invoice_id!r} of panel {panel!r} was never booked as paid:"
                " book it with book_invoice_paid first",
            )
        if any(s.currency != currency for s in state.values()):
            raise LedgerError(
                "currency_mismatch",
                f"invoice {invoice_id!r} was paid in {next(iter(state.values())).currency},"
                f" not {currency}: refund it in the invoice's currency",
            )
        if wanted is not None:
            shares = _shares_of_amount(db, panel, refund_id, state, wanted, currency)
        else:
            assert lines is not None
            shares = _shares_of_lines(db, panel, refund_id, state, lines, currency)
        drafts = [
            _refund_draft(
                panel,
                refund_id,
                invoice_id,
                state[line_id],
                share,
                currency,
                refunded_at,
                note,
                webhook_id,
            )
            for line_id, share in shares
        ]
        return journal.post_all(db, drafts)


def _shares_of_amount(
    db: sqlite_utils.Database,
    panel: str,
    refund_id: str,
    state: dict[str, LineState],
    wanted: int,
    currency: str,
) -> list[tuple[str, int]]:
    """(line, share) of an amount refund: its earlier booking on a replay, else spread."""
    prefix = events.refund_prefix(panel, refund_id)
    earlier = _booked_shares(db, prefix)
    if earlier:
        total = sum(share for _, share in earlier)
        if total != wanted:
            raise LedgerError(
                "event_conflict",
                f"refund {refund_id!r} was booked already for {format_minor(total, currency)}"
                f" {currency}, not {format_minor(wanted, currency)}: a further refund needs"
                " its own refund id",
            )
        return earlier
    open_lines = [s for s in state.values() if s.left > 0]
    room = sum(s.left for s in open_lines)
    if wanted == 0 or wanted > room:
        raise LedgerError(
            "refund_exceeds_paid",
            f"refund of {format_minor(wanted, currency)} {currency}: the invoice has"
            f" {format_minor(room, currency)} {currency} left to refund",
        )
    split = allocate(wanted, [s.left for s in open_lines])
    return [(s.line_id, share) for s, share in zip(open_lines, split, strict=True) if share]


def _shares_of_lines(
    db: sqlite_utils.Database,
    panel: str,
    refund_id: str,
    state: dict[str, LineState],
    lines: Sequence[RefundLine],
    currency: str,
) -> list[tuple[str, int]]:
    """(line, share) of a refund naming its lines; a line booked before keeps its amount."""
    if not lines:
        raise LedgerError("bad_field", "lines must name at least one invoice line")
    earlier = dict(_booked_shares(db, events.refund_prefix(panel, refund_id)))
    shares: list[tuple[str, int]] = []
    for i, line in enumerate(lines):
        line_id = fields.text(line.line_id, f"lines[{i}].line_id")
        if line_id not in state:
            raise LedgerError(
                "unknown_invoice",
                f"line {line_id!r} is not a booked line of this invoice"
                f" (booked: {', '.join(sorted(state))})",
            )
        if line.amount is not None:
            share = to_minor(line.amount, currency, field=f"lines[{i}].amount")
        else:
            share = earlier.get(line_id, state[line_id].left)
        if line_id not in earlier and not 0 < share <= state[line_id].left:
            raise LedgerError(
                "refund_exceeds_paid",
                f"line {line_id!r}: refund of {format_minor(share, currency)} {currency}, but"
                f" {format_minor(state[line_id].left, currency)} {currency} is left of it",
            )
        shares.append((line_id, share))
    if len({line_id for line_id, _ in shares}) != len(shares):
        raise LedgerError("bad_field", "a refund names each line at most once")
    return shares


def _booked_shares(db: sqlite_utils.Database, prefix: str) -> list[tuple[str, int]]:
    """(line, amount) already booked under a refund's event id prefix."""
    # Every part is percent-encoded, so ';' (the character after ':') bounds the prefix.
    rows = db.execute(
        """
        SELECT t.line_id, e.amount FROM ledger_transactions t
        JOIN ledger_entries e ON e.txn_id = t.id AND e.role = 'revenue'
        WHERE t.event_id >= ? AND t.event_id < ? AND t.kind = 'refund' ORDER BY t.id
        """,
        [prefix, prefix[:-1] + ";"],
    ).fetchall()
    return [(str(line_id), int(amount)) for line_id, amount in rows]


def _refund_draft(
    panel: str,
    refund_id: str,
    invoice_id: str,
    line: LineState,
    share: int,
    currency: str,
    refunded_at: float,
    note: str | None,
    webhook_id: str | None,
) -> Draft:
    product = line.who.product or "Unknown"
    metadata = {k: v for k, v in (("reason", note), ("webhook_id", webhook_id)) if v}
    return Draft(
        event_id=events.refund(panel, refund_id, line.line_id),
        kind="refund",
        occurred_at=refunded_at,
        description=f"Refund {refund_id} of invoice {invoice_id} line {line.line_id}",
        postings=(
            Posting(accounts.refunds(panel, product), share, currency),
            Posting(accounts.receivable(panel), -share, currency),
        ),
        who=line.who,
        invoice_id=invoice_id,
        line_id=line.line_id,
        period_start=line.period_start,
        period_end=line.period_end,
        metadata={**metadata, "refund_id": refund_id},
    )


def invoice_lines(db: sqlite_utils.Database, panel: str, invoice_id: str) -> list[LineState]:
    """The booked lines of an invoice: paid (sales, net of their reversals) and left
    (after refunds and reversals), with the attribution of the sale. Empty if never booked."""
    sales = db.execute(
        """
        SELECT line_id, service_id, client_id, product, period_start, period_end
        FROM ledger_transactions WHERE panel = ? AND invoice_id = ? AND kind = 'sale'
        ORDER BY id
        """,
        [panel, invoice_id],
    ).fetchall()
    sums = db.execute(
        """
        SELECT t.line_id, e.currency,
               -SUM(CASE WHEN e.account LIKE 'Income:Sales:%' THEN e.amount ELSE 0 END),
               -SUM(e.amount)
        FROM ledger_transactions t JOIN ledger_entries e ON e.txn_id = t.id
        WHERE t.panel = ? AND t.invoice_id = ? AND e.role = 'revenue'
        GROUP BY t.line_id, e.currency
        """,
        [panel, invoice_id],
    ).fetchall()
    money = {str(r[0]): (str(r[1]), int(r[2]), int(r[3])) for r in sums}
    out: list[LineState] = []
    for line_id, service_id, client_id, product, start, end in sales:
        currency, paid, left = money[line_id]
        who = Attribution(panel=panel, service_id=service_id, client_id=client_id, product=product)
        out.append(LineState(line_id, currency, paid, left, who, start, end))
    return out
