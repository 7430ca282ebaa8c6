"""Otwa's plan list, fetched at most once per ``ttl`` and shared by every process.

An order needs the plan's id and add-on ids, which only ``GET /products`` gives; asking
once per order would spend a rate-limit slot per order on an answer that rarely changes.
Each process keeps the list in memory; with a :class:`SharedPlans` (the Bridge gives one
backed by its database) the processes also share one copy, which the worker refreshes
before it goes stale (:meth:`PlanCache.refresh`), so an order in a burst finds the list
without spending one of Otwa's slots on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from bridge.otwa import models
from bridge.otwa.client import OtwaClient

DEFAULT_TTL = 300.0


class SharedPlans(Protocol):
    """Where processes share the plan list: Otwa's raw ``GET /products`` items."""

    def load(self) -> tuple[list[dict[str, Any]], float] | None:
        """The items and when they were fetched (``now()`` time), or None if none kept."""

    def save(self, items: list[dict[str, Any]], fetched_at: float) -> None:
        """Keep ``items``, fetched at ``fetched_at``."""

    def forget(self) -> None:
        """Drop the kept items: the next reader fetches afresh."""


class PlanCache:
    """``GET /products`` remembered for ``ttl`` seconds of ``now`` (wall) time.

    ``now`` is the Bridge's clock; wall time, not monotonic, because the age of a shared
    copy is compared across processes.
    """

    def __init__(
        self,
        client: OtwaClient,
        *,
        now: Callable[[], float],
        ttl: float = DEFAULT_TTL,
        shared: SharedPlans | None = None,
    ) -> None:
        self._client = client
        self._now = now
        self.ttl = ttl
        self._shared = shared
        self._lock = threading.Lock()
        self._plans: list[models.Product] | None = None
        self._fetched_at = 0.0

    def plans(self, client: OtwaClient | None = None) -> list[models.Product]:
        """The plans: this process's copy, else the shared one, while younger than ``ttl``;
        otherwise fetched through ``client`` (default: the cache's own) and shared."""
        with self._lock:
            if self._plans is not None and self._fresh(self._fetched_at):
                return self._plans
        kept = self._shared.load() if self._shared is not None else None
        if kept is not None and self._fresh(kept[1]):
            plans = [models.Product.from_dict(item) for item in kept[0]]
            with self._lock:
                self._plans, self._fetched_at = plans, kept[1]
            return plans
        return self.refresh(client)

    def refresh(self, client: OtwaClient | None = None) -> list[models.Product]:
        """Fetch the plans now (through ``client``, default the cache's own) and keep them,
        here and in the shared copy. The worker calls it before the shared copy is stale."""
        plans = (client or self._client).products()
        fetched_at = self._now()
        with self._lock:
            self._plans, self._fetched_at = plans, fetched_at
        if self._shared is not None:
            self._shared.save([plan.raw for plan in plans], fetched_at)
        return plans

    def find(self, plan: str, client: OtwaClient | None = None) -> models.Product | None:
        """The plan whose id is ``plan``, or whose name is ``plan`` (any case); None if none."""
        for product in self.plans(client):
            if plan == product.id or plan.lower() == str(product.name).lower():
                return product
        return None

    def forget(self) -> None:
        """Fetch afresh on the next use, in every process."""
        with self._lock:
            self._plans = None
        if self._shared is not None:
            self._shared.forget()

    def _fresh(self, fetched_at: float) -> bool:
        return 0 <= self._now() - fetched_at < self.ttl
