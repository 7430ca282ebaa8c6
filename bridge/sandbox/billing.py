"""Otwa's billing automation: the renewal cron, suspension on payment failure, termination
after the grace period, and reactivation when the wallet is topped up.

The model (docs/sandbox.md, "Renewals"):

- A month is a 30-day period anchored at the server's creation (the same period add-on
  prorating uses). The first is paid at creation; at each anniversary ``paid_until`` the
  next one is charged: the plan's monthly price plus every attached add-on's full monthly
  price, at the account's prices *at that moment* (wholesale at the margin then in force).
- Wallet short: nothing is charged, the server becomes ``suspended`` (its status until then is
  kept in ``resume_status``) and is terminated ``grace`` seconds after the anniversary. A
  terminated server is never charged again. A ``failed`` server is not billed (its periods
  pass uncharged).
- A top-up reactivates the account's suspended servers, oldest suspension first: each one's
  overdue period(s) are charged and its status restored, while the balance covers them; the
  first one it does not cover stops the round (later ones wait too, keeping the order).

Lazily, but as if a cron ran at each due time: :meth:`Billing.settle` applies every event
due by ``now`` in time order (ties by server creation order), each at its own time, against
the wallet as it stood then. Every state read and every change settles first, under the
state lock, so nothing can be seen or paid out of order. Callers hold the state lock.
"""

from __future__ import annotations

import heapq
import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from bridge.sandbox.clock import iso
from bridge.sandbox.money import fmt
from bridge.sandbox.servers import PERIOD, Server

if TYPE_CHECKING:
    from bridge.sandbox.accounts import Account
    from bridge.sandbox.state import SandboxState

GRACE_DEFAULT = 7 * 86400.0  # suspended -> terminated after a week unless topped up


class Line(NamedTuple):
    """One charge of a monthly renewal."""

    kind: str  # server-renewal | addon-renewal
    addon_id: str | None
    amount: Decimal
    description: str


def renewal_lines(acct: Account, s: Server) -> list[Line]:
    """One month of ``s`` at ``acct``'s prices now: the plan, then each attached add-on."""
    plan = s.plan
    lines = [Line("server-renewal", None, acct.pays(plan.monthly_price),
                  f"{plan.name} renewal ({s.label})")]  # fmt: skip
    for a in s.addons:
        lines.append(Line("addon-renewal", a.id, acct.pays(a.monthly_price),
                          f"{a.name} renewal ({s.label})"))  # fmt: skip
    return lines


def total(lines: list[Line]) -> Decimal:
    return sum((line.amount for line in lines), Decimal("0"))


class Billing:
    """Renewal, suspension and termination events for every server of one sandbox."""

    def __init__(self) -> None:
        self.grace = GRACE_DEFAULT
        self.events: list[dict[str, Any]] = []  # suspended / terminated / reactivated
        self._next_due = math.inf  # no event before this; -inf forces a fresh look

    def due(self, s: Server) -> float | None:
        """When ``s``'s next billing event happens, or None (terminated: never again)."""
        if s.status == "terminated":
            return None
        if s.suspended_at is not None:
            return s.suspended_at + self.grace
        return s.paid_until

    def track(self, s: Server) -> None:
        """A new server: its first renewal may come before every other event."""
        due = self.due(s)
        if due is not None:
            self._next_due = min(self._next_due, due)

    def invalidate(self) -> None:
        """Something changed events (grace, a forced status): the next settle looks afresh."""
        self._next_due = -math.inf

    def settle(self, st: SandboxState, now: float) -> None:
        """Apply every renewal, suspension and termination due by ``now``, in time order."""
        if now < self._next_due:
            return
        order = {sid: i for i, sid in enumerate(st.servers)}
        heap = [
            (t, order[sid], sid) for sid, s in st.servers.items() if (t := self.due(s)) is not None
        ]
        heapq.heapify(heap)
        while heap and heap[0][0] <= now:
            at, rank, sid = heapq.heappop(heap)
            s = st.servers[sid]
            self._apply(st, s, at)
            nxt = self.due(s)
            if nxt is not None:
                heapq.heappush(heap, (nxt, rank, sid))
        self._next_due = heap[0][0] if heap else math.inf

    def _apply(self, st: SandboxState, s: Server, at: float) -> None:
        s.refresh(at)
        if s.suspended_at is not None:  # the grace period ran out
            st.terminate(s)
            self._record("terminated", s, at)
            return
        if s.status == "failed":
            s.paid_until += PERIOD  # nothing was ever delivered: not billed
            return
        acct = st.accounts[s.account_id]
        lines = renewal_lines(acct, s)
        due = total(lines)
        if acct.balance < due:
            if s.status != "suspended":  # a status forced to suspended keeps its own resume
                s.resume_status = s.status
            # A build in progress stays frozen (refresh skips a suspended server) and goes on
            # after a reactivation.
            s.status, s.suspended_at = "suspended", at
            self._record("suspended", s, at, amountDue=fmt(due), periodStart=iso(at))
            return
        self._charge(st, acct, s, lines, at, s.paid_until)
        s.paid_until += PERIOD

    def reactivate(self, st: SandboxState, acct: Account, now: float) -> list[str]:
        """After a top-up of ``acct``: pay overdue renewals oldest suspension first, while the
        balance covers each in full; returns the ids of the servers reactivated."""
        order = {sid: i for i, sid in enumerate(st.servers)}
        waiting = sorted(
            (s for s in st.servers.values()
             if s.account_id == acct.id and s.suspended_at is not None),
            key=lambda s: (s.suspended_at or 0.0, order[s.id]),
        )  # fmt: skip
        done: list[str] = []
        for s in waiting:
            lines = renewal_lines(acct, s)
            starts = []
            start = s.paid_until
            while start <= now:  # more than one when the grace outlasts a month
                starts.append(start)
                start += PERIOD
            if acct.balance < total(lines) * len(starts):
                break  # strict order: a later suspension does not jump the queue
            for period_start in starts:
                self._charge(st, acct, s, lines, now, period_start)
            s.paid_until = start
            s.status = s.resume_status or "running"
            s.suspended_at = s.resume_status = None
            s.refresh(now)
            self._record("reactivated", s, now)
            done.append(s.id)
        self.invalidate()
        return done

    def _charge(
        self,
        st: SandboxState,
        acct: Account,
        s: Server,
        lines: list[Line],
        at: float,
        period_start: float,
    ) -> None:
        period = (period_start, period_start + PERIOD)
        for line in lines:
            st.charge(acct, line.amount, line.kind, s.id, line.description, at=at,
                      period=period, addon_id=line.addon_id)  # fmt: skip
            if line.addon_id is not None:
                s.prices[line.addon_id] = line.amount  # what the add-on costs the account now

    def _record(self, kind: str, s: Server, at: float, **extra: str) -> None:
        self.events.append(
            {"kind": kind, "serverId": s.id, "accountId": s.account_id, "at": iso(at), **extra}
        )

    def describe(self, s: Server) -> dict[str, Any]:
        """The server's billing position, for /_sandbox/state."""
        ends = None if s.suspended_at is None else iso(s.suspended_at + self.grace)
        return {
            "paidUntil": iso(s.paid_until),
            "suspendedAt": None if s.suspended_at is None else iso(s.suspended_at),
            "terminatesAt": ends,
            "resumeStatus": s.resume_status,
        }
