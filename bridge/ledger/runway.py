"""Wallet runway: when the Otwa wallet stops covering renewals, and what top-up covers the
next N days.

Otwa renews every active server on its anniversary, charging the plan and its active
add-ons from the prepaid wallet; a renewal the wallet cannot pay suspends the server. So
the question is: walking through the coming renewals in time order (each server every
``period``, from its next renewal date), which is the first one the balance cannot pay?

:func:`runway` answers it from plain inputs (pure; exact integers, no loop over months);
:func:`active_servers` derives those inputs from the journal (each server's latest create
or renewal gives its next renewal date and monthly price, add-ons bought since add theirs;
servers marked ended and reversed charges are left out); :func:`runway_from_journal`
joins the two with the wallet's best-known balance (last sample + bookings since).

A renewal already overdue (its date before ``now``) is taken as due ``now``: pessimistic,
so a server that ended without being marked makes the runway shorter, never longer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlite_utils

from bridge.ledger import fields, wallet
from bridge.ledger.costs import RENEWAL_PERIOD
from bridge.ledger.errors import LedgerError
from bridge.ledger.money import exponent, format_minor
from bridge.ledger.periods import DAY, day_of, iso


@dataclass(frozen=True)
class Renewing:
    """A server that will renew: next at ``next_renewal`` (epoch s), then every period,
    for ``monthly`` minor units (plan + active add-ons, as last charged)."""

    server_id: str
    next_renewal: float
    monthly: int
    currency: str


@dataclass(frozen=True)
class Runway:
    """How far the wallet's ``balance`` goes. ``runs_out_at`` is the moment of the first
    renewal it cannot pay (None when nothing renews), ``unpaid_server`` that server."""

    currency: str
    balance: int
    now: float
    period: float
    servers: tuple[Renewing, ...]
    runs_out_at: float | None
    unpaid_server: str | None

    @property
    def monthly(self) -> int:
        """What one period of renewals costs in total."""
        return sum(s.monthly for s in self.servers)

    @property
    def runs_out_on(self) -> date | None:
        """The UTC date of the first renewal the wallet cannot pay."""
        return None if self.runs_out_at is None else day_of(self.runs_out_at)

    @property
    def days_left(self) -> int | None:
        """Whole days from ``now`` until then (0: a renewal due within a day fails)."""
        if self.runs_out_at is None:
            return None
        return int((self.runs_out_at - self.now) // DAY)

    def due_within(self, days: int) -> int:
        """What the renewals due in the next ``days`` days cost (minor units)."""
        return _spent(self.servers, self.now, self.now + days * DAY, self.period)

    def topup_for(self, days: int) -> int:
        """The smallest top-up (minor units) after which every renewal due in the next
        ``days`` days is paid; 0 when the balance already covers them."""
        return max(0, self.due_within(days) - self.balance)

    def alert(self, days: int) -> bool:
        """True when a renewal within ``days`` days will fail (LEDGER_RUNWAY_ALERT_DAYS)."""
        return self.runs_out_at is not None and self.runs_out_at <= self.now + days * DAY

    def to_dict(self, days: int = 30) -> dict[str, Any]:
        """JSON-ready, decimal strings; ``days`` sets the top-up horizon shown."""
        c = self.currency
        return {
            "currency": c,
            "balance": format_minor(self.balance, c),
            "now": iso(self.now),
            "servers": len(self.servers),
            "monthly": format_minor(self.monthly, c),
            "runs_out_at": None if self.runs_out_at is None else iso(self.runs_out_at),
            "days_left": self.days_left,
            "unpaid_server": self.unpaid_server,
            "topup": {"days": days, "amount": format_minor(self.topup_for(days), c)},
        }


def runway(
    balance: int,
    currency: str,
    servers: Sequence[Renewing],
    *,
    now: float,
    period: float = RENEWAL_PERIOD,
) -> Runway:
    """The runway of ``balance`` (minor units) against ``servers``' renewals from ``now``.

    Renewals are paid in time order (ties by server id); the first whose cost exceeds
    what is left is where the wallet runs out. Every server must be in ``currency``
    (``currency_mismatch``). Work is O(n log n) for n servers whatever the balance.
    """
    exponent(currency)
    fields.moment(now, "now")
    if round(period) <= 0:
        raise LedgerError("bad_date", "period must be at least one second")
    for s in servers:
        if s.currency != currency:
            raise LedgerError(
                "currency_mismatch",
                f"server {s.server_id} renews in {s.currency}, the wallet is in {currency}",
            )
        if s.monthly < 0:
            raise LedgerError("bad_amount", f"server {s.server_id}: a negative monthly price")
    ordered = tuple(sorted(servers, key=lambda s: (s.next_renewal, s.server_id)))
    failing = _first_unpaid(balance, ordered, now, period)
    return Runway(
        currency=currency,
        balance=balance,
        now=now,
        period=period,
        servers=ordered,
        runs_out_at=failing[0] if failing else None,
        unpaid_server=failing[1] if failing else None,
    )


def _schedule(servers: Sequence[Renewing], now: float) -> list[tuple[int, str, int]]:
    """(first due, server, monthly) in whole seconds: integer arithmetic keeps every
    renewal moment exact, so none falls between two windows."""
    return [(max(round(s.next_renewal), int(now)), s.server_id, s.monthly) for s in servers]


def _spent(servers: Sequence[Renewing], now: float, until: float, period: float) -> int:
    """What every renewal due at or before ``until`` costs."""
    return _spent_exact(_schedule(servers, now), int(until), round(period))


def _spent_exact(schedule: Sequence[tuple[int, str, int]], until: int, period: int) -> int:
    return sum(m * ((until - first) // period + 1) for first, _, m in schedule if until >= first)


def _first_unpaid(
    balance: int, servers: Sequence[Renewing], now: float, period: float
) -> tuple[float, str] | None:
    """(moment, server) of the first renewal ``balance`` cannot pay, or None."""
    schedule = [item for item in _schedule(servers, now) if item[2]]  # free ones never fail
    step = round(period)
    if not schedule:
        return None
    t0 = min(first for first, _, _ in schedule)

    def spent(r: int) -> int:
        return _spent_exact(schedule, t0 + r * step, step)

    if spent(0) > balance:
        lo, paid = -1, 0  # the failure is among the renewals due at t0
    else:
        # The largest r with everything due by t0 + r periods paid: exponential, then binary.
        lo, hi = 0, 1
        while spent(hi) <= balance:
            lo, hi = hi, hi * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if spent(mid) <= balance else (lo, mid)
        paid = spent(lo)
    start, end = t0 + lo * step, t0 + (lo + 1) * step
    # The window (start, end] is one period long: it holds at most one renewal per server.
    due = []
    for first, server_id, monthly in schedule:
        k = (start - first) // step + 1 if start >= first else 0
        moment = first + k * step
        if start < moment <= end:
            due.append((moment, server_id, monthly))
    for moment, server_id, monthly in sorted(due):
        paid += monthly
        if paid > balance:
            return float(moment), server_id
    raise AssertionError("the failing renewal lies in the window by construction")


def active_servers(db: sqlite_utils.Database, *, now: float) -> list[Renewing]:
    """Every server that will renew, from the journal: the latest create or renewal of
    each (not reversed, server not marked ended) gives the next renewal (its period end)
    and the monthly price of the plan and its add-ons; add-ons bought after it add their
    monthly price. Servers whose only charges are add-ons are left out (no renewal date).
    """
    fields.moment(now, "now")
    rows = db.execute(
        """
        SELECT t.server_id, t.kind, t.period_end, t.metadata,
               (SELECT currency FROM ledger_entries WHERE txn_id = t.id LIMIT 1)
        FROM ledger_transactions t
        WHERE t.server_id IS NOT NULL AND t.kind IN ('server', 'renewal', 'addon')
          AND NOT EXISTS (SELECT 1 FROM ledger_transactions r WHERE r.reverses = t.id)
          AND t.server_id NOT IN (SELECT server_id FROM ledger_server_ends)
        ORDER BY t.server_id, t.id
        """
    ).fetchall()
    latest: dict[str, tuple[float, str, int, set[str]]] = {}
    addons_after: dict[str, dict[str, int]] = {}
    for server_id, kind, period_end, metadata, currency in rows:
        meta = json.loads(metadata)
        if kind == "addon":
            addons_after.setdefault(server_id, {})[meta["addon_type"]] = int(meta["monthly"])
            continue
        monthly = meta["monthly"]
        end = _epoch(period_end)
        known = latest.get(server_id)
        if known is None or end >= known[0]:
            addons = {str(t): int(p) for t, p in monthly["addons"].items()}
            total = int(monthly["server"]) + sum(addons.values())
            latest[server_id] = (end, currency, total, set(addons))
            addons_after[server_id] = {}  # those bought before are in this charge
    out = []
    for server_id, (end, currency, total, types) in sorted(latest.items()):
        extra = sum(p for t, p in addons_after.get(server_id, {}).items() if t not in types)
        out.append(Renewing(server_id, end, total + extra, currency))
    return out


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def runway_from_journal(
    db: sqlite_utils.Database,
    currency: str,
    *,
    now: float,
    balance: int | None = None,
    period: float = RENEWAL_PERIOD,
) -> Runway:
    """:func:`runway` of the journal's servers renewing in ``currency``; ``balance``
    defaults to the wallet's expected balance (last ``GET /account`` sample plus what was
    booked since, or the journal alone without samples)."""
    exponent(currency)
    if balance is None:
        balance = wallet.expected_balance(db, currency, at=now)
    servers = [s for s in active_servers(db, now=now) if s.currency == currency]
    return runway(balance, currency, servers, now=now, period=period)
