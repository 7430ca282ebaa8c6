"""The journal: the only code that writes ledger transactions and their entries.

Contract of every write (:func:`post`, :func:`post_all`, :func:`reverse`):

* **Balanced.** Each transaction's postings sum to zero per currency; checked (with the
  accounts, currencies and amounts) before anything is inserted. Refused: ``unbalanced``.
* **Once per event.** ``event_id`` is unique. Posting it again with the same content
  (kind, postings, attribution, invoice line: see :func:`fingerprint`) is an idempotent
  ``already_booked``; with other content it is ``event_conflict`` and nothing changes. The
  moment, period, description and metadata are not compared: a replay after a crash may
  carry a later clock (and a period derived from it).
* **Durable.** One ``store.write(db)`` per call (``BEGIN IMMEDIATE``, ``synchronous=FULL``);
  called inside an open write it joins it (all or nothing with the caller), and inside a
  non-durable one it raises ``RuntimeError``.
* **Append-only.** Nothing is updated or deleted (SQLite triggers refuse it); a correction
  is :func:`reverse`, the mirror image under a new event id.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlite_utils

from bridge import store
from bridge.ledger import accounts, fields
from bridge.ledger.errors import LedgerError
from bridge.ledger.money import MAX_MINOR, exponent, format_minor
from bridge.ledger.periods import month_of

KINDS = ("sale", "refund", "server", "addon", "renewal", "topup", "opening", "reversal")
Status = Literal["booked", "already_booked", "nothing_to_book"]


@dataclass(frozen=True)
class Posting:
    """One entry: ``amount`` minor units of ``currency`` on ``account`` (+ debit, - credit)."""

    account: str
    amount: int
    currency: str


@dataclass(frozen=True)
class Attribution:
    """Whom a transaction is about; every field optional (an adopted server has no panel)."""

    panel: str | None = None
    service_id: str | None = None
    client_id: str | None = None
    product: str | None = None
    server_id: str | None = None


@dataclass(frozen=True)
class Draft:
    """A transaction to book. ``metadata`` holds extra JSON (ints and strings, never floats)."""

    event_id: str
    kind: str
    occurred_at: float
    description: str
    postings: tuple[Posting, ...]
    who: Attribution = Attribution()
    invoice_id: str | None = None
    line_id: str | None = None
    period_start: str | None = None
    period_end: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Booking:
    """What a booking call did for one event: ``booked`` now, ``already_booked`` earlier (a
    replay), or ``nothing_to_book`` (a zero amount; nothing stored, ``txn_id`` None)."""

    event_id: str
    status: Status
    txn_id: int | None

    @property
    def booked(self) -> bool:
        """True only when this call wrote the transaction."""
        return self.status == "booked"


@dataclass(frozen=True)
class Transaction:
    """A booked transaction as read back, with its postings in booking order."""

    id: int
    event_id: str
    kind: str
    occurred_at: float
    booked_at: float
    description: str
    who: Attribution
    invoice_id: str | None
    line_id: str | None
    period_start: str | None
    period_end: str | None
    reverses: int | None
    metadata: dict[str, Any]
    postings: tuple[Posting, ...]


def fingerprint(draft: Draft, reverses: str | None = None) -> str:
    """sha256 of what a replay must repeat exactly: money, accounts, attribution, line."""
    content = {
        "kind": draft.kind,
        "postings": sorted((p.account, p.currency, p.amount) for p in draft.postings),
        "who": [
            draft.who.panel,
            draft.who.service_id,
            draft.who.client_id,
            draft.who.product,
            draft.who.server_id,
        ],
        "line": [draft.invoice_id, draft.line_id],
        "reverses": reverses,
    }
    blob = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def check(draft: Draft) -> None:
    """Refuse a draft that is not a well-formed, balanced transaction (``LedgerError``)."""
    fields.text(draft.event_id, "event_id", max_len=400)
    if draft.kind not in KINDS:
        raise LedgerError("bad_field", f"kind must be one of {', '.join(KINDS)}")
    fields.moment(draft.occurred_at, "occurred_at")
    fields.text(draft.description, "description", max_len=1000)
    if len(draft.postings) < 2:
        raise LedgerError("unbalanced", "a transaction needs at least two postings")
    totals: dict[str, int] = {}
    for p in draft.postings:
        accounts.check(p.account)
        exponent(p.currency)
        if isinstance(p.amount, bool) or not isinstance(p.amount, int):
            raise LedgerError("bad_amount", f"posting amounts are int minor units: {p!r}")
        if p.amount == 0 or abs(p.amount) > MAX_MINOR:
            raise LedgerError("bad_amount", f"posting amounts are non-zero and in range: {p!r}")
        totals[p.currency] = totals.get(p.currency, 0) + p.amount
    off = {c: format_minor(t, c) for c, t in totals.items() if t != 0}
    if off:
        raise LedgerError(
            "unbalanced",
            f"transaction {draft.event_id!r} does not sum to zero per currency (off by"
            f" {', '.join(f'{v} {c}' for c, v in off.items())}): balance every currency",
        )


def post(db: sqlite_utils.Database, draft: Draft) -> Booking:
    """Book ``draft`` once (see the module contract); returns what happened."""
    check(draft)
    with store.write(db):
        return _insert(db, draft)


def post_all(db: sqlite_utils.Database, drafts: Sequence[Draft]) -> list[Booking]:
    """Book several drafts in one transaction: all of them (booked or already booked) or,
    on any refusal, none. Event ids must not repeat within the call."""
    for draft in drafts:
        check(draft)
    ids = [d.event_id for d in drafts]
    if len(set(ids)) != len(ids):
        raise LedgerError("bad_field", f"event ids repeat within one call: {sorted(ids)}")
    with store.write(db):
        return [_insert(db, d) for d in drafts]


def reverse(
    db: sqlite_utils.Database,
    event_id: str,
    *,
    reason: str,
    new_event_id: str,
    occurred_at: float,
) -> Booking:
    """Book the mirror image of the transaction booked for ``event_id`` under
    ``new_event_id``: same accounts, negated amounts, same attribution, so every balance and
    report row it touched nets to what it was before.

    A transaction is reversed at most once (``already_reversed``); a reversal is not
    reversed itself (``not_reversible``: book the original again under a new event id).
    Replaying the same call is ``already_booked``. Unknown ``event_id``: ``unknown_event``.
    """
    fields.text(reason, "reason", max_len=500)
    fields.text(new_event_id, "new_event_id", max_len=400)
    fields.moment(occurred_at, "occurred_at")
    with store.write(db):
        original = get(db, event_id)
        if original is None:
            raise LedgerError("unknown_event", f"no transaction carries event id {event_id!r}")
        if original.kind == "reversal":
            raise LedgerError(
                "not_reversible",
                f"{event_id!r} is a reversal; to restore what it undid, book the original"
                " again under a new event id",
            )
        prior = db.execute(
            "SELECT event_id FROM ledger_transactions WHERE reverses = ?", [original.id]
        ).fetchone()
        if prior is not None and prior[0] != new_event_id:
            raise LedgerError(
                "already_reversed",
                f"{event_id!r} was reversed already, by {prior[0]!r}",
                details={"reversed_by": prior[0]},
            )
        draft = Draft(
            event_id=new_event_id,
            kind="reversal",
            occurred_at=occurred_at,
            description=f"Reversal of {original.description}: {reason}",
            postings=tuple(Posting(p.account, -p.amount, p.currency) for p in original.postings),
            who=original.who,
            invoice_id=original.invoice_id,
            line_id=original.line_id,
            period_start=original.period_start,
            period_end=original.period_end,
            metadata={"reason": reason, "reverses_event_id": event_id},
        )
        check(draft)
        return _insert(db, draft, reverses=original)


def _insert(
    db: sqlite_utils.Database, draft: Draft, reverses: Transaction | None = None
) -> Booking:
    """Insert ``draft`` inside the caller's write transaction, or report the earlier one."""
    fp = fingerprint(draft, reverses.event_id if reverses else None)
    row = db.execute(
        "SELECT id, fingerprint FROM ledger_transactions WHERE event_id = ?", [draft.event_id]
    ).fetchone()
    if row is not None:
        if row[1] != fp:
            raise LedgerError(
                "event_conflict",
                f"event {draft.event_id!r} was booked already with other amounts, accounts or"
                " attribution; to correct it, reverse it and book the new one under a new"
                " event id",
            )
        return Booking(draft.event_id, "already_booked", int(row[0]))
    who = draft.who
    cursor = db.execute(
        """
        INSERT INTO ledger_transactions (event_id, kind, occurred_at, description, panel,
            service_id, client_id, product, server_id, invoice_id, line_id, period_start,
            period_end, reverses, fingerprint, metadata)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            draft.event_id,
            draft.kind,
            draft.occurred_at,
            draft.description,
            who.panel,
            who.service_id,
            who.client_id,
            who.product,
            who.server_id,
            draft.invoice_id,
            draft.line_id,
            draft.period_start,
            draft.period_end,
            reverses.id if reverses else None,
            fp,
            json.dumps(dict(draft.metadata), sort_keys=True),
        ],
    )
    txn_id = int(cursor.lastrowid or 0)
    db.conn.executemany(
        """
        INSERT INTO ledger_entries (txn_id, account, currency, amount, role, occurred_at,
            month, panel, service_id, client_id, product)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        entry_rows(txn_id, draft),
    )
    return Booking(draft.event_id, "booked", txn_id)


def entry_rows(txn_id: int, draft: Draft) -> list[tuple[Any, ...]]:
    """The ``ledger_entries`` rows of a draft, with the transaction's columns copied in."""
    month = month_of(draft.occurred_at)
    w = draft.who
    return [
        (
            txn_id,
            p.account,
            p.currency,
            p.amount,
            accounts.role_of(p.account),
            draft.occurred_at,
            month,
            w.panel,
            w.service_id,
            w.client_id,
            w.product,
        )
        for p in draft.postings
    ]


_TXN_COLUMNS = (
    "id, event_id, kind, occurred_at, booked_at, description, panel, service_id, client_id,"
    " product, server_id, invoice_id, line_id, period_start, period_end, reverses, metadata"
)


def get(db: sqlite_utils.Database, event_id: str) -> Transaction | None:
    """The transaction booked for ``event_id``, or None."""
    sql = f"SELECT {_TXN_COLUMNS} FROM ledger_transactions WHERE event_id = ?"  # noqa: S608
    rows = _load(db, sql, [event_id])
    return next(iter(rows), None)


def transactions(
    db: sqlite_utils.Database,
    *,
    start: float | None = None,
    end: float | None = None,
    account: str | None = None,
) -> list[Transaction]:
    """Transactions with ``start <= occurred_at < end`` (either bound optional), touching
    ``account`` when given, in the order they occurred (then booked)."""
    where: list[str] = ["1"]
    args: list[object] = []
    if start is not None:
        where.append("occurred_at >= ?")
        args.append(start)
    if end is not None:
        where.append("occurred_at < ?")
        args.append(end)
    if account is not None:
        where.append("id IN (SELECT txn_id FROM ledger_entries WHERE account = ?)")
        args.append(account)
    sql = (
        f"SELECT {_TXN_COLUMNS} FROM ledger_transactions WHERE {' AND '.join(where)}"  # noqa: S608
        " ORDER BY occurred_at, id"
    )  # only our constants are interpolated; values are bound
    return list(_load(db, sql, args))


def _load(db: sqlite_utils.Database, sql: str, args: Sequence[Any]) -> Iterator[Transaction]:
    rows = db.execute(sql, list(args)).fetchall()
    ids = [r[0] for r in rows]
    postings: dict[int, list[Posting]] = {i: [] for i in ids}
    for chunk in _chunks(ids, 500):
        marks = ",".join("?" * len(chunk))
        for txn_id, account, amount, currency in db.execute(
            f"SELECT txn_id, account, amount, currency FROM ledger_entries"  # noqa: S608
            f" WHERE txn_id IN ({marks}) ORDER BY id",
            chunk,
        ):
            postings[txn_id].append(Posting(account, amount, currency))
    for r in rows:
        yield Transaction(
            id=r[0],
            event_id=r[1],
            kind=r[2],
            occurred_at=r[3],
            booked_at=r[4],
            description=r[5],
            who=Attribution(
                panel=r[6], service_id=r[7], client_id=r[8], product=r[9], server_id=r[10]
            ),
            invoice_id=r[11],
            line_id=r[12],
            period_start=r[13],
            period_end=r[14],
            reverses=r[15],
            metadata=json.loads(r[16]),
            postings=tuple(postings[r[0]]),
        )


def _chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def balance(
    db: sqlite_utils.Database, account: str, currency: str, *, until: float = math.inf
) -> int:
    """Balance of ``account`` in ``currency`` over entries with ``occurred_at <= until``."""
    row = db.execute(
        "SELECT COALESCE(SUM(amount), 0) FROM ledger_entries"
        " WHERE account = ? AND currency = ? AND occurred_at <= ?",
        [account, currency, until if math.isfinite(until) else 1e18],
    ).fetchone()
    return int(row[0])


def balances(db: sqlite_utils.Database) -> dict[tuple[str, str], int]:
    """Every (account, currency) with its balance, zero balances included."""
    rows = db.execute(
        "SELECT account, currency, SUM(amount) FROM ledger_entries GROUP BY account, currency"
    )
    return {(a, c): int(s) for a, c, s in rows}


def unbalanced(db: sqlite_utils.Database) -> list[tuple[str, str, int]]:
    """(event_id, currency, sum) of every transaction that does not sum to zero: the
    journal's global invariant, for tests and a periodic check. Empty when all is well."""
    rows = db.execute(
        """
        SELECT t.event_id, e.currency, SUM(e.amount) FROM ledger_entries e
        JOIN ledger_transactions t ON t.id = e.txn_id
        GROUP BY e.txn_id, e.currency HAVING SUM(e.amount) != 0
        """
    )
    return [(str(a), str(c), int(s)) for a, c, s in rows]
