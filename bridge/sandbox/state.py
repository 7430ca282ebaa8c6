"""All sandbox state, in memory, behind one lock.

Every handler that reads or changes state holds ``state.lock`` for the whole read-decide-
write step, so parallel requests (the server is threaded) see each other's effects
atomically: a wallet can never go negative, one Idempotency-Key never runs twice.

Time-driven billing (renewals, suspensions, terminations: billing.py) is applied lazily:
:meth:`SandboxState.tick` settles everything due by now and returns that instant. Every view
ticks, under the lock, before it reads or changes servers or balances.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from decimal import Decimal
from typing import Any

from bridge.sandbox.accounts import Account, ApiKey, boot_accounts
from bridge.sandbox.billing import Billing
from bridge.sandbox.clock import SandboxClock, iso
from bridge.sandbox.faults import FaultInjector
from bridge.sandbox.idempotency import IdempotencyStore
from bridge.sandbox.ipam import IpPool
from bridge.sandbox.money import fmt
from bridge.sandbox.ratelimit import LIMIT, WINDOW, RateLimiter, new_limiter
from bridge.sandbox.servers import Server
from bridge.sandbox.sso import SsoStore


class SandboxState:
    def __init__(
        self, time_scale: float = 1.0, seed: int | None = None, rate_limit_mode: str = "fixed"
    ) -> None:
        self.lock = threading.RLock()
        self.clock = SandboxClock(time_scale)
        self.seed = seed
        self.boot_rate_limit_mode = rate_limit_mode  # what reset returns to
        self.faults = FaultInjector()
        # Live gauge, not state: requests executing now keep counting across a reset.
        self.in_flight = 0
        self.in_flight_routes: Counter[str] = Counter()  # route template -> executing now
        self.latency_release = threading.Event()
        self.reset()

    def reset(self) -> None:
        """Back to boot state: accounts, no servers/charges/keys/tokens, faults cleared."""
        with self.lock:
            self.accounts: dict[str, Account]
            self.keys: dict[str, ApiKey]
            self.accounts, self.keys = boot_accounts()
            self.servers: dict[str, Server] = {}
            self.charges: list[dict[str, Any]] = []
            self.ipam = IpPool()
            self.limiter: RateLimiter = new_limiter(self.boot_rate_limit_mode)
            self.idem = IdempotencyStore()
            self.sso = SsoStore()
            self.rng = random.Random(self.seed)
            self.stats_rng = random.Random(self.seed)
            self.failure_rate = 0.0
            self.billing = Billing()
            self.set_latency(0.0)
            self.counts: dict[str, dict[str, int]] = {
                "byKey": {}, "byRoute": {}, "byStatus": {}, "faults": {},
            }  # fmt: skip
            self.rate_limited = 0
            self.total_requests = 0
            self.clock.set_scale(self.clock.boot_scale)
            self.faults.clear()

    def set_latency(self, seconds: float, routes: frozenset[str] | None = None) -> None:
        """Every /api/v1 request from now on (or only those of ``routes``, e.g.
        ``"POST /api/v1/servers"``) waits ``seconds``; requests waiting now go on."""
        with self.lock:
            self.latency = seconds
            self.latency_routes = routes
            self.latency_release.set()
            self.latency_release = threading.Event()

    def latency_of(self, route: str) -> float:
        """The wait of a request to ``route`` (caller holds the lock)."""
        if self.latency_routes is not None and route not in self.latency_routes:
            return 0.0
        return self.latency

    # -- helpers used by the views (callers hold the lock) --------------------------------

    def now(self) -> float:
        return self.clock.now()

    def tick(self) -> float:
        """Now, with every renewal, suspension and termination due by now applied."""
        with self.lock:
            now = self.now()
            self.billing.settle(self, now)
            return now

    def server_of(self, account_id: str, server_id: str) -> Server | None:
        """The account's server (brought up to date), or None: another account's is None."""
        now = self.tick()
        s = self.servers.get(server_id)
        if s is None or s.account_id != account_id:
            return None
        s.refresh(now)
        return s

    def add_server(self, s: Server) -> None:
        self.servers[s.id] = s
        self.billing.track(s)

    def terminate(self, s: Server) -> None:
        """Destroy ``s``: addresses back to the pool, status terminated, never billed again."""
        self.ipam.release(s.ips())
        s.primary, s.extra_ips = None, []
        s.status, s.building_at, s.done_at = "terminated", None, None
        s.suspended_at = s.resume_status = None

    def charge(self, account: Account, amount: Decimal, kind: str, server_id: str,
               description: str, *, at: float, period: tuple[float, float],
               addon_id: str | None = None) -> dict[str, Any]:  # fmt: skip
        """Debit ``amount`` at sandbox time ``at`` for the service ``period`` [start, end)
        (caller checked the balance) and record the charge."""
        account.balance -= amount
        entry = {
            "id": str(uuid.uuid4()),
            "accountId": account.id,
            "account": account.name,
            "serverId": server_id,
            "kind": kind,
            "addonId": addon_id,
            "amount": fmt(amount),
            "balanceAfter": fmt(account.balance),
            "description": description,
            "periodStart": iso(period[0]),
            "periodEnd": iso(period[1]),
            "createdAt": iso(at),
        }
        self.charges.append(entry)
        return entry

    def count(self, key: str, route: str, status: str, fault: str | None) -> None:
        with self.lock:
            self.total_requests += 1
            for bucket, name in (("byKey", key), ("byRoute", route), ("byStatus", status)):
                self.counts[bucket][name] = self.counts[bucket].get(name, 0) + 1
            if fault:
                self.counts["faults"][fault] = self.counts["faults"].get(fault, 0) + 1
            elif status == "429":
                self.rate_limited += 1

    def snapshot(self) -> dict[str, Any]:
        """Everything GET /_sandbox/state shows."""
        with self.lock:
            now = self.tick()
            servers = []
            for s in self.servers.values():
                s.refresh(now)
                body = s.detail(now)
                body.update(accountId=s.account_id, username=s.username, password=s.password,
                            billing=self.billing.describe(s))  # fmt: skip
                servers.append(body)
            return {
                "now": now,
                "nowIso": iso(now),
                "timeScale": self.clock.scale,
                "seed": self.seed,
                "buildFailureRate": self.failure_rate,
                "latency": self.latency,
                "latencyRoutes": sorted(self.latency_routes) if self.latency_routes else None,
                "rateLimit": {"mode": self.limiter.mode, "limit": LIMIT, "windowSeconds": WINDOW},
                "accounts": [
                    {"id": a.id, "name": a.name, "balance": fmt(a.balance), "keys": a.keys}
                    for a in self.accounts.values()
                ],
                "balances": {
                    k.key: fmt(self.accounts[k.account_id].balance) for k in self.keys.values()
                },  # fmt: skip
                "servers": servers,
                "charges": list(self.charges),
                "gracePeriodSeconds": self.billing.grace,
                "billingEvents": list(self.billing.events),
                "requests": {
                    "total": self.total_requests,
                    "inFlight": self.in_flight,
                    "inFlightByRoute": {k: n for k, n in self.in_flight_routes.items() if n},
                    "rateLimited": self.rate_limited,
                    **{k: dict(v) for k, v in self.counts.items()},
                },
                "faults": self.faults.describe(),
                "idempotencyKeys": len(self.idem.records),
            }
